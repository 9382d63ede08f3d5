import assert from 'node:assert/strict'
import { NixError } from '../errors.js'
import { ProtocolError } from '../wire/index.js'
import {
  HandshakeError, InvalidWireValueError, NotPrivilegedError, RemoteError, UnknownOpError, UnsupportedByProtocolError, UnsupportedOpError,
} from './errors.js'

/** Every worker-protocol error: class name, stable code, and whether it closes the connection. */
const TABLE: Array<[NixError, string, string, boolean]> = [
  [new HandshakeError('m'), 'HandshakeError', 'ERR_HANDSHAKE', true],
  [new InvalidWireValueError('build mode', 7n), 'InvalidWireValueError', 'ERR_INVALID_WIRE_VALUE', true],
  [new UnknownOpError(99), 'UnknownOpError', 'ERR_UNKNOWN_OP', false],
  [new UnsupportedByProtocolError('m'), 'UnsupportedByProtocolError', 'ERR_UNSUPPORTED_BY_PROTOCOL', false],
  [new RemoteError('m'), 'RemoteError', 'ERR_REMOTE', false],
  [new NotPrivilegedError('m'), 'NotPrivilegedError', 'ERR_NOT_PRIVILEGED', false],
  [new UnsupportedOpError('m'), 'UnsupportedOpError', 'ERR_UNSUPPORTED_OP', false],
]

describe('worker-protocol errors', () => {
  for (const [e, cls, code, closes] of TABLE) {
    it(`${cls} has code ${code}`, () => {
      assert.equal(e.name, cls)
      assert.equal(e.code, code)
      assert.ok(e instanceof NixError)
      assert.equal(e instanceof ProtocolError, closes)
    })
  }
  it('messages say what was received', () => {
    assert.equal(new InvalidWireValueError('build mode', 7n).message, 'invalid build mode 7 from remote')
    assert.equal(new UnknownOpError(99).message, 'invalid operation 99')
  })
})

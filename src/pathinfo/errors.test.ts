/** Every pathinfo error class: its name and stable code (STYLE.md: one table test per folder). */
import assert from 'node:assert/strict'
import { NixError } from '../errors.js'
import {
  BadPathInfoError, CorruptPathInfoError, DbBusyError, DbSchemaError, NotContentAddressedError,
  PathInUseError, RealisationError, ReferenceCycleError, showPaths,
} from './errors.js'

const TABLE: Array<[NixError, string, string]> = [
  [new PathInUseError('m'), 'PathInUseError', 'ERR_PATH_IN_USE'],
  [new ReferenceCycleError('m'), 'ReferenceCycleError', 'ERR_REFERENCE_CYCLE'],
  [new DbSchemaError('m'), 'DbSchemaError', 'ERR_DB_SCHEMA'],
  [new CorruptPathInfoError('/nix/store/x', 'why'), 'CorruptPathInfoError', 'ERR_CORRUPT_PATH_INFO'],
  [new NotContentAddressedError('/nix/store/x'), 'NotContentAddressedError', 'ERR_NOT_CONTENT_ADDRESSED'],
  [new BadPathInfoError('m'), 'BadPathInfoError', 'ERR_BAD_PATH_INFO'],
  [new RealisationError('m'), 'RealisationError', 'ERR_REALISATION'],
  [new DbBusyError('doing', 5), 'DbBusyError', 'ERR_DB_BUSY'],
]

describe('pathinfo: errors', () => {
  for (const [e, name, code] of TABLE) {
    it(`${name} has code ${code}`, () => {
      assert.ok(e instanceof NixError)
      assert.equal(e.name, name)
      assert.equal(e.code, code)
    })
  }
  it('quotes paths like C++ showPaths and shortens long lists', () => {
    assert.equal(showPaths(['/a', '/b']), "'/a', '/b'")
    assert.equal(showPaths(['1', '2', '3', '4', '5', '6', '7'], 5), "'1', '2', '3', '4', '5' and 2 more")
  })
})

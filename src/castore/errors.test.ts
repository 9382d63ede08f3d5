import assert from 'node:assert/strict'
import { NixError } from '../errors.js'
import * as E from './errors.js'

// Every castore error class, its stable code, and one way to build it (undici test/errors.js).
const table: Array<[new (...a: never[]) => Error, string, () => Error]> = [
  [E.InvalidDigestError, 'ERR_CASTORE_DIGEST', () => new E.InvalidDigestError('x')],
  [E.InvalidNameError, 'ERR_CASTORE_NAME', () => new E.InvalidNameError(new Uint8Array(0), 'empty')],
  [E.InvalidSymlinkTargetError, 'ERR_CASTORE_SYMLINK_TARGET', () => new E.InvalidSymlinkTargetError(new Uint8Array(0), 'empty')],
  [E.WrongSortingError, 'ERR_CASTORE_SORTING', () => new E.WrongSortingError(Uint8Array.of(0x61))],
  [E.DuplicateNameError, 'ERR_CASTORE_DUPLICATE_NAME', () => new E.DuplicateNameError(Uint8Array.of(0x61))],
  [E.SizeOverflowError, 'ERR_CASTORE_SIZE_OVERFLOW', () => new E.SizeOverflowError()],
  [E.ProtoDecodeError, 'ERR_CASTORE_PROTO', () => new E.ProtoDecodeError('x')],
  [E.NotFoundError, 'ERR_CASTORE_NOT_FOUND', () => new E.NotFoundError('x')],
  [E.DirectoryClosureError, 'ERR_CASTORE_CLOSURE', () => new E.DirectoryClosureError('x')],
  [E.CorruptObjectError, 'ERR_CASTORE_CORRUPT', () => new E.CorruptObjectError('x')],
  [E.CastoreConfigError, 'ERR_CASTORE_CONFIG', () => new E.CastoreConfigError('x')],
  [E.InvalidSizeError, 'ERR_CASTORE_SIZE', () => new E.InvalidSizeError('file size', -1n)],
  [E.WriterStateError, 'ERR_CASTORE_WRITER', () => new E.WriterStateError('blob writer: closed twice')],
  [E.DestinationExistsError, 'ERR_CASTORE_EXISTS', () => new E.DestinationExistsError('/x')],
  [E.UnsupportedFileTypeError, 'ERR_CASTORE_FILE_TYPE', () => new E.UnsupportedFileTypeError('/x')],
]

describe('castore errors', () => {
  for (const [cls, code, make] of table) {
    it(`${cls.name} has code ${code}`, () => {
      const e = make()
      assert.ok(e instanceof cls && e instanceof E.CastoreError && e instanceof NixError)
      assert.equal(e.name, cls.name)
      assert.equal((e as NixError).code, code)
      assert.match(e.message, /^[^A-Z]/, 'messages start lowercase')
    })
  }
  it('covers every exported error class', () => {
    const exported = Object.values(E).filter((v): v is typeof E.CastoreError => typeof v === 'function' && v.prototype instanceof E.CastoreError)
    for (const c of exported) assert.ok(table.some(([t]) => t === c), `${c.name} is in the table`)
  })
})

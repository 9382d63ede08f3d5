import assert from 'node:assert/strict'
import { NixError } from '../errors.js'
import { ProtocolError } from '../wire/index.js'
import {
  BadArchiveError, NarContractError, NarDepthError, NarDumpError, NarEncodeError, NarLimitError, NarListingError, NarMagicError, NarNameError, NarOrderError,
  NarPaddingError, NarRestoreError, NarSymlinkError, NarTagError, NarTrailingDataError, NarTruncatedError,
} from './errors.js'

const name = new TextEncoder().encode('x')

/** Every NAR error class: its name, stable code, family, and message prefix. */
const TABLE: Array<[NixError, string, string, boolean]> = [
  [new BadArchiveError('m'), 'BadArchiveError', 'ERR_NAR_BAD_ARCHIVE', true],
  [new NarMagicError(), 'NarMagicError', 'ERR_NAR_MAGIC', true],
  [new NarTagError('m'), 'NarTagError', 'ERR_NAR_TAG', true],
  [new NarNameError(name), 'NarNameError', 'ERR_NAR_NAME', true],
  [new NarOrderError(name, name), 'NarOrderError', 'ERR_NAR_ORDER', true],
  [new NarPaddingError('m'), 'NarPaddingError', 'ERR_NAR_PADDING', true],
  [new NarTruncatedError('m'), 'NarTruncatedError', 'ERR_NAR_TRUNCATED', true],
  [new NarLimitError('m', 2, 1), 'NarLimitError', 'ERR_NAR_LIMIT', true],
  [new NarSymlinkError(name), 'NarSymlinkError', 'ERR_NAR_SYMLINK', true],
  [new NarDepthError(64), 'NarDepthError', 'ERR_NAR_DEPTH', true],
  [new NarTrailingDataError(1), 'NarTrailingDataError', 'ERR_NAR_TRAILING', true],
  [new NarContractError('m'), 'NarContractError', 'ERR_NAR_CONTRACT', false],
  [new NarEncodeError('m'), 'NarEncodeError', 'ERR_NAR_ENCODE', false],
  [new NarDumpError('m'), 'NarDumpError', 'ERR_NAR_DUMP', false],
  [new NarRestoreError('m'), 'NarRestoreError', 'ERR_NAR_RESTORE', false],
  [new NarListingError('/a', 'm'), 'NarListingError', 'ERR_NAR_LISTING', false],
]

describe('NAR errors', () => {
  for (const [e, cls, code, bad] of TABLE) {
    it(`${cls} has code ${code}`, () => {
      assert.equal(e.name, cls)
      assert.equal(e.code, code)
      assert.ok(e instanceof NixError)
      assert.equal(e instanceof ProtocolError, bad, 'bad archives (and only they) close the connection')
      if (bad) assert.match(e.message, /^bad archive: /)
    })
  }
})

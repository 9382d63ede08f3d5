import assert from 'node:assert/strict'
import { NixError } from '../errors.js'
import { NarInfoCorruptError, BadPathInfoJsonError } from '../narinfo/index.js'
import { BadKeyError } from '../signing/index.js'
import { BadContentAddressError, BadHashError, BadPathInfoError, BadStorePathInputsError, BadStoreReferenceError, InvalidPathError } from './index.js'

// Every error class of store-path, narinfo and signing, with its stable code.
const table: Array<[new (m: string) => NixError, string]> = [
  [BadHashError, 'ERR_BAD_HASH'],
  [InvalidPathError, 'ERR_INVALID_PATH'],
  [BadContentAddressError, 'ERR_BAD_CONTENT_ADDRESS'],
  [BadStoreReferenceError, 'ERR_BAD_STORE_REFERENCE'],
  [BadStorePathInputsError, 'ERR_BAD_STORE_PATH_INPUTS'],
  [BadPathInfoError, 'ERR_BAD_PATH_INFO'],
  [NarInfoCorruptError, 'ERR_NARINFO_CORRUPT'],
  [BadPathInfoJsonError, 'ERR_BAD_PATH_INFO_JSON'],
  [BadKeyError, 'ERR_BAD_KEY'],
]

describe('store-path, narinfo and signing errors', () => {
  for (const [Class, code] of table) {
    it(`${Class.name} has code ${code}`, () => {
      const e = new Class('boom')
      assert.ok(e instanceof NixError)
      assert.equal(e.name, Class.name)
      assert.equal(e.code, code)
      assert.equal(e.message, 'boom')
    })
  }
})

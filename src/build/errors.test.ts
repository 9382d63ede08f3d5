/** Every build error class: its name and stable code (STYLE.md: one table test per folder). */
import assert from 'node:assert/strict'
import { NixError } from '../errors.js'
import { BuildStatus } from '../store-path/index.js'
import { BuildCancelledError, BuildError, BuiltinBuilderError } from './errors.js'

const TABLE: Array<[NixError, string, string]> = [
  [new BuildError(BuildStatus.PermanentFailure, 'm'), 'BuildError', 'ERR_BUILD'],
  [new BuildCancelledError('m'), 'BuildCancelledError', 'ERR_BUILD_CANCELLED'],
  [new BuiltinBuilderError('m', ['t']), 'BuiltinBuilderError', 'ERR_BUILTIN_BUILDER'],
]

describe('build: errors', () => {
  for (const [e, name, code] of TABLE) {
    it(`${name} has code ${code}`, () => {
      assert.ok(e instanceof NixError)
      assert.equal(e.name, name)
      assert.equal(e.code, code)
    })
  }
  it('a BuildError carries its BuildResult status', () => {
    assert.equal(new BuildError(BuildStatus.TimedOut, 'x').status, BuildStatus.TimedOut)
  })
})

/**
 * The JS RegExp fast path against the libstdc++ executor port (which cpp-regex.test.ts checks
 * against C++ Nix): on generated patterns, wherever `compilePosixEre` chooses the fast path,
 * both must give the same matches. This checks the equivalence argument of js-translate.ts on
 * far more patterns than the goldens hold.
 */
import assert from 'node:assert/strict'
import { compilePosixEre } from '../../../src/eval/regex/index.js'
import { generateCases } from './generate.js'

describe('regex: fast path equals the executor', () => {
  it('agrees with the executor on 3000 generated patterns wherever it is chosen', () => {
    let checked = 0
    for (const c of generateCases(7, 3000)) {
      let re
      try { re = compilePosixEre(c.pattern) } catch { continue }
      const fp = re.fastPaths
      if (!fp.match && !fp.split) continue
      for (const s of c.subjects) {
        if (fp.match) assert.deepEqual(re.matchWhole(s), re.matchWholeSlow(s), `match ${JSON.stringify(c.pattern)} ${JSON.stringify(s)}`)
        if (fp.split) assert.deepEqual(re.searchAll(s), re.searchAll(s, true), `split ${JSON.stringify(c.pattern)} ${JSON.stringify(s)}`)
        checked++
      }
    }
    assert.ok(checked > 1000, `only ${checked} fast-path cases`)
  })
})

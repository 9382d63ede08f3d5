/**
 * `builtins.match` / `builtins.split` against C++ Nix 2.34.8: cpp-regex.json (see README.md and
 * capture.ts) holds, for hand-picked and generated patterns, C++'s error message or its results
 * on each subject. Both our paths are checked: the one `compilePosixEre` picks (often a JS
 * RegExp) and the libstdc++-executor port alone.
 */
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { compilePosixEre, type PosixRegex, type SplitPiece } from '../../../src/eval/regex/index.js'
import { repoRoot } from '../../support/paths.js'
import { generateCases, handPicked } from './generate.js'

interface Golden {
  capturedWith: string
  seed: number
  generated: number
  tooSlowInCpp: string[]
  cases: Array<{
    pattern: string
    error?: string
    results?: Array<{ subject: string; match: Array<string | null> | null; split: SplitPiece[] }>
  }>
}

const golden = JSON.parse(readFileSync(join(repoRoot, 'test', 'golden', 'eval-regex', 'cpp-regex.json'), 'utf8')) as Golden

function slowSplit(re: PosixRegex, s: string): SplitPiece[] {
  const ms = re.searchAll(s, true)
  if (ms.length === 0) return [s]
  const out: SplitPiece[] = []
  let prev = 0
  for (const m of ms) { out.push(s.slice(prev, m.start), m.groups); prev = m.end }
  out.push(s.slice(prev))
  return out
}

describe(`regex: match and split against ${golden.capturedWith}`, () => {
  it('covers at least 300 pattern/subject pairs and 50 rejected patterns', () => {
    const pairs = golden.cases.reduce((n, c) => n + (c.results?.length ?? 0), 0)
    assert.ok(pairs >= 300, `${pairs} pairs`)
    assert.ok(golden.cases.filter((c) => c.error !== undefined).length >= 50)
  })

  it('was captured from the current generator (regenerate with capture.ts after changing it)', () => {
    const ours = new Set([...handPicked, ...generateCases(golden.seed, golden.generated)].map((c) => c.pattern))
    const theirs = new Set([...golden.cases.map((c) => c.pattern), ...golden.tooSlowInCpp])
    assert.deepEqual(theirs, ours)
  })

  for (const c of golden.cases) {
    it(`${JSON.stringify(c.pattern)}${c.error !== undefined ? ' is rejected' : ''}`, () => {
      if (c.error !== undefined) {
        assert.throws(() => compilePosixEre(c.pattern), (e: Error) => e.message === c.error)
        return
      }
      const re = compilePosixEre(c.pattern)
      for (const r of c.results!) {
        const what = `subject ${JSON.stringify(r.subject)}`
        assert.deepEqual(re.matchWhole(r.subject), r.match, `match, ${what}`)
        assert.deepEqual(re.matchWholeSlow(r.subject), r.match, `match (executor), ${what}`)
        assert.deepEqual(re.split(r.subject), r.split, `split, ${what}`)
        assert.deepEqual(slowSplit(re, r.subject), r.split, `split (executor), ${what}`)
      }
    })
  }
})

import assert from 'node:assert/strict'
import { NixError } from '../../errors.js'
import { compilePosixEre, InvalidRegexError, RegexTooLargeError } from './index.js'

describe('regex errors', () => {
  it('have stable names, codes and C++ Nix messages', () => {
    const a = new InvalidRegexError('a{,3}', 'badbrace', 'interval without a count')
    assert.ok(a instanceof NixError)
    assert.equal(a.name, 'InvalidRegexError')
    assert.equal(a.code, 'ERR_INVALID_REGEX')
    assert.equal(a.message, "invalid regular expression 'a{,3}'")
    const b = new RegexTooLargeError('a{99999}')
    assert.ok(b instanceof NixError)
    assert.equal(b.name, 'RegexTooLargeError')
    assert.equal(b.code, 'ERR_REGEX_TOO_LARGE')
    assert.equal(b.message, "memory limit exceeded by regular expression 'a{99999}'")
  })

  it('are cached and rethrown', () => {
    let first: unknown
    try { compilePosixEre('(') } catch (e) { first = e }
    assert.ok(first instanceof InvalidRegexError)
    assert.throws(() => compilePosixEre('('), (e) => e === first)
  })
})

describe('regex fast path', () => {
  // Which patterns run on V8's RegExp; the golden tests check both paths give C++'s results.
  const table: Array<[string, boolean, boolean]> = [
    // pattern, match on JS, split on JS
    ['\n', true, true],
    ['\\.', true, true],
    ['([^/]*)/(.*)', true, true],
    ['(.*)\\.(tar|zip)', true, false], // `|`: split keeps looking for a longer match
    ['[[:space:]]+', true, true],
    ['a*', true, false], // split: nullable
    ['(a*)*', false, false], // quantified nullable body
    ['(a?)+', false, false],
    ['((a)|b)+', false, false], // group 2 not set on every iteration
    ['((a)b)+', true, true],
    ['^([0-9][0-9.]*)(.*)$', true, true],
  ]
  for (const [p, m, s] of table) {
    it(`${JSON.stringify(p)}: match ${m ? 'JS' : 'executor'}, split ${s ? 'JS' : 'executor'}`, () => {
      assert.deepEqual(compilePosixEre(p).fastPaths, { match: m, split: s })
    })
  }
})

describe('regex executor', () => {
  it('matches subjects far longer than the JS stack allows recursion for', () => {
    const s = 'ab'.repeat(500_000)
    // `(a|b)*` keeps the executor (a quantified group that is not on every path would not,
    // but this one is: force the executor anyway).
    const re = compilePosixEre('((a|b)*)c?')
    assert.deepEqual(re.matchWholeSlow(s), [s, 'b'])
    assert.equal(re.searchAll(s, true).length, 2) // the whole string, then the empty match at its end
  })

  it('keeps captures of earlier iterations (libstdc++ does not reset them)', () => {
    assert.deepEqual(compilePosixEre('(a|(b))*').matchWhole('ba'), ['a', 'b'])
  })

  it('prefers the greedy repeat over a longer alternative when searching', () => {
    assert.deepEqual(compilePosixEre('a*(b|abc)').split('xabc'), ['x', ['b'], 'c'])
  })

  it('works on bytes: `.` takes one byte of a UTF-8 sequence', () => {
    assert.deepEqual(compilePosixEre('(.)(.*)').matchWhole('\u00c3\u00a9'), ['\u00c3', '\u00a9'])
  })
})

/**
 * The regex cases of the C++ Nix 2.34.8 lang suite (tests/functional/lang, read in place):
 *
 * - eval-okay-regex-match.nix and eval-okay-regex-split.nix are lists of `assert`s; their
 *   operands and expected values are transcribed below;
 * - eval-okay-regex-match2.nix maps `builtins.match` over (regex, string) pairs taken from
 *   nixpkgs; the pairs come from cpp-regex.json (C++ Nix parsed the file's indented strings)
 *   and our results, printed as `nix-instantiate --eval --strict` prints them, must equal the
 *   upstream `.exp` byte for byte.
 */
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { compilePosixEre, type Captures, type SplitPiece } from '../../../src/eval/regex/index.js'
import { fixture, skipBecause } from '../../support/env.js'
import { repoRoot } from '../../support/paths.js'

const match = (re: string, s: string): Captures | null => compilePosixEre(re).matchWhole(s)
const split = (re: string, s: string): SplitPiece[] => compilePosixEre(re).split(s)

describe('regex: lang suite eval-okay-regex-match', () => {
  const matches = (re: string, s: string): boolean => match(re, s) !== null
  it('matches and rejects as the asserts say', () => {
    assert.ok(matches('foobar', 'foobar'))
    assert.ok(matches('fo*', 'f'))
    assert.ok(!matches('fo+', 'f'))
    assert.ok(matches('fo*', 'fo'))
    assert.ok(matches('fo*', 'foo'))
    assert.ok(matches('fo+', 'foo'))
    assert.ok(matches('fo{1,2}', 'foo'))
    assert.ok(!matches('fo{1,2}', 'fooo'))
    assert.ok(!matches('fo*', 'foobar'))
    assert.ok(matches('[[:space:]]+([^[:space:]]+)[[:space:]]+', '  foo   '))
    assert.ok(!matches('[[:space:]]+([[:upper:]]+)[[:space:]]+', '  foo   '))
  })
  it('captures as the asserts say', () => {
    assert.deepEqual(match('(.*)\\.nix', 'foobar.nix'), ['foobar'])
    assert.deepEqual(match('[[:space:]]+([[:upper:]]+)[[:space:]]+', '  FOO   '), ['FOO'])
    const splitFN = (s: string): Captures | null => match('((.*)/)?([^/]*)\\.(nix|cc)', s)
    assert.deepEqual(splitFN('/path/to/foobar.nix'), ['/path/to/', '/path/to', 'foobar', 'nix'])
    assert.deepEqual(splitFN('foobar.cc'), [null, null, 'foobar', 'cc'])
  })
})

describe('regex: lang suite eval-okay-regex-split', () => {
  const table: Array<[string, string, SplitPiece[]]> = [
    ['foobar', 'foobar', ['', [], '']],
    ['fo*', 'f', ['', [], '']],
    ['fo+', 'f', ['f']],
    ['fo*', 'fo', ['', [], '']],
    ['fo*', 'foo', ['', [], '']],
    ['fo+', 'foo', ['', [], '']],
    ['fo{1,2}', 'foo', ['', [], '']],
    ['fo{1,2}', 'fooo', ['', [], 'o']],
    ['fo*', 'foobar', ['', [], 'bar']],
    ['(fo*)', 'f', ['', ['f'], '']],
    ['(fo+)', 'f', ['f']],
    ['(fo*)', 'fo', ['', ['fo'], '']],
    ['(f)(o*)', 'f', ['', ['f', ''], '']],
    ['(f)(o*)', 'foo', ['', ['f', 'oo'], '']],
    ['(fo+)', 'foo', ['', ['foo'], '']],
    ['(fo{1,2})', 'foo', ['', ['foo'], '']],
    ['(fo{1,2})', 'fooo', ['', ['foo'], 'o']],
    ['(fo*)', 'foobar', ['', ['foo'], 'bar']],
    ['(o+)', 'oooofoooo', ['', ['oooo'], 'f', ['oooo'], '']],
    ['(b)', 'foobarbaz', ['foo', ['b'], 'ar', ['b'], 'az']],
    ['[[:space:]]+|([\',.!?])', 'Nix Rocks!\nThat\'s why I use it.\n', [
      'Nix', [null], 'Rocks', ['!'], '', [null], 'That', ['\''], 's', [null], 'why', [null], 'I', [null],
      'use', [null], 'it', ['.'], '', [null], '',
    ]],
    ['(a)b', 'abc', ['', ['a'], 'c']],
    ['([ac])', 'abc', ['', ['a'], 'b', ['c'], '']],
    ['(a)|(c)', 'abc', ['', ['a', null], 'b', [null, 'c'], '']],
    ['([[:upper:]]+)', '  FOO   ', ['  ', ['FOO'], '   ']],
  ]
  for (const [re, s, want] of table) {
    it(`split ${JSON.stringify(re)} ${JSON.stringify(s)}`, () => assert.deepEqual(split(re, s), want))
  }
})

/** A list of capture lists as `nix-instantiate --eval --strict` prints it. */
function showNix(v: Array<Captures | null>): string {
  const str = (s: string): string => '"' + s.replace(/[\\"\n\r\t]|\$\{/g, (c) =>
    c === '\n' ? '\\n' : c === '\r' ? '\\r' : c === '\t' ? '\\t' : '\\' + c) + '"'
  const item = (x: Captures | null): string => x === null ? 'null'
    : x.length === 0 ? '[ ]' : '[ ' + x.map((y) => (y === null ? 'null' : str(y))).join(' ') + ' ]'
  return '[ ' + v.map(item).join(' ') + ' ]\n'
}

describe('regex: lang suite eval-okay-regex-match2 (nixpkgs patterns)', () => {
  it('prints the upstream .exp', function () {
    const exp = fixture('nixos-nix-2.34.8', 'tests', 'functional', 'lang', 'eval-okay-regex-match2.exp')
    if (exp === undefined) skipBecause(this, 'lang suite fixtures (../shared/fixtures) not present')
    const golden = JSON.parse(readFileSync(join(repoRoot, 'test', 'golden', 'eval-regex', 'cpp-regex.json'), 'utf8')) as { langMatch2Pairs: Array<{ re: string; str: string }> }
    assert.equal(golden.langMatch2Pairs.length, 218)
    const ours = showNix(golden.langMatch2Pairs.map(({ re, str }) => match(re, str)))
    assert.equal(ours, readFileSync(exp, 'utf8'))
  })
})

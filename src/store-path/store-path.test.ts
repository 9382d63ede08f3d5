import assert from 'node:assert/strict'
import fc from 'fast-check'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { canonPath, checkName, InvalidPathError, NIX32_ALPHABET, StoreDir, StorePath } from './index.js'

const HASH = 'g1w7hy3qg1w7hy3qg1w7hy3qg1w7hy3q'
const store = new StoreDir()
const throwsPath = (f: () => unknown, message: string) => assert.throws(f, (e: unknown) => e instanceof InvalidPathError && e.message === message)

describe('StorePath', () => {
  // The name cases of C++ libstore-tests/path.cc (TEST_DONT_PARSE / TEST_DO_PARSE).
  const bad = ['', '&*()', '**', '*,foo', 'foo,*', 'foo!o', '.', '..', '..-1', '.-1', '..-a', '.-a']
  const good = ['02345', 'foo', 'FOO', 'foo+bar', 'foo-dev', 'foo_bar', 'foo.txt', 'foo?why', 'foo=foo', '.gitignore', '...a', '...1', '...-', '...']
  for (const name of bad) it(`rejects the name ${JSON.stringify(name)}`, () => {
    assert.throws(() => checkName(name), InvalidPathError)
    assert.throws(() => store.parse(`/nix/store/${HASH}-${name}`), InvalidPathError)
  })
  for (const name of good) it(`accepts the name ${JSON.stringify(name)}`, () => {
    assert.equal(store.parse(`/nix/store/${HASH}-${name}`).name, name)
  })

  it('rejects with the messages of Nix 2.34 (observed with `nix-store -q --hash`)', () => {
    throwsPath(() => store.parse(`/nix/store/${HASH}-`), `path '${HASH}-' is not a valid store path: name must not be empty`)
    throwsPath(() => store.parse(`/nix/store/${HASH.slice(0, 31)}`), `'${HASH.slice(0, 31)}' is too short to be a valid store path`)
    throwsPath(() => store.parse(`/nix/store/${HASH.slice(0, 31)}e-foo`), `store path '${HASH.slice(0, 31)}e-foo' contains illegal base-32 character 'e'`)
    throwsPath(() => store.parse(`/nix/store/G${HASH.slice(1)}-foo`), `store path 'G${HASH.slice(1)}-foo' contains illegal base-32 character 'G'`)
    throwsPath(() => store.parse(`/nix/store/${HASH}-.-x`), `path '${HASH}-.-x' is not a valid store path: name '.-x' is not valid: first dash-separated component must not be '.'`)
    throwsPath(() => store.parse(`/nix/store/${HASH}-a@b`), `path '${HASH}-a@b' is not a valid store path: name 'a@b' contains illegal character '@'`)
    throwsPath(() => store.parse(`/nix/store/${HASH}-foo/bar`), `path '/nix/store/${HASH}-foo/bar' is not in the Nix store`)
    throwsPath(() => checkName('x'.repeat(212)), `name '${'x'.repeat(212)}' must be no longer than 211 characters`)
    checkName('x'.repeat(211))
  })

  it('canonicalises before parsing, and keeps the byte after the hash as given (as C++ does)', () => {
    // `nix-store -q --hash` on these reports "is not valid" (it parsed) in Nix 2.34.
    assert.equal(store.parse(`/nix/store//${HASH}-foo/`).baseName, `${HASH}-foo`)
    assert.equal(store.parse(`/nix/store/./${HASH}-foo`).baseName, `${HASH}-foo`)
    const odd = store.parse(`/nix/store/${HASH}Xfoo`)
    assert.equal(odd.baseName, `${HASH}Xfoo`)
    assert.equal(odd.name, 'foo')
    // a non-ASCII character is several bytes: C++ takes all but the first as the name's start
    // (worked out from C++ StorePath::StorePath, which indexes bytes) and rejects the name
    assert.throws(() => store.parse(`/nix/store/${HASH}\u00e9foo`), InvalidPathError)
    assert.throws(() => store.parse(`/nix/store/${HASH}\ufffdfoo`), InvalidPathError)
    assert.equal(canonPath('/a/./b/../../c//d/'), '/c/d')
  })

  it('finds the store path above a file (toStorePath)', () => {
    const { path, rest } = store.toStorePath(`/nix/store/${HASH}-foo/bin/x`)
    assert.equal(path.baseName, `${HASH}-foo`)
    assert.equal(rest, '/bin/x')
  })

  it('orders by base name and prints with its store dir', () => {
    const a = StorePath.fromBaseName(`${HASH}-b`)
    const b = StorePath.fromBaseName(`n5wkd9frr45pa74if5gpz9j7mifg27fh-a`)
    assert.deepEqual([b, a].sort(StorePath.compare), [a, b])
    const dir = join(tmpdir(), 'x', 'store')
    assert.equal(new StoreDir(dir).print(a), `${dir}/${HASH}-b`)
    assert.equal(JSON.stringify(a), `"${HASH}-b"`)
  })

  it('accepts exactly the names of C++ nameRegexStr (path-regex.hh), as its rapidcheck property does', () => {
    const nameRegex = /^(?!\.\.?(-|$))[0-9a-zA-Z+\-._?=]+$/
    const ch = fc.oneof(
      fc.constantFrom(...'aZ09+-._?='.split('')), fc.constantFrom('.', '.', '-', '-'),
      fc.integer({ min: 32, max: 126 }).map(c => String.fromCharCode(c)), fc.constantFrom(' ', '\t', '\n', '\r'),
      fc.integer({ min: 0, max: 255 }).map(c => String.fromCharCode(c)),
    )
    // Without '/': a slash makes it another path (canonPath may even drop a trailing one).
    fc.assert(fc.property(fc.array(ch, { maxLength: 12 }).map(a => a.join('')).filter(n => !n.includes('/')), name => {
      let parsed = true
      try { store.parse(`/nix/store/575s52sh487i0ylmbs9pvi606ljdszr0-${name}`) } catch (e) {
        assert.ok(e instanceof InvalidPathError)
        parsed = false
      }
      assert.equal(parsed, nameRegex.test(name), JSON.stringify(name))
    }), { numRuns: 500 })
  })

  it('parses what it prints (property)', () => {
    const nameChar = fc.constantFrom(...'abcXYZ019+-._?='.split(''))
    const hash = fc.array(fc.constantFrom(...NIX32_ALPHABET.split('')), { minLength: 32, maxLength: 32 }).map(a => a.join(''))
    const name = fc.array(nameChar, { minLength: 1, maxLength: 211 }).map(a => a.join('')).filter(n => {
      try { checkName(n); return true } catch { return false }
    })
    fc.assert(fc.property(hash, name, (h, n) => {
      const p = StorePath.fromParts(h, n)
      assert.ok(store.parse(store.print(p)).equals(p))
    }))
  })
})

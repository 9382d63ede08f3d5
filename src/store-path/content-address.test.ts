import assert from 'node:assert/strict'
import fc from 'fast-check'
import {
  BadContentAddressError, BadHashError, BadStorePathInputsError, type ContentAddressMethod, contentAddressEquals, contentAddressFromJSON, contentAddressToJSON,
  HASH_ALGOS, HASH_SIZE, NixHash, parseContentAddress, parseContentAddressMethodWithAlgo, parseContentAddressOpt, parseMethodPrefix, printContentAddress,
  printContentAddressMethodWithAlgo, printMethodAlgo, StoreDir, StorePath, storePathForContentAddress,
} from './index.js'

const throwsCA = (f: () => unknown, message: string) => assert.throws(f, (e: unknown) => e instanceof BadContentAddressError && e.message === message)

describe('content addresses', () => {
  it('parses and prints the four methods', () => {
    for (const s of [
      'text:sha256:1lr187v6dck1rjh2j6svpikcfz53wyl3qrlcbb405zlh13x0khhh',
      'fixed:sha1:zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz',
      'fixed:r:sha256:1lr187v6dck1rjh2j6svpikcfz53wyl3qrlcbb405zlh13x0khhh',
      'fixed:git:sha1:zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz',
    ]) assert.equal(printContentAddress(parseContentAddress(s)), s)
    // A hex or base-64 digest is accepted and printed back as nix32 (C++ parseNonSRIUnprefixed).
    const ca = parseContentAddress('fixed:r:sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad')
    assert.equal(printContentAddress(ca), 'fixed:r:sha256:1b8m03r63zqhnjf7l5wnldhh7c134ap5vpj0850ymkq1iyzicy5s')
    assert.equal(parseContentAddressOpt(''), undefined)
  })

  it('rejects malformed content addresses with the messages of C++ content-address.cc', () => {
    throwsCA(() => parseContentAddress('sha256'), "not a content address because it is not in the form '<prefix>:<rest>': sha256")
    throwsCA(() => parseContentAddress('foo:sha256:abc'), "content address prefix 'foo' is unrecognized. Recogonized prefixes are 'text' or 'fixed'")
    throwsCA(() => parseContentAddress('fixed:r:sha256'), "content address hash must be in form '<algo>:<hash>', but found: fixed:r:sha256")
    assert.throws(() => parseContentAddress('fixed:r:sha257:abc'), BadHashError)
    assert.throws(() => parseContentAddress('fixed:r:sha256:abc'), BadHashError)
  })

  it('parses methods with algorithm (AddToStore camStr) and legacy prefixes (derivation outputs)', () => {
    const cases: Array<[string, ContentAddressMethod, string]> = [
      ['text:sha256', 'text', 'text:sha256'], ['fixed:sha1', 'flat', 'sha1'], ['fixed:r:sha256', 'nar', 'r:sha256'], ['fixed:git:sha1', 'git', 'git:sha1'],
    ]
    for (const [s, method, legacy] of cases) {
      const m = parseContentAddressMethodWithAlgo(s)
      assert.equal(m.method, method)
      assert.equal(printContentAddressMethodWithAlgo(m), s)
      assert.equal(printMethodAlgo(m), legacy)
      const p = parseMethodPrefix(legacy)
      assert.equal(p.method, method)
      assert.equal(p.rest, m.algo)
    }
    throwsCA(() => parseContentAddressMethodWithAlgo('r:sha256'), "content address prefix 'r' is unrecognized. Recogonized prefixes are 'text' or 'fixed'")
  })

  it('round-trips strings and JSON (property)', () => {
    const methods: ContentAddressMethod[] = ['text', 'flat', 'nar', 'git']
    fc.assert(fc.property(fc.constantFrom(...methods), fc.constantFrom(...HASH_ALGOS), fc.uint8Array({ minLength: 64, maxLength: 64 }), (method, algo, bytes) => {
      const ca = { method, hash: NixHash.fromDigest(algo, bytes.slice(0, HASH_SIZE[algo])) }
      assert.ok(contentAddressEquals(parseContentAddress(printContentAddress(ca)), ca))
      assert.ok(contentAddressEquals(contentAddressFromJSON(JSON.parse(JSON.stringify(contentAddressToJSON(ca)))), ca))
    }))
  })

  it('refuses references where C++ does', () => {
    const store = new StoreDir()
    const ref = StorePath.fromBaseName('n5wkd9frr45pa74if5gpz9j7mifg27fh-foo')
    const h = NixHash.of('sha256', 'x')
    assert.throws(() => storePathForContentAddress(store, 'x', { method: 'text', hash: h }, [], true), BadContentAddressError)
    assert.throws(() => storePathForContentAddress(store, 'x', { method: 'flat', hash: h }, [ref]), BadStorePathInputsError)
    assert.throws(() => storePathForContentAddress(store, 'x', { method: 'git', hash: NixHash.of('md5', 'x') }), BadStorePathInputsError)
    assert.throws(() => storePathForContentAddress(store, 'x', { method: 'text', hash: NixHash.of('sha1', 'x') }), BadStorePathInputsError)
    storePathForContentAddress(store, 'x', { method: 'nar', hash: h }, [ref], true)
  })
})

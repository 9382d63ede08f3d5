import assert from 'node:assert/strict'
import fc from 'fast-check'
import { BadHashError, createHasher, decodeBase64, HASH_ALGOS, HASH_SIZE, type HashAlgo, type HashFormat, NixHash, parseHashFormat, printHash16or32 } from './index.js'

const throwsHash = (f: () => unknown, message: string) => assert.throws(f, (e: unknown) => e instanceof BadHashError && e.message === message)

describe('NixHash', () => {
  it('hashes the RFC test vectors (values from C++ libutil-tests/hash.cc)', () => {
    const cases: Array<[HashAlgo, string, string]> = [
      ['md5', '', 'md5:d41d8cd98f00b204e9800998ecf8427e'],
      ['md5', 'abc', 'md5:900150983cd24fb0d6963f7d28e17f72'],
      ['sha1', 'abc', 'sha1:a9993e364706816aba3e25717850c26c9cd0d89d'],
      ['sha256', 'abc', 'sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad'],
      ['sha512', 'abc', 'sha512:ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f'],
      ['blake3', 'abc', 'blake3:6437b3ac38465133ffb63b75273a8db548c558465d79db03fd359c6cd5bd9d85'],
      ['blake3', 'IETF', 'blake3:83a2de1ee6f4e6ab686889248f4ec0cf4cc5709446a682ffd1cbb4d6165181e2'],
    ]
    for (const [algo, input, expected] of cases) assert.equal(NixHash.of(algo, input).format('base16'), expected)
  })

  it('hashes incrementally the same as in one go', () => {
    for (const algo of HASH_ALGOS) {
      const h = createHasher(algo).update('abcdbcdecdefdefg').update(new TextEncoder().encode('efghfghighijhijkijkljklmklmnlmnomnopnopq')).digest()
      assert.ok(h.equals(NixHash.of(algo, 'abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq')), algo)
    }
  })

  it('prints every format (nix32 of sha256("abc") from tests/functional/hash.sh)', () => {
    const h = NixHash.of('sha256', 'abc')
    assert.equal(h.format('nix32', false), '1b8m03r63zqhnjf7l5wnldhh7c134ap5vpj0850ymkq1iyzicy5s')
    assert.equal(h.format('sri'), 'sha256-ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0=')
    assert.equal(h.format('base64'), 'sha256:ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0=')
    assert.equal(h.toString(), 'sha256:1b8m03r63zqhnjf7l5wnldhh7c134ap5vpj0850ymkq1iyzicy5s')
    assert.equal(printHash16or32(NixHash.of('md5', '')), 'd41d8cd98f00b204e9800998ecf8427e')
    assert.equal(printHash16or32(h), '1b8m03r63zqhnjf7l5wnldhh7c134ap5vpj0850ymkq1iyzicy5s')
  })

  it('parses leniently where Nix 2.34 does (observed with `nix hash convert --to base16`)', () => {
    const hex = 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad'
    for (const s of [
      'sha256-ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0', // SRI without padding
      'sha256-ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0=garbage', // decoding stops at '='
      'sha256-ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa1=', // leftover bits ignored
      'sha256:ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0=',
      'sha256:BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD',
    ]) assert.equal(NixHash.parseAny(s).toBase16(), hex, s)
    assert.equal(NixHash.parseAny('sha1:zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz').toBase16(), 'f'.repeat(40))
  })

  it('rejects bad hashes with the messages of Nix 2.34 (observed with `nix hash convert`)', () => {
    throwsHash(() => NixHash.parseAny('sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015aZ'),
      "invalid base16 hash 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015aZ', length 0 != expected length 32")
    throwsHash(() => NixHash.parseAny('sha256:1b8m03r63zqhnjf7l5wnldhh7c134ap5vpj0850ymkq1iyzicy5e'),
      "invalid nix32 hash '1b8m03r63zqhnjf7l5wnldhh7c134ap5vpj0850ymkq1iyzicy5e', length 0 != expected length 32")
    throwsHash(() => NixHash.parseAny('sha256:' + 'z'.repeat(52)), `invalid nix32 hash '${'z'.repeat(52)}', length 33 != expected length 32`)
    throwsHash(() => NixHash.parseAny('sha256-ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa=='),
      "invalid SRI hash 'ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa==', length 31 != expected length 32")
    throwsHash(() => NixHash.parseAny('sha256-ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAF$='),
      "invalid SRI hash 'ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAF$=', length 0 != expected length 32")
    throwsHash(() => NixHash.parseAny('foo-bar'), "unknown hash algorithm 'foo', expect 'blake3', 'md5', 'sha1', 'sha256', or 'sha512'")
    throwsHash(() => NixHash.parseAny('sha256:abc'), "hash 'abc' has wrong length for hash algorithm 'sha256'")
    throwsHash(() => NixHash.parseAny('ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0='),
      "hash 'ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0=' does not include a type, nor is the type otherwise known from context")
    // Messages below are from C++ hash.cc (parseAny, parseAnyPrefixed, parseSRI).
    throwsHash(() => NixHash.parseAny('sha1:a9993e364706816aba3e25717850c26c9cd0d89d', 'sha256'), "hash 'sha1:a9993e364706816aba3e25717850c26c9cd0d89d' should have type 'sha256'")
    throwsHash(() => NixHash.parsePrefixed('a9993e364706816aba3e25717850c26c9cd0d89d'), "hash 'a9993e364706816aba3e25717850c26c9cd0d89d' does not include a type")
    throwsHash(() => NixHash.parseSRI('abc'), "hash 'abc' is not SRI")
    throwsHash(() => NixHash.parseExplicit('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad', 'sha256', 'nix32'),
      "invalid nix32 hash 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad', length 0 != expected length 32")
  })

  it('takes a bare digest when the algorithm is known from context', () => {
    const h = NixHash.parseAny('1b8m03r63zqhnjf7l5wnldhh7c134ap5vpj0850ymkq1iyzicy5s', 'sha256')
    assert.equal(h.toBase16(), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad')
  })

  it('decodes base-64 like Nix (skips newlines, stops at =)', () => {
    assert.deepEqual([...decodeBase64('YW\nJj')], [97, 98, 99])
    assert.deepEqual([...decodeBase64('YWI=Yw==')], [97, 98])
    assert.throws(() => decodeBase64('YW*j'), BadHashError)
  })

  it('names hash formats as Nix does, with base32 as an alias', () => {
    assert.equal(parseHashFormat('base32'), 'nix32')
    assert.throws(() => parseHashFormat('sha0042'), BadHashError)
  })

  it('parses what it prints, in every format (property)', () => {
    const formats: HashFormat[] = ['base16', 'nix32', 'base64', 'sri']
    fc.assert(fc.property(fc.constantFrom(...HASH_ALGOS), fc.constantFrom(...formats), fc.boolean(), fc.uint8Array({ minLength: 64, maxLength: 64 }), (algo, fmt, withAlgo, bytes) => {
      const h = NixHash.fromDigest(algo, bytes.slice(0, HASH_SIZE[algo]))
      const s = h.format(fmt, withAlgo)
      const back = fmt === 'sri' || withAlgo ? NixHash.parsePrefixed(s) : NixHash.parseAny(s, algo)
      assert.ok(back.equals(h))
      assert.ok(NixHash.parseExplicit(h.format(fmt, false).replace(/^[a-z0-9]+-/, ''), algo, fmt).equals(h))
    }))
  })
})

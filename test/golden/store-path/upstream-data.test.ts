/**
 * The characterisation data of C++ Nix 2.34.8 (libutil-tests/data/hash, libstore-tests/data/
 * {store-path,content-address,store-reference}) read in place. The expected values of the
 * parse direction are the objects the C++ tests compare with (libutil-tests/hash.cc,
 * libstore-tests/{path,content-address,store-reference}.cc), transcribed here.
 */
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import {
  contentAddressFromJSON, contentAddressToJSON, NixHash, parseStoreReference, renderStoreReference, StorePath, type StoreReference, storeReferenceEquals,
} from '../../../src/store-path/index.js'
import { fixture, skipBecause } from '../../support/env.js'

const util = fixture('nixos-nix-2.34.8', 'src', 'libutil-tests', 'data')
const store = fixture('nixos-nix-2.34.8', 'src', 'libstore-tests', 'data')
const read = (dir: string | undefined, ...p: string[]) => readFileSync(join(dir!, ...p), 'utf8')

describe('golden: upstream store-path data (Nix 2.34.8)', function () {
  before(function () { if (!util || !store) skipBecause(this, 'fixtures/nixos-nix-2.34.8 not present') })

  it('hash/*.json: SRI strings of hashString(algo, "asdf")', () => {
    // blake3.json is BLAKE3("asdf"); sha256.json is SHA-256("asdf"); upstream's sha512.json holds the same SHA-256.
    assert.equal(JSON.parse(read(util, 'hash', 'blake3.json')), NixHash.of('blake3', 'asdf').toJSON())
    assert.equal(JSON.parse(read(util, 'hash', 'sha256.json')), NixHash.of('sha256', 'asdf').toJSON())
    for (const f of ['blake3.json', 'sha256.json', 'sha512.json']) {
      const text = read(util, 'hash', f)
      assert.equal(JSON.stringify(NixHash.fromJSON(JSON.parse(text))), text.trim(), f)
    }
  })

  it('store-path/simple.json', () => {
    const text = read(store, 'store-path', 'simple.json')
    const p = StorePath.fromBaseName(JSON.parse(text))
    assert.equal(p.name, 'foo.drv')
    assert.equal(JSON.stringify(p), text.trim())
  })

  it('content-address/*.json: from and to JSON', () => {
    // libstore-tests/content-address.cc: text = hashString(SHA256, "asdf"), nar = hashString(SHA256, "qwer").
    const cases = { text: NixHash.of('sha256', 'asdf'), nar: NixHash.of('sha256', 'qwer') }
    for (const [method, hash] of Object.entries(cases)) {
      const text = read(store, 'content-address', `${method}.json`)
      const ca = contentAddressFromJSON(JSON.parse(text))
      assert.equal(ca.method, method)
      assert.ok(ca.hash.equals(hash), method)
      assert.equal(JSON.stringify(contentAddressToJSON(ca), null, 2), text.trim())
    }
  })

  describe('store-reference/*.txt', () => {
    const ref = (variant: StoreReference['variant'], params: Record<string, string> = {}): StoreReference => ({ variant, params: new Map(Object.entries(params)) })
    const spec = (scheme: string, authority: string) => ({ kind: 'specified' as const, scheme, authority })
    const local1 = ref(spec('local', ''), { root: '/foo/bar/baz' })
    const local2 = ref(spec('local', '/foo/bar/baz'), { trusted: 'true' })
    const local3 = ref(spec('local', ''), { root: '/foo bar/baz' })
    const unix = ref(spec('unix', ''), { 'max-connections': '7', trusted: 'true' })
    const v6 = 'fea5:23e1:3916:fc24:cb52:2837:2ecb:ea8e'
    const ab = { a: 'b', c: 'd' }
    // [stem, expected, also printed back byte-for-byte (URI_TEST) or parse only (URI_TEST_READ)]
    const cases: Array<[string, StoreReference, boolean]> = [
      ['auto', ref({ kind: 'auto' }), true],
      ['auto_param', ref({ kind: 'auto' }, { root: '/foo/bar/baz' }), true],
      ['local_1', local1, true],
      ['local_2', local2, true],
      ['local_3', local3, true],
      ['local_3_no_percent', local3, false],
      ['local_shorthand_1', local1, false],
      ['local_shorthand_path_unix', local2, false],
      ['local_shorthand_3', ref({ kind: 'local' }), true],
      ['unix', unix, true],
      ['unix_shorthand', unix, false],
      ['ssh', ref(spec('ssh', 'localhost')), true],
      ['daemon_shorthand', ref({ kind: 'daemon' }), true],
      ['ssh_unbracketed_ipv6_1', ref(spec('ssh', '[::1]')), false],
      ['ssh_unbracketed_ipv6_2', ref(spec('ssh', `userinfo@[${v6}]`)), false],
      ['ssh_unbracketed_ipv6_3', ref(spec('ssh', `userinfo@[${v6}]`), ab), false],
      ['ssh_unbracketed_ipv6_4', ref(spec('ssh', `userinfo@[${v6}%25eth0]`), ab), false],
      ['ssh_unbracketed_ipv6_5', ref(spec('ssh', `userinfo@[${v6}%25eth0]`), ab), false],
      ['ssh_unbracketed_ipv6_6', ref(spec('ssh', `userinfo@[${v6}%2525]`), ab), false],
      ['ssh_unbracketed_ipv6_7', ref(spec('ssh', `userinfo@[${v6}%25eth0]`), ab), false],
      ['ssh_unbracketed_ipv6_8', ref(spec('ssh', `[${v6}%25eth0]`), ab), false],
      ['ssh_unbracketed_ipv6_9', ref(spec('ssh', `[${v6}%25eth0]`)), false],
    ]
    for (const [stem, expected, roundTrip] of cases) {
      it(stem, () => {
        const text = read(store, 'store-reference', `${stem}.txt`)
        const got = parseStoreReference(text)
        assert.ok(storeReferenceEquals(got, expected), `${JSON.stringify(got.variant)} ${JSON.stringify([...got.params])}`)
        if (roundTrip) assert.equal(renderStoreReference(expected), text)
      })
    }
  })
})

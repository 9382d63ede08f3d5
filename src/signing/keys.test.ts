import assert from 'node:assert/strict'
import fc from 'fast-check'
import { NixHash, StoreDir, StorePath } from '../store-path/index.js'
import { BadKeyError, checkPathInfoSignature, countValidSignatures, isContentAddressed, PublicKey, publicKeysOf, SecretKey, signPathInfo, verifyDetached } from './index.js'

const throwsKey = (f: () => unknown, message: string) => assert.throws(f, (e: unknown) => e instanceof BadKeyError && e.message === message)

// The example pair of the Nix manual (`nix key convert-secret-to-public --help`, Nix 2.34).
const MANUAL_SECRET = 'cache.example.org-0:E7lAO+MsPwTFfPXsdPtW8GKui/5ho4KQHVcAGnX+Tti1V4dUxoVoqLyWJ4YESuZJwQ67GVIksDt47og+tPVUZw=='
const MANUAL_PUBLIC = 'cache.example.org-0:tVeHVMaFaKi8lieGBErmScEOuxlSJLA7eO6IPrT1VGc='

describe('signing keys', () => {
  it('converts the manual example secret key to its public key', () => {
    assert.equal(SecretKey.parse(MANUAL_SECRET).toPublicKey().toString(), MANUAL_PUBLIC)
    assert.equal(SecretKey.parse(MANUAL_SECRET + '\n').toString(), MANUAL_SECRET) // stdin's newline is skipped by the decoder
  })

  it('signs deterministically and verifies by key name', () => {
    const sk = SecretKey.parse(MANUAL_SECRET)
    const sig = sk.signDetached('hello')
    assert.equal(sig, sk.signDetached('hello'))
    assert.ok(sig.startsWith('cache.example.org-0:'))
    const keys = publicKeysOf([PublicKey.parse(MANUAL_PUBLIC)])
    assert.equal(verifyDetached('hello', sig, keys), true)
    assert.equal(verifyDetached('hellO', sig, keys), false)
    assert.equal(verifyDetached('hello', 'other:' + sig.split(':')[1], keys), false)
    assert.equal(PublicKey.parse(MANUAL_PUBLIC).verifyDetached('hello', 'other:' + sig.split(':')[1]), false)
  })

  it('generates keys whose public half is that of the seed', () => {
    fc.assert(fc.property(fc.string({ maxLength: 20 }).filter(s => !s.includes(':')), fc.uint8Array({ maxLength: 100 }), (name, data) => {
      const sk = SecretKey.generate(name || 'k')
      const again = SecretKey.parse(sk.toString())
      assert.ok(again.toPublicKey().verifyDetached(data, again.signDetached(data)))
    }), { numRuns: 20 })
  })

  it('rejects malformed keys and signatures with C++ local-keys.cc messages', () => {
    throwsKey(() => SecretKey.parse('abc'), 'key is corrupt')
    throwsKey(() => SecretKey.parse('foo:'), 'key is corrupt')
    throwsKey(() => SecretKey.parse(':abcd'), 'key is corrupt')
    throwsKey(() => SecretKey.parse('foo:abc'), 'secret key is not valid')
    throwsKey(() => PublicKey.parse(MANUAL_SECRET), 'public key is not valid')
    throwsKey(() => SecretKey.parse('foo:ab*c'), "invalid character in Base64 string: '*'")
    throwsKey(() => PublicKey.parse(MANUAL_PUBLIC).verifyDetached('x', 'cache.example.org-0:AAAA'), 'signature is not valid')
  })
})

describe('path info signatures', () => {
  const store = new StoreDir()
  const info = {
    path: StorePath.fromBaseName('k0bq3s4hdvxal217l04jr24n8jm5l29g-dep'),
    deriver: undefined,
    narHash: NixHash.parseAny('sha256:00kjynz8n03652qccs76ivsvark3pr3dfr6w1ba3x7bx83kcknvv'),
    references: [],
    registrationTime: 0,
    narSize: 120,
    ultimate: false,
    sigs: [],
    ca: undefined,
  }

  it('signs the fingerprint and counts valid signatures', () => {
    const sk = SecretKey.parse(MANUAL_SECRET)
    const sig = signPathInfo(store, info, sk)
    const keys = publicKeysOf([sk.toPublicKey()])
    assert.ok(checkPathInfoSignature(store, info, sig, keys))
    assert.equal(countValidSignatures(store, { ...info, sigs: [sig, sig, 'x:' + sig.split(':')[1]] }, keys), 1)
    assert.equal(countValidSignatures(store, { ...info, narSize: 121, sigs: [sig] }, keys), 0)
  })

  it('treats a true content address as infinitely signed', () => {
    // This path was added with `nix-store --add` (Nix 2.8): NAR sha256 = its CA hash.
    const ca = { method: 'nar' as const, hash: info.narHash }
    assert.ok(isContentAddressed(store, { ...info, ca }))
    assert.equal(countValidSignatures(store, { ...info, ca }, new Map()), Infinity)
    assert.ok(!isContentAddressed(store, { ...info, ca: { method: 'flat', hash: info.narHash } }))
  })
})

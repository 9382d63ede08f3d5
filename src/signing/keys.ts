/**
 * Nix's Ed25519 keys and detached signatures (C++ `SecretKey`, `PublicKey`, `verifyDetached`,
 * libutil/signature/local-keys.cc), on node:crypto:
 *
 *   secret key  <name>:<base64 of 64 bytes: 32-byte seed, then the 32-byte public key>
 *   public key  <name>:<base64 of 32 bytes>
 *   signature   <name>:<base64 of 64 bytes>
 *
 * Ed25519 is deterministic, so a signature made here is byte-for-byte the one libsodium makes
 * (for a secret key whose second half is the public key of its seed, as Nix generates them).
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject, sign, verify } from 'node:crypto'
import { BadHashError, decodeBase64, encodeBase64 } from '../store-path/index.js'
import { BadKeyError } from './errors.js'

const SECRET_KEY_BYTES = 64
const PUBLIC_KEY_BYTES = 32
const SIGNATURE_BYTES = 64

/** Split `name:payload`; no colon or an empty name gives empty parts (C++ `BorrowedCryptoValue::parse`). */
export function splitNamed(s: string): { name: string; payload: string } {
  const colon = s.indexOf(':')
  if (colon <= 0) return { name: '', payload: '' }
  return { name: s.slice(0, colon), payload: s.slice(colon + 1) }
}

function decodeKey(s: string): { name: string; key: Uint8Array } {
  const { name, payload } = splitNamed(s)
  if (name === '' || payload === '') throw new BadKeyError('key is corrupt')
  try {
    return { name, key: decodeBase64(payload) }
  } catch (e) {
    if (e instanceof BadHashError) throw new BadKeyError(e.message)
    throw e
  }
}

const b64url = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('base64url')

function publicKeyObject(pub: Uint8Array): KeyObject {
  return createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: b64url(pub) }, format: 'jwk' })
}

export class PublicKey {
  private object: KeyObject | undefined
  private constructor(readonly name: string, readonly key: Uint8Array) {}

  static parse(s: string): PublicKey {
    const { name, key } = decodeKey(s)
    if (key.length !== PUBLIC_KEY_BYTES) throw new BadKeyError('public key is not valid')
    return new PublicKey(name, key)
  }

  static fromBytes(name: string, key: Uint8Array): PublicKey {
    if (key.length !== PUBLIC_KEY_BYTES) throw new BadKeyError('public key is not valid')
    return new PublicKey(name, key)
  }

  toString(): string { return `${this.name}:${encodeBase64(this.key)}` }

  /** True if `sig` (`name:base64`) is this key's signature of `data`; false for another key's name. */
  verifyDetached(data: Uint8Array | string, sig: string): boolean {
    const { name, payload } = splitNamed(sig)
    if (name !== this.name) return false
    return this.verifyDetachedAnon(data, payload)
  }

  /** Verify a bare base-64 signature. Throws BadKeyError if it is not 64 bytes. */
  verifyDetachedAnon(data: Uint8Array | string, sigBase64: string): boolean {
    let sig: Uint8Array
    try { sig = decodeBase64(sigBase64) } catch (e) {
      if (!(e instanceof BadHashError)) throw e
      sig = new Uint8Array(0) // C++ traces the decoding error and carries on with nothing
    }
    if (sig.length !== SIGNATURE_BYTES) throw new BadKeyError('signature is not valid')
    this.object ??= publicKeyObject(this.key)
    return verify(null, typeof data === 'string' ? Buffer.from(data, 'utf8') : data, this.object, sig)
  }
}

export class SecretKey {
  private object: KeyObject | undefined
  private constructor(readonly name: string, readonly key: Uint8Array) {}

  static parse(s: string): SecretKey {
    const { name, key } = decodeKey(s)
    if (key.length !== SECRET_KEY_BYTES) throw new BadKeyError('secret key is not valid')
    return new SecretKey(name, key)
  }

  /** A fresh key pair (C++ `SecretKey::generate`; libsodium `crypto_sign_keypair`). */
  static generate(name: string): SecretKey {
    const jwk = generateKeyPairSync('ed25519').privateKey.export({ format: 'jwk' })
    const seed = Buffer.from(jwk.d!, 'base64url')
    const pub = Buffer.from(jwk.x!, 'base64url')
    return new SecretKey(name, new Uint8Array(Buffer.concat([seed, pub])))
  }

  toString(): string { return `${this.name}:${encodeBase64(this.key)}` }

  /** The public half as stored in the secret key (C++ `crypto_sign_ed25519_sk_to_pk` copies it). */
  toPublicKey(): PublicKey {
    return PublicKey.fromBytes(this.name, this.key.slice(32))
  }

  /** `name:base64(signature)` of `data` (C++ `SecretKey::signDetached`). */
  signDetached(data: Uint8Array | string): string {
    this.object ??= createPrivateKey({
      key: { kty: 'OKP', crv: 'Ed25519', d: b64url(this.key.subarray(0, 32)), x: b64url(this.key.subarray(32)) },
      format: 'jwk',
    })
    const sig = sign(null, typeof data === 'string' ? Buffer.from(data, 'utf8') : data, this.object)
    return `${this.name}:${encodeBase64(new Uint8Array(sig))}`
  }
}

/** Trusted public keys by name (C++ `PublicKeys`). */
export type PublicKeys = ReadonlyMap<string, PublicKey>

export function publicKeysOf(keys: Iterable<PublicKey>): Map<string, PublicKey> {
  return new Map([...keys].map(k => [k.name, k]))
}

/** Verify `sig` with the trusted key of its name, if any (C++ `verifyDetached`). */
export function verifyDetached(data: Uint8Array | string, sig: string, publicKeys: PublicKeys): boolean {
  const { name, payload } = splitNamed(sig)
  const key = publicKeys.get(name)
  if (!key) return false
  return key.verifyDetachedAnon(data, payload)
}

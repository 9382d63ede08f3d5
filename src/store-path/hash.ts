/**
 * NixHash: an algorithm and a digest, parsed from and printed to every form Nix uses —
 * base16, nix32, base64, SRI (`sha256-…`) and `algo:digest` (C++ `Hash`).
 */
import { createHash } from 'node:crypto'
import { BadHashError } from './errors.js'
import { decodeNix32, encodeNix32, nix32Length } from './nixbase32.js'

export type HashAlgo = 'md5' | 'sha1' | 'sha256' | 'sha512'
export type HashFormat = 'base16' | 'nix32' | 'base64' | 'sri'

export const HASH_SIZE: Readonly<Record<HashAlgo, number>> = { md5: 16, sha1: 20, sha256: 32, sha512: 64 }

export function isHashAlgo(s: string): s is HashAlgo {
  return s === 'md5' || s === 'sha1' || s === 'sha256' || s === 'sha512'
}

export function parseHashAlgo(s: string): HashAlgo {
  if (!isHashAlgo(s)) throw new BadHashError(`unknown hash algorithm '${s}', expect 'blake3', 'md5', 'sha1', 'sha256', or 'sha512'`)
  return s
}

const HEX = '0123456789abcdef'

export function encodeBase16(b: Uint8Array): string {
  let s = ''
  for (let i = 0; i < b.length; i++) s += HEX[b[i]! >> 4]! + HEX[b[i]! & 15]!
  return s
}

export function decodeBase16(s: string): Uint8Array {
  if (s.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(s)) throw new BadHashError(`invalid base-16 string ${JSON.stringify(s)}`)
  return Uint8Array.from(Buffer.from(s, 'hex'))
}

export function encodeBase64(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('base64')
}

/** Strict base64 decode (standard alphabet, padding required), as Nix's decoder does. */
export function decodeBase64(s: string): Uint8Array {
  if (s.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(s)) throw new BadHashError(`invalid base-64 string ${JSON.stringify(s)}`)
  return Uint8Array.from(Buffer.from(s, 'base64'))
}

function base64Length(n: number): number { return Math.ceil(n / 3) * 4 }

export class NixHash {
  readonly algo: HashAlgo
  readonly digest: Uint8Array

  private constructor(algo: HashAlgo, digest: Uint8Array) {
    this.algo = algo
    this.digest = digest
  }

  static fromDigest(algo: HashAlgo, digest: Uint8Array): NixHash {
    if (digest.length !== HASH_SIZE[algo]) throw new BadHashError(`${algo} digest must be ${HASH_SIZE[algo]} bytes, got ${digest.length}`)
    return new NixHash(algo, digest)
  }

  /** Hash bytes with node:crypto. */
  static of(algo: HashAlgo, data: Uint8Array | string): NixHash {
    return new NixHash(algo, new Uint8Array(createHash(algo).update(data).digest()))
  }

  /**
   * Parse the digest part alone, choosing the encoding by length (C++ `Hash::parseNonSRIUnprefixed`).
   */
  static parseDigest(s: string, algo: HashAlgo): NixHash {
    const size = HASH_SIZE[algo]
    if (s.length === size * 2) return new NixHash(algo, decodeBase16(s))
    if (s.length === nix32Length(size)) return new NixHash(algo, decodeNix32(s, size))
    if (s.length === base64Length(size)) {
      const d = decodeBase64(s)
      if (d.length !== size) throw new BadHashError(`invalid base-64 hash '${s}'`)
      return new NixHash(algo, d)
    }
    throw new BadHashError(`hash '${s}' has wrong length for hash algorithm '${algo}'`)
  }

  /** `sha256-<base64>` only. */
  static parseSRI(s: string): NixHash {
    const dash = s.indexOf('-')
    if (dash < 0) throw new BadHashError(`hash '${s}' is not SRI`)
    const algo = parseHashAlgo(s.slice(0, dash))
    const rest = s.slice(dash + 1)
    const d = decodeBase64(rest)
    if (d.length !== HASH_SIZE[algo] || rest.length !== base64Length(HASH_SIZE[algo])) throw new BadHashError(`invalid SRI hash '${s}'`)
    return new NixHash(algo, d)
  }

  /**
   * Any form (C++ `Hash::parseAny`): SRI, `algo:digest`, or a bare digest when `algo` is given.
   * If both the string and `algo` name an algorithm they must agree.
   */
  static parseAny(s: string, algo?: HashAlgo): NixHash {
    const colon = s.indexOf(':')
    if (colon >= 0) {
      const a = parseHashAlgo(s.slice(0, colon))
      if (algo && a !== algo) throw new BadHashError(`hash '${s}' should have type '${algo}'`)
      return NixHash.parseDigest(s.slice(colon + 1), a)
    }
    const dash = s.indexOf('-')
    if (dash >= 0 && isHashAlgo(s.slice(0, dash))) {
      const h = NixHash.parseSRI(s)
      if (algo && h.algo !== algo) throw new BadHashError(`hash '${s}' should have type '${algo}'`)
      return h
    }
    if (!algo) throw new BadHashError(`hash '${s}' does not include a type, nor is the type otherwise known from context`)
    return NixHash.parseDigest(s, algo)
  }

  /** `algo:digest` or SRI; the algorithm must be stated (C++ `Hash::parseAnyPrefixed`). */
  static parsePrefixed(s: string): NixHash {
    const colon = s.indexOf(':')
    const dash = s.indexOf('-')
    if (colon < 0 && (dash < 0 || !isHashAlgo(s.slice(0, dash)))) throw new BadHashError(`hash '${s}' does not include a type`)
    return NixHash.parseAny(s)
  }

  toBase16(): string { return encodeBase16(this.digest) }
  toNix32(): string { return encodeNix32(this.digest) }
  toBase64(): string { return encodeBase64(this.digest) }
  toSRI(): string { return `${this.algo}-${this.toBase64()}` }

  /** Print in a format, with or without the `algo:` prefix (SRI always carries its algorithm). */
  format(fmt: HashFormat, withAlgo = true): string {
    switch (fmt) {
      case 'sri': return this.toSRI()
      case 'base16': return (withAlgo ? this.algo + ':' : '') + this.toBase16()
      case 'nix32': return (withAlgo ? this.algo + ':' : '') + this.toNix32()
      case 'base64': return (withAlgo ? this.algo + ':' : '') + this.toBase64()
    }
  }

  equals(o: NixHash): boolean {
    if (o.algo !== this.algo || o.digest.length !== this.digest.length) return false
    for (let i = 0; i < this.digest.length; i++) if (o.digest[i] !== this.digest[i]) return false
    return true
  }

  toString(): string { return this.format('nix32') }
}

/** XOR-fold a digest to `size` bytes (C++ `compressHash`), used for store path hashes. */
export function compressHash(digest: Uint8Array, size: number): Uint8Array {
  const out = new Uint8Array(size)
  for (let i = 0; i < digest.length; i++) out[i % size]! ^= digest[i]!
  return out
}

/** One-shot SHA-256 of bytes or a UTF-8 string. */
export function sha256(data: Uint8Array | string): Uint8Array {
  return new Uint8Array(createHash('sha256').update(data).digest())
}

/**
 * NixHash: an algorithm and a digest, parsed from and printed to every form Nix uses —
 * base16, nix32, base64, SRI (`sha256-…`) and `algo:digest` (C++ `Hash`, libutil/hash.cc).
 *
 * Parsing follows Nix 2.34: the encoding of an unprefixed digest is chosen by its length, a
 * digest that fails to decode reports length 0 (C++ swallows the decoder's error), base-64 is
 * decoded leniently (stops at `=`, ignores trailing bits) and SRI accepts any base-64 length
 * that decodes to the right size. BLAKE3 is accepted without Nix's `blake3-hashes` gate.
 */
import type * as NodeCrypto from 'node:crypto'
import type { Blake3Hasher as Blake3HasherT } from '@napi-rs/blake-hash'
import { createRequire } from 'node:module'
import { BadHashError } from './errors.js'
import { decodeNix32Any, encodeNix32, nix32Length } from './nixbase32.js'

// node:crypto is loaded at first use: it costs ~3 ms, and evaluator start-up does not hash.
let nodeCrypto: typeof NodeCrypto | undefined
const crypto = (): typeof NodeCrypto => (nodeCrypto ??= createRequire(import.meta.url)('node:crypto') as typeof NodeCrypto)

export type HashAlgo = 'blake3' | 'md5' | 'sha1' | 'sha256' | 'sha512'
export type HashFormat = 'base16' | 'nix32' | 'base64' | 'sri'

export const HASH_ALGOS: readonly HashAlgo[] = ['blake3', 'md5', 'sha1', 'sha256', 'sha512']
export const HASH_SIZE: Readonly<Record<HashAlgo, number>> = { blake3: 32, md5: 16, sha1: 20, sha256: 32, sha512: 64 }

export function isHashAlgo(s: string): s is HashAlgo {
  return s === 'sha256' || s === 'sha512' || s === 'sha1' || s === 'md5' || s === 'blake3'
}

export function parseHashAlgo(s: string): HashAlgo {
  if (!isHashAlgo(s)) throw new BadHashError(`unknown hash algorithm '${s}', expect 'blake3', 'md5', 'sha1', 'sha256', or 'sha512'`)
  return s
}

/** `base32` is Nix's deprecated alias of `nix32`. */
export function parseHashFormat(s: string): HashFormat {
  if (s === 'base16' || s === 'nix32' || s === 'base64' || s === 'sri') return s
  if (s === 'base32') return 'nix32'
  throw new BadHashError(`unknown hash format '${s}', expect 'base16', 'base32', 'base64', or 'sri'`)
}

const HEX = '0123456789abcdef'

export function encodeBase16(b: Uint8Array): string {
  // character codes first, then one flat string (a `+=` loop builds a rope of 2n pieces)
  const codes = new Array<number>(b.length * 2)
  for (let i = 0; i < b.length; i++) {
    codes[2 * i] = HEX_CODES[b[i]! >> 4]!
    codes[2 * i + 1] = HEX_CODES[b[i]! & 15]!
  }
  return String.fromCharCode(...codes)
}

const HEX_CODES = Uint8Array.from(HEX, ch => ch.charCodeAt(0))

function hexDigit(c: number): number {
  if (c >= 48 && c <= 57) return c - 48
  if (c >= 97 && c <= 102) return c - 87
  if (c >= 65 && c <= 70) return c - 55
  return -1
}

/** Decode hex (either case); throws BadHashError on an odd length or a non-hex character. */
export function decodeBase16(s: string): Uint8Array {
  if (s.length % 2 !== 0) throw new BadHashError(`invalid base-16 string ${JSON.stringify(s)}: odd length`)
  const out = new Uint8Array(s.length / 2)
  for (let i = 0; i < out.length; i++) {
    const hi = hexDigit(s.charCodeAt(2 * i))
    const lo = hexDigit(s.charCodeAt(2 * i + 1))
    if (hi < 0 || lo < 0) throw new BadHashError(`invalid character in Base16 string: '${s[hi < 0 ? 2 * i : 2 * i + 1]}'`)
    out[i] = (hi << 4) | lo
  }
  return out
}

export function encodeBase64(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('base64')
}

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'
const B64_DIGIT = (() => {
  const t = new Int8Array(256).fill(-1)
  for (let i = 0; i < 64; i++) t[B64.charCodeAt(i)] = i
  return t
})()

/**
 * Base-64 decoding as Nix does it (C++ `base64::decode`): stops at the first `=`, skips newlines,
 * drops leftover bits, and throws BadHashError on any other character outside the alphabet.
 */
export function decodeBase64(s: string): Uint8Array {
  const out = new Uint8Array(Math.floor((s.length * 3) / 4) + 3)
  let n = 0
  let acc = 0
  let bits = 0
  for (let k = 0; k < s.length; k++) {
    const c = s.charCodeAt(k)
    if (c === 61 /* = */) break
    if (c === 10 /* \n */) continue
    const d = c < 256 ? B64_DIGIT[c]! : -1
    if (d < 0) throw new BadHashError(`invalid character in Base64 string: '${s[k]}'`)
    acc = ((acc << 6) | d) & 0xffffff
    bits += 6
    if (bits >= 8) {
      bits -= 8
      out[n++] = (acc >> bits) & 0xff
    }
  }
  return out.slice(0, n)
}

/** Length of padded base-64 for `n` bytes. */
export function base64Length(n: number): number { return Math.ceil(n / 3) * 4 }

/** The decoder and its display name used in C++'s "invalid <name> hash" message. */
interface Decoder { decode(s: string): Uint8Array; name: string }
const DECODERS: Readonly<Record<Exclude<HashFormat, 'sri'>, Decoder>> = {
  base16: { decode: decodeBase16, name: 'base16' },
  nix32: { decode: decodeNix32Any, name: 'nix32' },
  base64: { decode: decodeBase64, name: 'Base64' },
}
const SRI_DECODER: Decoder = { decode: decodeBase64, name: 'SRI' }

/** Pick the encoding of an unprefixed digest from its length (C++ `baseFromSize`). */
function formatFromLength(rest: string, algo: HashAlgo): Exclude<HashFormat, 'sri'> {
  const size = HASH_SIZE[algo]
  if (rest.length === size * 2) return 'base16'
  if (rest.length === nix32Length(size)) return 'nix32'
  if (rest.length === base64Length(size)) return 'base64'
  throw new BadHashError(`hash '${rest}' has wrong length for hash algorithm '${algo}'`)
}

/** Streaming hash state: `update` any number of times, then `digest` once. */
export interface Hasher {
  update(data: Uint8Array | string): this
  digest(): NixHash
}

class NodeHasher implements Hasher {
  private readonly h
  constructor(private readonly algo: Exclude<HashAlgo, 'blake3'>) { this.h = crypto().createHash(algo) }
  update(data: Uint8Array | string): this { this.h.update(data); return this }
  digest(): NixHash { return NixHash.fromDigest(this.algo, new Uint8Array(this.h.digest())) }
}

// The native BLAKE3 addon is loaded on first use: importing it costs ~25 ms of CPU (CJS lexing,
// dlopen), which every CLI start-up would otherwise pay even when it never hashes with BLAKE3.
let blake3Ctor: (new () => Blake3HasherT) | undefined
function newBlake3Hasher(): Blake3HasherT {
  blake3Ctor ??= (createRequire(import.meta.url)('@napi-rs/blake-hash') as { Blake3Hasher: new () => Blake3HasherT }).Blake3Hasher
  return new blake3Ctor()
}

class Blake3 implements Hasher {
  private readonly h = newBlake3Hasher()
  update(data: Uint8Array | string): this {
    this.h.update(typeof data === 'string' ? Buffer.from(data, 'utf8') : Buffer.from(data.buffer, data.byteOffset, data.byteLength))
    return this
  }
  digest(): NixHash { return NixHash.fromDigest('blake3', new Uint8Array(this.h.digestBuffer())) }
}

/** A streaming hasher for `algo` (node:crypto, or @napi-rs/blake-hash for BLAKE3). */
export function createHasher(algo: HashAlgo): Hasher {
  return algo === 'blake3' ? new Blake3() : new NodeHasher(algo)
}

export class NixHash {
  readonly algo: HashAlgo
  readonly digest: Uint8Array
  /** `toBase16()`, once known (private: not part of structural equality). */
  #base16: string | undefined

  private constructor(algo: HashAlgo, digest: Uint8Array) {
    this.algo = algo
    this.digest = digest
  }

  static fromDigest(algo: HashAlgo, digest: Uint8Array): NixHash {
    if (digest.length !== HASH_SIZE[algo]) throw new BadHashError(`${algo} digest must be ${HASH_SIZE[algo]} bytes, got ${digest.length}`)
    return new NixHash(algo, digest)
  }

  /** Hash bytes (or a UTF-8 string) in one go. */
  static of(algo: HashAlgo, data: Uint8Array | string): NixHash {
    if (algo === 'blake3') return createHasher(algo).update(data).digest()
    const hex = crypto().hash(algo, data, 'hex')
    const h = new NixHash(algo, decodeHexDigest(hex))
    h.#base16 = hex
    return h
  }

  /** Decode with a known decoder and check the size (C++ `parseLowLevel`). */
  private static decodeWith(rest: string, algo: HashAlgo, dec: Decoder): NixHash {
    let d: Uint8Array
    try { d = dec.decode(rest) } catch (e) {
      if (!(e instanceof BadHashError)) throw e
      d = new Uint8Array(0) // C++ adds a trace to the decoder's error and carries on with nothing
    }
    const size = HASH_SIZE[algo]
    if (d.length !== size) throw new BadHashError(`invalid ${dec.name} hash '${rest}', length ${d.length} != expected length ${size}`)
    return new NixHash(algo, d)
  }

  /** The digest alone in base16, nix32 or base64, chosen by length (C++ `Hash::parseNonSRIUnprefixed`). */
  static parseDigest(s: string, algo: HashAlgo): NixHash {
    return NixHash.decodeWith(s, algo, DECODERS[formatFromLength(s, algo)])
  }

  /** The digest alone in a stated encoding (C++ `Hash::parseExplicitFormatUnprefixed`). */
  static parseExplicit(s: string, algo: HashAlgo, format: HashFormat): NixHash {
    return NixHash.decodeWith(s, algo, format === 'sri' ? SRI_DECODER : DECODERS[format])
  }

  /** `algo-<base64>` only (C++ `Hash::parseSRI`). */
  static parseSRI(s: string): NixHash {
    const dash = s.indexOf('-')
    if (dash < 0) throw new BadHashError(`hash '${s}' is not SRI`)
    return NixHash.decodeWith(s.slice(dash + 1), parseHashAlgo(s.slice(0, dash)), SRI_DECODER)
  }

  /**
   * Split an optional `algo:` or `algo-` (SRI) prefix; whatever precedes the first `:` (else the
   * first `-`) must be an algorithm name (C++ `parseAnyHelper`).
   */
  private static parseHelper(original: string, resolve: (parsed: HashAlgo | undefined) => HashAlgo): NixHash {
    let rest = original
    let parsed: HashAlgo | undefined
    let isSRI = false
    const colon = rest.indexOf(':')
    if (colon >= 0) {
      parsed = parseHashAlgo(rest.slice(0, colon))
      rest = rest.slice(colon + 1)
    } else {
      const dash = rest.indexOf('-')
      if (dash >= 0) {
        parsed = parseHashAlgo(rest.slice(0, dash))
        rest = rest.slice(dash + 1)
        isSRI = true
      }
    }
    const algo = resolve(parsed)
    return NixHash.decodeWith(rest, algo, isSRI ? SRI_DECODER : DECODERS[formatFromLength(rest, algo)])
  }

  /**
   * Any form (C++ `Hash::parseAny`): SRI, `algo:digest`, or a bare digest when `algo` is given.
   * If both the string and `algo` name an algorithm they must agree.
   */
  static parseAny(s: string, algo?: HashAlgo): NixHash {
    return NixHash.parseHelper(s, parsed => {
      if (!parsed && !algo) throw new BadHashError(`hash '${s}' does not include a type, nor is the type otherwise known from context`)
      if (parsed && algo && parsed !== algo) throw new BadHashError(`hash '${s}' should have type '${algo}'`)
      return (parsed ?? algo)!
    })
  }

  /** `algo:digest` or SRI; the algorithm must be stated (C++ `Hash::parseAnyPrefixed`). */
  static parsePrefixed(s: string): NixHash {
    return NixHash.parseHelper(s, parsed => {
      if (!parsed) throw new BadHashError(`hash '${s}' does not include a type`)
      return parsed
    })
  }

  /** The JSON form of Nix 2.34 (`adl_serializer<Hash>`): an SRI string. */
  static fromJSON(j: unknown): NixHash {
    if (typeof j !== 'string') throw new BadHashError(`expected a hash as an SRI string, got ${JSON.stringify(j)?.slice(0, 80)}`)
    return NixHash.parseSRI(j)
  }

  toJSON(): string { return this.toSRI() }

  toBase16(): string { return (this.#base16 ??= encodeBase16(this.digest)) }
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

  /** `algo:nix32`, the form in content addresses and narinfo files. */
  toString(): string { return this.format('nix32') }
}

/** `md5` prints as base16, everything else as nix32, unprefixed (C++ `printHash16or32`). */
export function printHash16or32(h: NixHash): string {
  return h.format(h.algo === 'md5' ? 'base16' : 'nix32', false)
}

/** XOR-fold a digest to `size` bytes (C++ `compressHash`), used for store path hashes. */
export function compressHash(digest: Uint8Array, size: number): Uint8Array {
  const out = new Uint8Array(size)
  for (let i = 0; i < digest.length; i++) out[i % size]! ^= digest[i]!
  return out
}

/** One-shot SHA-256 of bytes or a UTF-8 string. */
export function sha256(data: Uint8Array | string): Uint8Array {
  return decodeHexDigest(crypto().hash('sha256', data, 'hex'))
}

/**
 * Digest bytes from `crypto.hash`'s hex (trusted: lowercase, even length). One-shot hashing
 * skips the Hash object, and a hex string plus a small typed array (kept on the V8 heap) is
 * cheaper to collect than the off-heap Buffer a 'buffer' digest comes in.
 */
function decodeHexDigest(hex: string): Uint8Array {
  const out = new Uint8Array(hex.length >> 1)
  for (let i = 0; i < out.length; i++) {
    const hi = hex.charCodeAt(2 * i)
    const lo = hex.charCodeAt(2 * i + 1)
    out[i] = ((hi < 97 ? hi - 48 : hi - 87) << 4) | (lo < 97 ? lo - 48 : lo - 87)
  }
  return out
}

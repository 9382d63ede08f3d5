/**
 * Reference scanning and hash rewriting over byte streams (C++ `RefScanSink`, `RewritingSink`,
 * libutil/references.cc), chunk by chunk, for matches that straddle chunk boundaries too.
 *
 * C++ checks every 32-byte window whose bytes are all nix32 against a set; that is fast on
 * binaries but slow on text made of nix32 characters (docs/build-sandbox.md §3.4). Here every
 * candidate's 6-character substrings (27 of them, one per offset) go into a table, and the input
 * is probed only every 27 bytes: any occurrence of a candidate covers exactly one probe, whose
 * 6 characters are then one of that candidate's substrings at a known offset. A probe costs one
 * byte read when that byte is not nix32, six reads and a bit test otherwise, so the speed is
 * about the same on every kind of input; a hit in the bit table is checked exactly.
 */
import { BadHashError } from './errors.js'
import { createHasher, type Hasher, type HashAlgo, type NixHash } from './hash.js'
import { NIX32_DIGIT } from './nixbase32.js'
import { HASH_PART_LEN, StorePath } from './store-path.js'

const W = HASH_PART_LEN
/** Characters per probe (6 × 5 bits = 30 bits: exact in a small integer). */
const Q = 6
/** Distance between probes: every window of 32 contains exactly one probe of 6 characters. */
const STRIDE = W - Q + 1
const MULT = 0x9e3779b1

interface Candidate {
  readonly hash: string
  readonly bytes: Uint8Array
  readonly payload: Uint8Array | undefined
  found: boolean
}

/** A candidate's substring: the candidate and where the substring starts in it. */
interface Gram { readonly c: Candidate; readonly offset: number }

function asciiBytes(s: string): Uint8Array {
  const b = new Uint8Array(s.length)
  for (let i = 0; i < s.length; i++) b[i] = s.charCodeAt(i)
  return b
}

/** The 30-bit value of `s[i, i+6)`, or -1 if a byte is not nix32. */
function gramAt(s: Uint8Array, i: number): number {
  const D = NIX32_DIGIT
  const d0 = D[s[i]!]!
  if (d0 === 0xff) return -1
  const d1 = D[s[i + 1]!]!
  const d2 = D[s[i + 2]!]!
  const d3 = D[s[i + 3]!]!
  const d4 = D[s[i + 4]!]!
  const d5 = D[s[i + 5]!]!
  if ((d1 | d2 | d3 | d4 | d5) > 31) return -1
  return (d0 << 25) | (d1 << 20) | (d2 << 15) | (d3 << 10) | (d4 << 5) | d5
}

/** The candidate hash parts, indexed by their 6-character substrings. */
class CandidateTable {
  /** Bit per hashed substring value; sized for about 1 bit in 64 set. */
  bits = new Int32Array(1)
  shift = 31
  readonly grams = new Map<number, Gram[]>()
  private readonly all: Candidate[] = []
  private readonly seen = new Set<string>()
  /** Candidates not found yet. */
  remaining = 0

  add(hash: string, payload?: Uint8Array): void {
    if (hash.length !== W) throw new BadHashError(`reference candidate '${hash}' must be ${W} nix32 characters, got ${hash.length}`)
    const bytes = asciiBytes(hash)
    for (const b of bytes) if (NIX32_DIGIT[b] === 0xff) throw new BadHashError(`reference candidate '${hash}' contains a non-nix32 character`)
    if (this.seen.has(hash)) return
    this.seen.add(hash)
    const c: Candidate = { hash, bytes, payload, found: false }
    this.all.push(c)
    for (let offset = 0; offset < STRIDE; offset++) {
      const v = gramAt(bytes, offset)
      const list = this.grams.get(v)
      if (list) list.push({ c, offset })
      else this.grams.set(v, [{ c, offset }])
    }
    this.remaining++
  }

  /** Build the bit table once all candidates are in. */
  seal(): void {
    const bitsLog = Math.min(27, Math.max(10, Math.ceil(Math.log2(this.grams.size * 64 + 1))))
    this.shift = 32 - bitsLog
    this.bits = new Int32Array(Math.max(1, (1 << bitsLog) >>> 5))
    for (const v of this.grams.keys()) {
      const k = Math.imul(v, MULT) >>> this.shift
      this.bits[k >>> 5]! |= 1 << (k & 31)
    }
  }

  /** Whether the candidate of `g` occurs with its substring at `p`, i.e. at `s[p - g.offset, +32)`. */
  static matches(s: Uint8Array, from: number, to: number, p: number, g: Gram): boolean {
    const w = p - g.offset
    if (w < from || w + W > to) return false
    const b = g.c.bytes
    for (let k = 0; k < W; k++) if (s[w + k] !== b[k]) return false
    return true
  }
}

/**
 * Call `onMatch(w, candidate)` for each candidate occurring at `s[w, w+32)` within `[from, to)`,
 * in increasing `w`. `onMatch` returns false to stop.
 */
function search(s: Uint8Array, from: number, to: number, table: CandidateTable, onMatch: (w: number, c: Candidate) => boolean): void {
  const bits = table.bits
  const shift = table.shift
  const found: Array<[number, Candidate]> = []
  const D = NIX32_DIGIT
  for (let p = from; p + Q <= to; p += STRIDE) {
    if (D[s[p]!] === 0xff) continue // most probes in binary data end here
    const v = gramAt(s, p)
    if (v < 0) continue
    const k = Math.imul(v, MULT) >>> shift
    if (!((bits[k >>> 5]! >>> (k & 31)) & 1)) continue
    const list = table.grams.get(v)
    if (!list) continue
    for (const g of list) if (CandidateTable.matches(s, from, to, p, g)) found.push([p - g.offset, g.c])
    if (found.length === 0) continue
    // Matches found by one probe start within the 27 bytes before it, after any earlier probe's.
    if (found.length > 1) found.sort((a, b) => a[0] - b[0])
    for (const [w, c] of found) if (!onMatch(w, c)) return
    found.length = 0
  }
}

/**
 * Finds which of the candidate hash parts occur in a stream (C++ `RefScanSink`). Push the bytes
 * in any chunking; `found` holds the hash parts seen so far. Scanning stops early once every
 * candidate has been found.
 */
export class RefScanner {
  readonly found = new Set<string>()
  private readonly table = new CandidateTable()
  /** The last bytes seen (up to 31), where a match may have begun. */
  private readonly tail = new Uint8Array(W - 1)
  private tailLen = 0
  private readonly joint = new Uint8Array(2 * (W - 1))

  constructor(hashParts: Iterable<string>) {
    for (const h of hashParts) this.table.add(h)
    this.table.seal()
  }

  /** True when every candidate has been found (further input is ignored). */
  get done(): boolean { return this.table.remaining === 0 }

  private readonly onMatch = (_w: number, c: Candidate): boolean => {
    if (!c.found) {
      c.found = true
      this.found.add(c.hash)
      this.table.remaining--
    }
    return this.table.remaining > 0
  }

  push(chunk: Uint8Array): void {
    if (this.done || chunk.length === 0) return
    // Windows starting in the tail and ending in this chunk.
    if (this.tailLen > 0) {
      const head = Math.min(chunk.length, W - 1)
      const joint = this.joint
      joint.set(this.tail.subarray(0, this.tailLen), 0)
      joint.set(chunk.subarray(0, head), this.tailLen)
      search(joint, 0, this.tailLen + head, this.table, this.onMatch)
    }
    if (!this.done) search(chunk, 0, chunk.length, this.table, this.onMatch)
    this.keepTail(chunk)
  }

  private keepTail(chunk: Uint8Array): void {
    const keep = W - 1
    if (chunk.length >= keep) {
      this.tail.set(chunk.subarray(chunk.length - keep))
      this.tailLen = keep
    } else {
      const fromOld = Math.min(this.tailLen, keep - chunk.length)
      this.tail.copyWithin(0, this.tailLen - fromOld, this.tailLen)
      this.tail.set(chunk, fromOld)
      this.tailLen = fromOld + chunk.length
    }
  }
}

/** The candidate paths whose hash part was found, in StorePath order (for `references`). */
export function referencedPaths(candidates: Iterable<StorePath>, found: ReadonlySet<string>): StorePath[] {
  const byBase = new Map<string, StorePath>()
  for (const p of candidates) if (found.has(p.hashPart)) byBase.set(p.baseName, p)
  return [...byBase.values()].sort(StorePath.compare)
}

/**
 * The candidate hash parts that occur in `source`. Stops reading (and so ends the iteration of
 * `source`) once all are found: feed a `RefScanner` instead when the stream has other readers.
 */
export async function scanReferences(source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>, hashParts: Iterable<string>): Promise<Set<string>> {
  const scanner = new RefScanner(hashParts)
  for await (const chunk of source) {
    scanner.push(chunk)
    if (scanner.done) break
  }
  return scanner.found
}

/**
 * Replaces hash parts in a stream (C++ `RewritingSink`): each 32-character `from` becomes its
 * `to` (same length, any bytes — C++ `HashModuloSink` uses NULs), also across chunk boundaries.
 * `push` returns the bytes that are final (all but the last 31 seen); `end` returns the rest.
 * `matches` lists the stream offsets where a rewrite happened. Matches never overlap each other
 * or rewritten bytes, whatever the chunking (C++ could match across a rewrite at a chunk
 * boundary when a `to` is itself a `from`; that never happens with real hash parts).
 */
export class HashRewriter {
  readonly matches: number[] = []
  private readonly table = new CandidateTable()
  private pending: Uint8Array = new Uint8Array(0)
  /** Stream offset of `pending[0]`. */
  private pos = 0
  /** Stream offset before which bytes are rewritten output, never matched again. */
  private protectedUntil = 0

  constructor(rewrites: ReadonlyMap<string, string | Uint8Array>) {
    for (const [from, to] of rewrites) {
      const bytes = typeof to === 'string' ? asciiBytes(to) : to
      if (bytes.length !== from.length) throw new BadHashError(`rewrite of '${from}' must keep its length ${from.length}, got ${bytes.length}`)
      this.table.add(from, bytes)
    }
    this.table.seal()
  }

  push(chunk: Uint8Array): Uint8Array {
    if (chunk.length === 0) return chunk
    let buf: Uint8Array
    if (this.pending.length === 0) buf = new Uint8Array(chunk)
    else {
      buf = new Uint8Array(this.pending.length + chunk.length)
      buf.set(this.pending, 0)
      buf.set(chunk, this.pending.length)
    }
    if (this.table.remaining > 0) {
      search(buf, 0, buf.length, this.table, (w, c) => {
        if (this.pos + w < this.protectedUntil) return true
        buf.set(c.payload!, w)
        this.matches.push(this.pos + w)
        this.protectedUntil = this.pos + w + W
        return true
      })
    }
    const ready = Math.max(0, buf.length - (W - 1))
    this.pending = buf.subarray(ready)
    this.pos += ready
    return buf.subarray(0, ready)
  }

  end(): Uint8Array {
    const rest = this.pending
    this.pos += rest.length
    this.pending = new Uint8Array(0)
    return rest
  }
}

/** Rewrite hash parts in a stream (see `HashRewriter`). */
export async function* rewriteHashes(
  source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  rewrites: ReadonlyMap<string, string | Uint8Array>,
): AsyncGenerator<Uint8Array> {
  const rw = new HashRewriter(rewrites)
  for await (const chunk of source) {
    const out = rw.push(chunk)
    if (out.length > 0) yield out
  }
  const rest = rw.end()
  if (rest.length > 0) yield rest
}

/**
 * The hash of a stream "modulo" a hash part (C++ `HashModuloSink`): every occurrence of
 * `modulus` is replaced by 32 NUL bytes before hashing. This is how the content address of an
 * output that refers to itself is computed. Nix 2.34 does not hash the match positions (older
 * versions appended `|<offset>` for each; checked against a self-referencing CA derivation
 * built by Nix 2.34, test/golden/store-path/self-ref.*).
 */
export class HashModuloSink {
  private readonly rewriter: HashRewriter
  private readonly hasher: Hasher
  private size = 0

  constructor(algo: HashAlgo, modulus: string) {
    this.rewriter = new HashRewriter(new Map([[modulus, new Uint8Array(modulus.length)]]))
    this.hasher = createHasher(algo)
  }

  push(chunk: Uint8Array): void {
    this.size += chunk.length
    const out = this.rewriter.push(chunk)
    if (out.length > 0) this.hasher.update(out)
  }

  /** The hash, the bytes hashed, and where the modulus occurred. */
  finish(): { hash: NixHash; size: number; matches: readonly number[] } {
    const rest = this.rewriter.end()
    if (rest.length > 0) this.hasher.update(rest)
    return { hash: this.hasher.digest(), size: this.size, matches: this.rewriter.matches }
  }
}

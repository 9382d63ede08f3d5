/**
 * Reference scanning and hash rewriting over byte streams (C++ `RefScanSink`, `RewritingSink`,
 * libutil/references.cc), chunk by chunk, for matches that straddle chunk boundaries too.
 *
 * The search is C++'s, plus two things that keep it linear on text made of nix32 characters
 * (docs/build-sandbox.md §3.4): a window of 32 bytes is checked from its end so one bad byte
 * skips up to 32 positions (fast on binaries); once a window is all nix32, it slides one byte
 * per step testing only the new byte; and a window is compared with the candidates only when
 * a 2^20-bit table of the candidates' 4-character prefixes says one might start there.
 */
import { BadHashError } from './errors.js'
import { NIX32_DIGIT } from './nixbase32.js'
import { HASH_PART_LEN } from './store-path.js'

const W = HASH_PART_LEN
const KEY_MASK = 0xfffff

interface Candidate { readonly hash: string; readonly bytes: Uint8Array; readonly payload: Uint8Array | undefined }

function asciiBytes(s: string): Uint8Array {
  const b = new Uint8Array(s.length)
  for (let i = 0; i < s.length; i++) b[i] = s.charCodeAt(i)
  return b
}

/** The candidate hash parts, indexed by their 20-bit prefix key. */
class CandidateTable {
  readonly bits = new Int32Array((KEY_MASK + 1) >>> 5)
  readonly buckets = new Map<number, Candidate[]>()
  size = 0

  add(hash: string, payload?: Uint8Array): void {
    if (hash.length !== W) throw new BadHashError(`reference candidate '${hash}' must be ${W} nix32 characters, got ${hash.length}`)
    const bytes = asciiBytes(hash)
    for (const b of bytes) if (NIX32_DIGIT[b] === 0xff) throw new BadHashError(`reference candidate '${hash}' contains a non-nix32 character`)
    const key = (NIX32_DIGIT[bytes[0]!]! << 15) | (NIX32_DIGIT[bytes[1]!]! << 10) | (NIX32_DIGIT[bytes[2]!]! << 5) | NIX32_DIGIT[bytes[3]!]!
    const list = this.buckets.get(key) ?? []
    if (list.some(c => c.hash === hash)) return
    list.push({ hash, bytes, payload })
    this.buckets.set(key, list)
    this.bits[key >>> 5]! |= 1 << (key & 31)
    this.size++
  }

  /** The candidate at `s[i, i+32)`, whose prefix key is `key`, if any. */
  lookup(s: Uint8Array, i: number, key: number): Candidate | undefined {
    const list = this.buckets.get(key)
    if (!list) return undefined
    outer: for (const c of list) {
      const b = c.bytes
      for (let k = 4; k < W; k++) if (s[i + k] !== b[k]) continue outer
      return c
    }
    return undefined
  }

  remove(c: Candidate, key: number): void {
    const list = this.buckets.get(key)!
    list.splice(list.indexOf(c), 1)
    if (list.length === 0) {
      this.buckets.delete(key)
      this.bits[key >>> 5]! &= ~(1 << (key & 31))
    }
    this.size--
  }
}

/**
 * Visit each window `s[i, i+32)` with `from <= i` and `i + 32 <= to` whose bytes are all nix32 and
 * whose prefix is in the table. `onHit` returns how far to advance: 1 to keep sliding, 32 to skip
 * the window (after a rewrite), or 0 to stop scanning.
 */
function search(s: Uint8Array, from: number, to: number, table: CandidateTable, onHit: (i: number, key: number) => number): void {
  const D = NIX32_DIGIT
  const bits = table.bits
  const last = to - W
  let i = from
  while (i <= last) {
    let j = i + W - 1
    while (j >= i && D[s[j]!] !== 0xff) j--
    if (j >= i) { i = j + 1; continue }
    let key = (D[s[i]!]! << 15) | (D[s[i + 1]!]! << 10) | (D[s[i + 2]!]! << 5) | D[s[i + 3]!]!
    for (;;) {
      if ((bits[key >>> 5]! >>> (key & 31)) & 1) {
        const step = onHit(i, key)
        if (step === 0) return
        if (step !== 1) { i += step; break }
      }
      if (i >= last) { i++; break }
      if (D[s[i + W]!] === 0xff) { i += W + 1; break }
      i++
      key = ((key << 5) | D[s[i + 3]!]!) & KEY_MASK
    }
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
  }

  /** True when every candidate has been found (further input is ignored). */
  get done(): boolean { return this.table.size === 0 }

  private readonly onHit = (s: Uint8Array, i: number, key: number): number => {
    const c = this.table.lookup(s, i, key)
    if (c) {
      this.found.add(c.hash)
      this.table.remove(c, key)
      if (this.table.size === 0) return 0
    }
    return 1
  }

  push(chunk: Uint8Array): void {
    if (this.done || chunk.length === 0) return
    // Windows starting in the tail and ending in this chunk.
    if (this.tailLen > 0) {
      const head = Math.min(chunk.length, W - 1)
      const joint = this.joint
      joint.set(this.tail.subarray(0, this.tailLen), 0)
      joint.set(chunk.subarray(0, head), this.tailLen)
      search(joint, 0, this.tailLen + head, this.table, (i, key) => this.onHit(joint, i, key))
    }
    search(chunk, 0, chunk.length, this.table, (i, key) => this.onHit(chunk, i, key))
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

/** The candidate hash parts that occur in `source` (all of its chunks). */
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
    if (this.table.size > 0) {
      search(buf, 0, buf.length, this.table, (i, key) => {
        if (this.pos + i < this.protectedUntil) return 1
        const c = this.table.lookup(buf, i, key)
        if (!c) return 1
        buf.set(c.payload!, i)
        this.matches.push(this.pos + i)
        this.protectedUntil = this.pos + i + W
        return W
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

/**
 * Content-defined chunking (FastCDC: Xia et al., USENIX ATC '16, with normalised chunking):
 * a gear hash rolls over the bytes and a chunk ends where the hash has enough zero bits, so an
 * insertion early in a file moves only the boundaries near it and later chunks stay shared
 * between versions. Chunks never appear in identifiers (a blob is BLAKE3 of its whole
 * contents), so boundaries are a storage detail; but the gear table and masks must stay fixed,
 * or new versions stop sharing chunks with stored ones.
 *
 * Pure and incremental: feed the growing buffer of the current chunk to `cut()` until it
 * returns a length.
 */

export interface ChunkingParams {
  /** No cut before this many bytes. */
  readonly min: number
  /** The target average chunk size (a power of two). */
  readonly avg: number
  /** Always cut here. */
  readonly max: number
}

/** tvix's objectstore uses avg 256 KiB, min avg/2, max 2·avg; we measured wider bounds (see README). */
export const DEFAULT_CHUNKING: ChunkingParams = { min: 64 * 1024, avg: 256 * 1024, max: 1024 * 1024 }

/** 256 fixed pseudo-random 32-bit values (mulberry32 from a fixed seed). Never change them. */
const GEAR: Int32Array = (() => {
  const g = new Int32Array(256)
  let s = 0x7a3c9e1b
  for (let i = 0; i < 256; i++) {
    s = (s + 0x6d2b79f5) | 0
    let t = Math.imul(s ^ (s >>> 15), s | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    g[i] = t ^ (t >>> 14)
  }
  return g
})()

/** `bits` one-bits in the high end of a 32-bit word: those bits depend on the most bytes. */
function highMask(bits: number): number {
  return bits >= 32 ? -1 : (((1 << bits) - 1) << (32 - bits)) | 0
}

export function checkChunkingParams(p: ChunkingParams): void {
  if (!(Number.isInteger(p.min) && Number.isInteger(p.avg) && Number.isInteger(p.max) && 64 <= p.min && p.min <= p.avg && p.avg <= p.max))
    throw new RangeError(`chunking: expected 64 <= min <= avg <= max, got ${p.min}/${p.avg}/${p.max}`)
  if ((p.avg & (p.avg - 1)) !== 0) throw new RangeError(`chunking: avg must be a power of two, got ${p.avg}`)
}

export class Chunker {
  private readonly maskS: number
  private readonly maskL: number
  private pos = 0
  private hash = 0

  constructor(readonly params: ChunkingParams = DEFAULT_CHUNKING) {
    checkChunkingParams(params)
    const bits = Math.round(Math.log2(params.avg))
    // Normalisation level 2: harder to cut before the average, easier after it.
    this.maskS = highMask(bits + 2)
    this.maskL = highMask(bits - 2)
  }

  /**
   * Given the bytes of the current chunk so far (always starting at the chunk's first byte,
   * growing between calls), return the chunk length if a boundary is known, else -1. With
   * `final`, the input ends here and the rest is one chunk. After returning a length the
   * chunker starts over: pass the bytes after the cut next.
   */
  cut(data: Uint8Array, final: boolean): number {
    const { min, avg, max } = this.params
    const n = data.length
    const end = n < max ? n : max
    let i = this.pos > min ? this.pos : min
    let h = this.hash
    const G = GEAR
    if (i < end) {
      const normal = end < avg ? end : avg
      const mS = this.maskS, mL = this.maskL
      for (; i < normal; i++) {
        h = ((h << 1) + G[data[i]!]!) | 0
        if ((h & mS) === 0) return this.done(i + 1)
      }
      for (; i < end; i++) {
        h = ((h << 1) + G[data[i]!]!) | 0
        if ((h & mL) === 0) return this.done(i + 1)
      }
    }
    if (n >= max) return this.done(max)
    if (final) return this.done(n)
    this.pos = i
    this.hash = h
    return -1
  }

  private done(len: number): number {
    this.pos = 0
    this.hash = 0
    return len
  }
}

/** Cut a whole buffer into chunk lengths (tests, and callers holding the blob in memory). */
export function chunkLengths(data: Uint8Array, params: ChunkingParams = DEFAULT_CHUNKING): number[] {
  const c = new Chunker(params)
  const out: number[] = []
  let off = 0
  while (off < data.length) {
    const len = c.cut(data.subarray(off), true)
    out.push(len)
    off += len
  }
  return out
}

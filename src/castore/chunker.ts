/**
 * Content-defined chunking (FastCDC: Xia et al., USENIX ATC '16, with normalised chunking):
 * a gear hash rolls over the bytes and a chunk ends where the hash has enough zero bits, so an
 * insertion early in a file moves only the boundaries near it and later chunks stay shared
 * between versions. Chunks never appear in identifiers (a blob is BLAKE3 of its whole
 * contents), so boundaries are a storage detail; but the gear table and masks must stay fixed,
 * or new versions stop sharing chunks with stored ones.
 *
 * Pure and incremental: feed the input piece by piece to `next()`, which reports where chunks
 * end.
 */

export interface ChunkingParams {
  /** No cut before this many bytes. */
  readonly min: number
  /** The target average chunk size (a power of two). */
  readonly avg: number
  /** Always cut here. */
  readonly max: number
}

/**
 * tvix's objectstore parameters (avg 256 KiB, min avg/2, max 2·avg). On 20 edited versions of
 * a 9 MB source file they stored slightly less than min 64 KiB / max 1 MiB and chunked ~30%
 * faster (less to scan); avg 64 KiB stored a third less but made 3× the objects (README).
 */
export const DEFAULT_CHUNKING: ChunkingParams = { min: 128 * 1024, avg: 256 * 1024, max: 512 * 1024 }

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
  /** Bytes of the current chunk seen so far. */
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
   * Continue the current chunk with `data[from..]`. Returns the index in `data` just past the
   * chunk's last byte (and starts a new chunk there), or -1 if the chunk goes on past the end
   * of `data`. At the end of the input, whatever is left is the last chunk. The input may
   * arrive in pieces of any size; the cuts do not depend on how it is split.
   */
  next(data: Uint8Array, from = 0): number {
    const { min, avg, max } = this.params
    const n = data.length
    let i = from
    let p = this.pos
    if (p < min) {
      const skip = Math.min(min - p, n - i)
      i += skip; p += skip
      if (p < min) { this.pos = p; return -1 }
    }
    let h = this.hash
    const G = GEAR
    const mS = this.maskS, mL = this.maskL
    // Position in the chunk is base + i; loop bounds fold in the avg and max limits.
    const base = p - i
    let lim = Math.min(n, avg - base)
    for (; i < lim; i++) {
      h = ((h << 1) + G[data[i]!]!) | 0
      if ((h & mS) === 0) return this.done(i + 1)
    }
    lim = Math.min(n, max - base)
    for (; i < lim; i++) {
      h = ((h << 1) + G[data[i]!]!) | 0
      if ((h & mL) === 0) return this.done(i + 1)
    }
    if (base + i >= max) return this.done(i)
    this.pos = base + i
    this.hash = h
    return -1
  }

  /** Bytes of the unfinished chunk seen so far. */
  get pending(): number { return this.pos }

  private done(end: number): number {
    this.pos = 0
    this.hash = 0
    return end
  }
}

/** Cut a whole buffer into chunk lengths (tests, and callers holding the blob in memory). */
export function chunkLengths(data: Uint8Array, params: ChunkingParams = DEFAULT_CHUNKING): number[] {
  const c = new Chunker(params)
  const out: number[] = []
  let start = 0
  for (;;) {
    const end = c.next(data, start)
    if (end < 0) break
    out.push(end - start)
    start = end
  }
  if (start < data.length) out.push(data.length - start)
  return out
}

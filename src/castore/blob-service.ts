/**
 * BlobService (tvix castore/src/blobservice/mod.rs): blobs by BLAKE3 of their contents.
 *
 * `ChunkedBlobService` implements it over any ObjectStore: a blob up to `wholeMax` bytes is one
 * object; a larger one is cut into content-defined chunks (chunker.ts), each stored as a blob
 * object of its own, plus an index listing them. So a chunk and a small file with the same
 * bytes are the same object, and `has`/`open` answer for chunk digests too (as tvix requires
 * of chunking backends). The blob's identity never depends on the chunking.
 */
import { blake3, blake3Hasher, type Blake3Hasher } from './blake3.js'
import { decodeBlobIndex, encodeBlobIndex, type ChunkMeta } from './blob-index.js'
import { Chunker, checkChunkingParams, DEFAULT_CHUNKING, type ChunkingParams } from './chunker.js'
import { B3Digest } from './digest.js'
import { CorruptObjectError, WriterStateError } from './errors.js'
import type { ObjectStore, ObjectWriter } from './object-store.js'

export type { ChunkMeta } from './blob-index.js'

/** A readable blob: its length, and any byte range of it as a stream. */
export interface BlobReader {
  readonly size: number
  /** Bytes [start, end) (default: all). Reading everything also verifies the blob's digest. */
  read(start?: number, end?: number): AsyncIterable<Uint8Array>
}

/** Bytes go in with `write`; `close` stores the blob and returns its digest. */
export interface BlobWriter {
  /**
   * Append `data`: copied, unless `stable` (never changed by the caller: stored in place where
   * possible; as ObjectWriter.write, at most STABLE_WRITES_HELD stable pieces are still
   * referenced once a write settles).
   */
  write(data: Uint8Array, stable?: boolean): Promise<void>
  close(): Promise<B3Digest>
  /** Discard what was written (already stored chunks stay; GC collects them). */
  abort(): Promise<void>
  readonly written: number
}

export interface BlobService {
  /** True for a stored blob, and for a chunk of one. */
  has(digest: B3Digest): Promise<boolean>
  open(digest: B3Digest): Promise<BlobReader | undefined>
  /**
   * The whole blob in memory (verified like a whole read); meant for small blobs. A blob
   * longer than `maxSize` is refused with CorruptObjectError rather than loaded;
   * `expectedSize` (e.g. from a file node) lets a backend skip a stat.
   */
  readAll(digest: B3Digest, opts?: { maxSize?: number; expectedSize?: number }): Promise<Uint8Array | undefined>
  openWrite(): BlobWriter
  /** Store bytes already in memory. */
  put(data: Uint8Array): Promise<B3Digest>
  /**
   * `put` of a small blob by synchronous calls (a thread that may block, adding many small
   * files); undefined, having stored nothing, when that is not possible now (then `put`).
   */
  putSync?(data: Uint8Array): B3Digest | undefined
  /** undefined: absent; []: stored whole, no finer chunking; else the chunks in order. */
  chunks(digest: B3Digest): Promise<ChunkMeta[] | undefined>
  /** Make all blobs written so far durable. Call before anything durable refers to them. */
  sync(): Promise<void>
  /** A file holding exactly this blob's bytes, if the backend keeps one (for hard links). */
  localPath(digest: B3Digest): Promise<string | undefined>
  /**
   * Where that file would be if the blob is stored whole, unchecked (it may not exist: a
   * chunked blob, or none): `localPath` without its look-up, for a caller that stats anyway.
   */
  rawPath?(digest: B3Digest): string | undefined
}

export interface ChunkedBlobServiceOptions {
  /** Content-defined chunking of large blobs, or false to store every blob whole. */
  chunking?: ChunkingParams | false
  /** Blobs up to this many bytes are stored whole (default 1 MiB, at least the chunking `max`). */
  wholeMax?: number
  /** Check BLAKE3 of what is read (whole reads: the blob; ranged reads: each chunk). Default true. */
  verify?: boolean
  /** Chunk writes in flight per writer (default 4). */
  writeConcurrency?: number
  /** Chunks read ahead of the consumer (default 16). */
  readAhead?: number
}

const DEFAULT_WHOLE_MAX = 1024 * 1024

export class ChunkedBlobService implements BlobService {
  readonly chunking: ChunkingParams | false
  readonly wholeMax: number
  readonly verify: boolean
  private readonly writeConcurrency: number
  private readonly readAhead: number

  constructor(readonly store: ObjectStore, opts: ChunkedBlobServiceOptions = {}) {
    this.chunking = opts.chunking === undefined ? DEFAULT_CHUNKING : opts.chunking
    if (this.chunking) checkChunkingParams(this.chunking)
    this.wholeMax = opts.wholeMax ?? (this.chunking ? Math.max(DEFAULT_WHOLE_MAX, this.chunking.max) : Infinity)
    this.verify = opts.verify ?? true
    this.writeConcurrency = opts.writeConcurrency ?? 4
    this.readAhead = opts.readAhead ?? 16
  }

  async has(d: B3Digest): Promise<boolean> {
    return (await this.store.has('blob', d)) || (await this.store.has('index', d))
  }

  async chunks(d: B3Digest): Promise<ChunkMeta[] | undefined> {
    const idx = await this.store.get('index', d)
    if (idx) return decodeBlobIndex(idx)
    return (await this.store.has('blob', d)) ? [] : undefined
  }

  async open(d: B3Digest): Promise<BlobReader | undefined> {
    const size = await this.store.size('blob', d)
    if (size !== undefined) return this.wholeReader(d, size)
    const idx = await this.store.get('index', d)
    if (idx === undefined) return undefined
    return this.chunkedReader(d, decodeBlobIndex(idx))
  }

  async readAll(d: B3Digest, opts: { maxSize?: number; expectedSize?: number } = {}): Promise<Uint8Array | undefined> {
    const maxSize = opts.maxSize ?? Infinity
    // One read for a blob stored whole (the common case for small blobs): no stat first,
    // unless whole objects may be larger than the caller wants in memory.
    if (this.wholeMax > maxSize) {
      const size = await this.store.size('blob', d)
      if (size !== undefined && size > maxSize) throw new CorruptObjectError(`blob ${d.hex} has ${size} bytes, more than the ${maxSize} expected`)
    }
    const hint = opts.expectedSize !== undefined && opts.expectedSize <= Math.min(maxSize, this.wholeMax) ? opts.expectedSize : undefined
    const whole = await this.store.get('blob', d, hint)
    if (whole !== undefined) {
      if (this.verify && !B3Digest.adopt(blake3(whole)).equals(d)) throw new CorruptObjectError(`blob ${d.hex} does not match its digest`)
      return whole
    }
    const r = await this.open(d)
    if (r === undefined) return undefined
    if (r.size > maxSize) throw new CorruptObjectError(`blob ${d.hex} has ${r.size} bytes, more than the ${maxSize} expected`)
    const parts: Uint8Array[] = []
    for await (const p of r.read()) parts.push(p)
    return parts.length === 1 ? parts[0]! : Buffer.concat(parts)
  }

  openWrite(): BlobWriter {
    return new ChunkingWriter(this.store, this.chunking, this.wholeMax, this.writeConcurrency)
  }

  putSync(data: Uint8Array): B3Digest | undefined {
    if (data.length > this.wholeMax || this.store.putSync === undefined) return undefined
    const d = B3Digest.adopt(blake3(data))
    return this.store.putSync('blob', d, data) ? d : undefined
  }

  async put(data: Uint8Array): Promise<B3Digest> {
    if (data.length <= this.wholeMax) {
      const d = B3Digest.adopt(blake3(data))
      await this.store.put('blob', d, data)
      return d
    }
    const w = this.openWrite()
    await w.write(data)
    return w.close()
  }

  sync(): Promise<void> { return this.store.sync() }

  async localPath(d: B3Digest): Promise<string | undefined> {
    return this.store.localPath?.('blob', d)
  }

  rawPath(d: B3Digest): string | undefined {
    return this.store.rawPath?.('blob', d)
  }

  private wholeReader(d: B3Digest, size: number): BlobReader {
    const { store, verify } = this
    return {
      size,
      async *read(start = 0, end = size) {
        ;[start, end] = clampRange(start, end, size)
        const whole = verify && start === 0 && end === size
        const h = whole ? blake3Hasher() : undefined
        try {
          for await (const piece of store.stream('blob', d, start, end)) { h?.update(piece); yield piece }
          if (h) checkDigest(h, d, 'blob')
        } finally { h?.release() }
      },
    }
  }

  private chunkedReader(d: B3Digest, chunks: ChunkMeta[]): BlobReader {
    const offsets: number[] = []
    let size = 0
    for (const c of chunks) { offsets.push(size); size += c.size }
    const { store, verify, readAhead } = this
    return {
      size,
      async *read(start = 0, end = size) {
        ;[start, end] = clampRange(start, end, size)
        if (start >= end) return
        const whole = verify && start === 0 && end === size
        const h = whole ? blake3Hasher() : undefined
        let i = upperBound(offsets, start) - 1
        const fetch = (j: number): Promise<Uint8Array> => store.get('blob', chunks[j]!.digest, chunks[j]!.size).then(b => {
          const c = chunks[j]!
          if (b === undefined) throw new CorruptObjectError(`blob ${d.hex}: chunk ${c.digest.hex} is missing`)
          if (b.length !== c.size) throw new CorruptObjectError(`blob ${d.hex}: chunk ${c.digest.hex} has ${b.length} bytes, index says ${c.size}`)
          if (verify && !whole && !B3Digest.adopt(blake3(b)).equals(c.digest)) throw new CorruptObjectError(`chunk ${c.digest.hex} does not match its digest`)
          return b
        })
        const queue: Array<Promise<Uint8Array>> = []
        let next = i
        const fill = (): void => {
          while (queue.length < readAhead && next < chunks.length && offsets[next]! < end) {
            const p = fetch(next++)
            p.catch(() => {}) // observed when awaited; avoid an unhandled rejection meanwhile
            queue.push(p)
          }
        }
        try {
          fill()
          while (queue.length > 0) {
            const b = await queue.shift()!
            fill()
            const off = offsets[i]!
            const from = Math.max(0, start - off), to = Math.min(b.length, end - off)
            h?.update(b)
            yield from === 0 && to === b.length ? b : b.subarray(from, to)
            i++
          }
          if (h) checkDigest(h, d, 'blob')
        } finally { h?.release() }
      },
    }
  }
}

function checkDigest(h: Blake3Hasher, d: B3Digest, what: string): void {
  const got = B3Digest.adopt(h.digest())
  if (!got.equals(d)) throw new CorruptObjectError(`${what} ${d.hex} read back as ${got.hex}`)
}

function clampRange(start: number, end: number, size: number): [number, number] {
  if (!(Number.isSafeInteger(start) && Number.isSafeInteger(end) && start >= 0 && end >= start))
    throw new RangeError(`blob range: expected 0 <= start <= end, got ${start}..${end}`)
  return [Math.min(start, size), Math.min(end, size)]
}

/** Index of the first offset greater than x (offsets ascending, offsets[0] = 0). */
function upperBound(offsets: number[], x: number): number {
  let lo = 0, hi = offsets.length
  while (lo < hi) { const mid = (lo + hi) >>> 1; if (offsets[mid]! <= x) lo = mid + 1; else hi = mid }
  return lo
}

/**
 * Buffers up to `wholeMax` bytes; past that, either cuts chunks as data arrives (storing each
 * while more comes in, `concurrency` at a time) or, without chunking, streams to a temp object.
 * Written bytes are copied once (callers may reuse their buffers); a chunk is kept as the list
 * of pieces it spans, hashed incrementally and written with writev, so it is never copied again.
 */
class ChunkingWriter implements BlobWriter {
  written = 0
  private readonly hasher = blake3Hasher()
  private readonly chunkHasher = blake3Hasher()
  private buf: Uint8Array
  private len = 0
  private mode: 'buffer' | 'chunk' | 'stream' = 'buffer'
  private chunker: Chunker | undefined
  /** Pieces of the chunk being cut. */
  private pieces: Uint8Array[] = []
  private readonly chunks: ChunkMeta[] = []
  private readonly seen = new Set<string>()
  private readonly inflight: Array<Promise<void>> = []
  private error: unknown
  private objWriter: ObjectWriter | undefined
  private finished = false

  constructor(private readonly store: ObjectStore, private readonly chunking: ChunkingParams | false,
    private readonly wholeMax: number, private readonly concurrency: number) {
    this.buf = new Uint8Array(Math.min(64 * 1024, Number.isFinite(wholeMax) ? wholeMax + 1 : 64 * 1024))
  }

  async write(data: Uint8Array, stable = false): Promise<void> {
    if (this.finished) throw new WriterStateError('blob writer: write after close')
    if (this.error) throw this.error
    if (data.length === 0) return
    this.hasher.update(data)
    this.written += data.length
    if (this.mode === 'stream') { await this.objWriter!.write(data, stable); return }
    if (this.mode === 'buffer') {
      if (this.len + data.length <= this.wholeMax) { this.append(data); return }
      const pending = this.buf.subarray(0, this.len)
      this.buf = new Uint8Array(0); this.len = 0
      if (!this.chunking) {
        this.mode = 'stream'
        this.objWriter = this.store.writer('blob')
        await this.objWriter.write(pending, true) // ours, and dropped above
        await this.objWriter.write(data, stable)
        return
      }
      this.mode = 'chunk'
      this.chunker = new Chunker(this.chunking)
      await this.feed(pending)
    }
    await this.feed(Uint8Array.prototype.slice.call(data))
  }

  async close(): Promise<B3Digest> {
    if (this.finished) throw new WriterStateError('blob writer: closed twice')
    this.finished = true
    try {
      const digest = B3Digest.adopt(this.hasher.digest())
      if (this.mode === 'buffer') {
        await this.store.put('blob', digest, this.buf.subarray(0, this.len))
      } else if (this.mode === 'stream') {
        await this.objWriter!.commit(digest)
      } else {
        if (this.pieces.length > 0) await this.emit()
        await Promise.all(this.inflight)
        if (this.error) throw this.error
        if (this.chunks.length > 1) {
          // The index must not become durable before the chunks it lists.
          await this.store.sync()
          await this.store.put('index', digest, encodeBlobIndex(this.chunks))
        }
      }
      return digest
    } finally {
      this.hasher.release()
      this.chunkHasher.release()
    }
  }

  async abort(): Promise<void> {
    if (this.finished) return
    this.finished = true
    this.hasher.release()
    this.chunkHasher.release()
    await Promise.allSettled(this.inflight)
    await this.objWriter?.abort()
  }

  private append(data: Uint8Array): void {
    if (this.len + data.length > this.buf.length) {
      let cap = this.buf.length * 2
      while (cap < this.len + data.length) cap *= 2
      const next = new Uint8Array(Math.min(cap, Number.isFinite(this.wholeMax) ? Math.max(this.wholeMax, this.len + data.length) : cap))
      next.set(this.buf.subarray(0, this.len))
      this.buf = next
    }
    this.buf.set(data, this.len)
    this.len += data.length
  }

  /** Cut `owned` (a buffer nobody else writes to) into the current and following chunks. */
  private async feed(owned: Uint8Array): Promise<void> {
    const chunker = this.chunker!
    let from = 0
    for (;;) {
      const end = chunker.next(owned, from)
      if (end < 0) { if (from < owned.length) this.pieces.push(owned.subarray(from)); return }
      this.pieces.push(owned.subarray(from, end))
      await this.emit()
      from = end
    }
  }

  private async emit(): Promise<void> {
    const parts = this.pieces
    this.pieces = []
    const h = this.chunkHasher
    let size = 0
    for (const p of parts) { h.update(p); size += p.length }
    const digest = B3Digest.adopt(h.digest())
    h.reset()
    this.chunks.push({ digest, size })
    if (this.seen.has(digest.hex)) return
    this.seen.add(digest.hex)
    const p = this.store.put('blob', digest, parts).catch((e: unknown) => { this.error ??= e })
    this.inflight.push(p)
    if (this.inflight.length >= this.concurrency) await this.inflight.shift()
    if (this.error) throw this.error
  }
}

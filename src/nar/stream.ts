/**
 * Async adapters around the NAR codecs: bytes arrive and leave as `AsyncIterable<Uint8Array>`.
 *
 * - `NarReader` pulls chunks only when the decoder needs them (backpressure for free), hashes
 *   the NAR bytes on the way (a tee), and after the end hands back the bytes that followed
 *   the NAR (or, given a `ByteSource`, puts them back into it) — for NARs sent unframed.
 * - `decodeNar(src, sink)` drives a `NarSink` (C++ `FileSystemObjectSink`).
 * - `encodeNar(events)` renders events (e.g. `narEvents(tree)`, or a castore walk) as NAR bytes.
 */
import { createHash, type Hash } from 'node:crypto'
import { NixHash, type HashAlgo } from '../store-path/index.js'
import { ByteSource } from '../wire/index.js'
import { NarDecoder, type NarDecoderOptions } from './decoder.js'
import { NarEncoder, type NarEncoderOptions } from './encoder.js'
import { NarContractError } from './errors.js'
import type { NarEvent } from './events.js'
import { concatBytes } from './tree.js'

export type Awaitable<T> = T | Promise<T>

/** A path inside a NAR as its components (byte strings); the root is `[]`. */
export type NarPath = readonly Uint8Array[]

/**
 * The contents of one regular file, read by the sink. The sink must read all `size` bytes
 * before its `createRegularFile` settles (tvix `FileReader` contract; checked). Chunks are
 * views valid until the next read: copy what you keep.
 */
export interface NarFileContents extends AsyncIterable<Uint8Array> {
  readonly size: number
  /** Bytes not yet read. */
  readonly remaining: number
  /** The next chunk, or undefined once all `size` bytes have been read. */
  read(): Promise<Uint8Array | undefined>
  /**
   * The next chunk if it is already buffered, else undefined (then use `read()`): lets a sink
   * handle small files without a promise per chunk.
   */
  readBuffered(): Uint8Array | undefined
}

/**
 * Where a decoded NAR goes (C++ `FileSystemObjectSink`). Calls arrive in NAR order: a
 * directory's `createDirectory`, then its entries (each fully delivered, files drained),
 * then `closeDirectory`. Methods may return promises; they are awaited one at a time.
 */
export interface NarSink {
  createDirectory(path: NarPath): Awaitable<void>
  /** All entries of the directory at `path` have been delivered. */
  closeDirectory?(path: NarPath): Awaitable<void>
  /** A regular file of `contents.size` bytes; read them all before settling. */
  createRegularFile(path: NarPath, executable: boolean, contents: NarFileContents): Awaitable<void>
  createSymlink(path: NarPath, target: Uint8Array): Awaitable<void>
}

export interface NarReadOptions extends NarDecoderOptions {
  /** Also hash the NAR bytes with this algorithm (C++ `HashSink` tee); none by default. */
  hash?: HashAlgo
  signal?: AbortSignal
}

/** What reading a NAR found out about it. */
export interface NarResult {
  /** Bytes in the NAR (C++ `narSize`). */
  narSize: number
  /** The NAR's hash, when `hash` was asked for. */
  narHash: NixHash | undefined
  /**
   * Bytes read from the source after the end of the NAR (empty when the source was a
   * ByteSource: they were put back into it).
   */
  rest: Uint8Array
}

const EMPTY = new Uint8Array(0)
const ROOT: NarPath = Object.freeze([]) as NarPath

/** Pull-driven events from an async byte source; see the module comment. */
export class NarReader {
  private readonly dec: NarDecoder
  private readonly source: ByteSource
  private readonly ownSource: boolean
  private readonly hasher: Hash | undefined
  private readonly algo: HashAlgo | undefined
  private readonly signal: AbortSignal | undefined
  private last: Uint8Array | undefined
  private result: NarResult | undefined

  constructor(src: AsyncIterable<Uint8Array> | ByteSource, opts: NarReadOptions = {}) {
    this.dec = new NarDecoder(opts)
    this.ownSource = !(src instanceof ByteSource)
    this.source = src instanceof ByteSource ? src : new ByteSource(src)
    this.algo = opts.hash
    this.hasher = opts.hash ? createHash(opts.hash) : undefined
    this.signal = opts.signal
  }

  /** True once the NAR is complete. */
  get done(): boolean { return this.result !== undefined }

  /** Bytes consumed so far (after a `regular` event: the NAR offset of its contents). */
  get position(): number { return this.dec.position }

  /** Size, hash and trailing bytes; available once `done`. */
  get narResult(): NarResult {
    if (this.result === undefined) throw new NarContractError('NAR result requested before the end of the NAR')
    return this.result
  }

  /** The next event if the bytes for it are buffered; undefined if more input is needed or done. */
  tryNext(): NarEvent | undefined {
    const ev = this.dec.next()
    if (ev === undefined && this.dec.done && this.result === undefined) this.finish()
    return ev
  }

  /** The next event, reading more input as needed; undefined after the end of the NAR. */
  async next(): Promise<NarEvent | undefined> {
    for (;;) {
      const ev = this.tryNext()
      if (ev !== undefined || this.result !== undefined) return ev
      await this.pull()
    }
  }

  /** Read to the end of the NAR (discarding events) and return its result. */
  async drain(): Promise<NarResult> {
    while ((await this.next()) !== undefined) { /* skip */ }
    return this.narResult
  }

  private async pull(): Promise<void> {
    this.signal?.throwIfAborted()
    if (this.last !== undefined) this.hasher?.update(this.last)
    this.last = undefined
    const chunk = await this.source.readSome(Number.MAX_SAFE_INTEGER)
    if (chunk === undefined) { this.dec.end(); throw new NarContractError('unreachable: decoder accepted an incomplete NAR') }
    this.dec.push(chunk)
    this.last = chunk
  }

  private finish(): void {
    const rest = this.dec.rest()
    if (this.last !== undefined) this.hasher?.update(this.last.subarray(0, this.last.length - rest.length))
    this.last = undefined
    let trailing = EMPTY
    if (this.ownSource) trailing = new Uint8Array(rest)
    else this.source.unshift(rest) // copies unless `rest` is still in place in the source's buffer
    const narHash = this.hasher && this.algo ? NixHash.fromDigest(this.algo, new Uint8Array(this.hasher.digest())) : undefined
    this.result = { narSize: this.dec.position, narHash, rest: trailing }
  }
}

class FileContents implements NarFileContents {
  readonly size: number
  remaining: number
  private readonly reader: NarReader

  constructor(reader: NarReader, size: number) {
    this.reader = reader
    this.size = size
    this.remaining = size
  }

  readBuffered(): Uint8Array | undefined {
    if (this.remaining === 0) return undefined
    return this.accept(this.reader.tryNext())
  }

  async read(): Promise<Uint8Array | undefined> {
    if (this.remaining === 0) return undefined
    return this.accept(await this.reader.next())
  }

  private accept(ev: NarEvent | undefined): Uint8Array | undefined {
    if (ev === undefined) return undefined
    if (ev.kind !== 'contents') throw new NarContractError(`expected file contents, got '${ev.kind}'`)
    this.remaining -= ev.data.length
    return ev.data
  }

  [Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    return {
      next: async (): Promise<IteratorResult<Uint8Array>> => {
        const d = await this.read()
        return d === undefined ? { done: true, value: undefined } : { done: false, value: d }
      },
    }
  }
}

/**
 * Decode a NAR from `src` into `sink`. Resolves with the NAR's size (and hash, if asked) once
 * the NAR ends; bytes after it are returned in `rest`, or put back when `src` is a ByteSource.
 * Throws BadArchiveError subclasses on invalid input (the sink may have seen a prefix).
 */
export async function decodeNar(src: AsyncIterable<Uint8Array> | ByteSource, sink: NarSink, opts: NarReadOptions = {}): Promise<NarResult> {
  const r = new NarReader(src, opts)
  const dirs: NarPath[] = []
  let name: Uint8Array | undefined
  const here = (): NarPath => {
    const parent = dirs[dirs.length - 1]
    return parent === undefined ? ROOT : [...parent, name!]
  }
  for (;;) {
    let ev = r.tryNext()
    if (ev === undefined) {
      if (r.done) break
      ev = await r.next()
      if (ev === undefined) break
    }
    let p: Awaitable<void> | undefined
    switch (ev.kind) {
      case 'entry':
        name = ev.name
        break
      case 'directory': {
        const path = here()
        dirs.push(path)
        p = sink.createDirectory(path)
        break
      }
      case 'directoryEnd': {
        const path = dirs.pop()!
        if (sink.closeDirectory) p = sink.closeDirectory(path)
        break
      }
      case 'symlink':
        p = sink.createSymlink(here(), ev.target)
        break
      case 'regular': {
        const contents = new FileContents(r, ev.size)
        const q = sink.createRegularFile(here(), ev.executable, contents)
        if (q !== undefined) await q
        if (contents.remaining > 0) {
          throw new NarContractError(`NAR sink returned before draining the file contents (${contents.remaining} of ${contents.size} bytes unread)`)
        }
        break
      }
      case 'contents':
        throw new NarContractError('file contents outside a file')
    }
    if (p !== undefined) await p
  }
  return r.narResult
}

/** Read a NAR to its end without a sink: validates it and returns its size and hash. */
export function scanNar(src: AsyncIterable<Uint8Array> | ByteSource, opts: NarReadOptions = {}): Promise<NarResult> {
  return new NarReader(src, opts).drain()
}

export interface EncodeNarOptions extends NarEncoderOptions {
  signal?: AbortSignal
}

/**
 * Render events as NAR bytes, in pieces of about `chunkSize` (large file contents pass
 * through uncopied). The consumer pulls, so a slow consumer slows the producer.
 */
export async function* encodeNar(events: AsyncIterable<NarEvent> | Iterable<NarEvent>, opts: EncodeNarOptions = {}): AsyncGenerator<Uint8Array, void, undefined> {
  const e = new NarEncoder(opts)
  for await (const ev of events) {
    e.write(ev)
    const full = e.takeFull()
    for (const piece of full) {
      opts.signal?.throwIfAborted()
      yield piece
    }
  }
  e.end()
  yield* e.take()
}

/** Concatenate an async byte stream (tests and small NARs); chunks are copied as they come. */
export async function collectBytes(src: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = []
  for await (const c of src) parts.push(new Uint8Array(c))
  return concatBytes(parts)
}

/**
 * Pass a byte stream through while hashing it; `result()` gives the hash and size once the
 * stream has been consumed to its end.
 */
export function hashingTee(src: AsyncIterable<Uint8Array>, algo: HashAlgo = 'sha256'): { stream: AsyncIterable<Uint8Array>; result(): { hash: NixHash; size: number } } {
  const h = createHash(algo)
  let size = 0
  let done: { hash: NixHash; size: number } | undefined
  async function* stream(): AsyncGenerator<Uint8Array> {
    for await (const c of src) {
      h.update(c)
      size += c.length
      yield c
    }
    done = { hash: NixHash.fromDigest(algo, new Uint8Array(h.digest())), size }
  }
  return {
    stream: stream(),
    result() {
      if (done === undefined) throw new NarContractError('hash requested before the stream was consumed')
      return done
    },
  }
}

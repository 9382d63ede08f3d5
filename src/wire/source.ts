/**
 * ByteSource: pull-based reading from an async byte stream, with a restartable synchronous
 * decode on top (`decode(fn)`), so codecs stay synchronous over a WireReader and the source
 * only reads when a decoder needs more bytes (backpressure comes for free: nothing is read
 * from the iterator until asked).
 *
 * A restart re-parses everything buffered, so a large value arriving in many chunks would cost
 * quadratic time (a 2.7 MiB QueryValidPaths took 5 s). Once the buffer is large, a restart
 * therefore waits until the buffer has doubled — or until the peer pauses, since it may have
 * sent the whole value and be waiting for the answer. A pause only counts if it is longer than
 * twice the last attempt took, so re-parsing never takes more than a third of the time even for
 * a peer that sends in bursts; with a steady sender the total work is linear.
 */
import { IncompleteError, UnexpectedEofError, WireLimitError } from './errors.js'
import { WireReader } from './reader.js'

export interface ByteSourceOptions {
  /** Refuse a single decode that needs more than this many bytes buffered (default: no limit). */
  readonly maxDecode?: number
}

/** What `ByteSource.tryDecode` returns when the buffered bytes do not hold the whole value. */
export const INCOMPLETE: unique symbol = Symbol('incomplete')

/** Below this many buffered bytes a restart is cheap and happens as soon as bytes arrive. */
const REPARSE_THRESHOLD = 256 * 1024
/** The least time the peer must be quiet before a restart goes ahead without the buffer doubling. */
const QUIET_MS = 5
const TRUE = Promise.resolve(true)
const FALSE = Promise.resolve(false)

/** An iterator that can also hand over its next chunk synchronously when one is at hand. */
export interface SyncPull {
  /** The next chunk, null at the end, undefined if it must be waited for (then call next()). */
  nextNow(): Uint8Array | null | undefined
}

export class ByteSource {
  private readonly it: AsyncIterator<Uint8Array>
  private buf: Uint8Array = new Uint8Array(0)
  private start = 0
  private end = 0
  private eof = false
  /** A read from the iterator started by `pullWhileFlowing` that has not been consumed yet. */
  private pending: Promise<IteratorResult<Uint8Array>> | undefined
  private readonly maxDecode: number

  constructor(src: AsyncIterable<Uint8Array>, opts: ByteSourceOptions = {}) {
    this.it = src[Symbol.asyncIterator]()
    this.maxDecode = opts.maxDecode ?? Number.POSITIVE_INFINITY
  }

  /** Bytes buffered and not yet consumed. */
  get buffered(): number { return this.end - this.start }
  get ended(): boolean { return this.eof && this.buffered === 0 }

  /** Pull one more chunk into the buffer; false at end of input. */
  private async pull(): Promise<boolean> {
    if (this.eof) return false
    const next = this.pending ?? this.it.next()
    this.pending = undefined
    const r = await next
    if (r.done) { this.eof = true; return false }
    this.append(r.value)
    return true
  }

  /** Pull chunks until `target` bytes are buffered, as long as each arrives within `quietMs`. */
  private async pullWhileFlowing(target: number, quietMs: number): Promise<void> {
    while (this.buffered < target && !this.eof) {
      const next = this.pending ?? this.it.next()
      this.pending = next
      let timer: NodeJS.Timeout | undefined
      const quiet = new Promise<boolean>(resolve => { timer = setTimeout(() => resolve(false), quietMs) })
      // a failed read is reported by the pull() that consumes it
      const arrived = await Promise.race([next.then(() => true, () => true), quiet])
      clearTimeout(timer)
      if (!arrived) return // the read stays pending for the next pull()
      await this.pull()
    }
  }

  private append(chunk: Uint8Array): void {
    if (chunk.length === 0) return
    if (this.start === this.end) {
      // Nothing buffered: adopt the chunk without copying (it is not ours to write into).
      this.buf = chunk; this.start = 0; this.end = chunk.length; this.owned = false
      return
    }
    if (this.owned && this.buf.length - this.end >= chunk.length) {
      this.buf.set(chunk, this.end)
      this.end += chunk.length
      return
    }
    const have = this.end - this.start
    let size = Math.max(4096, this.buf.length)
    while (size < have + chunk.length) size *= 2
    const next = new Uint8Array(size)
    next.set(this.buf.subarray(this.start, this.end))
    next.set(chunk, have)
    this.buf = next; this.start = 0; this.end = have + chunk.length; this.owned = true
  }
  /** True when `buf` was allocated here (so appending in place is allowed). */
  private owned = false

  /**
   * Pull one chunk synchronously if the iterator can (`SyncPull`) and one is at hand: true if
   * bytes were added. False says nothing about the end: then wait with `hasMore` or `decode`.
   */
  pullNow(): boolean {
    if (this.eof || this.pending !== undefined) return false
    const c = (this.it as Partial<SyncPull>).nextNow?.()
    if (c === undefined) return false
    if (c === null) { this.eof = true; return false }
    this.append(c)
    return c.length > 0
  }

  /** Ensure at least n bytes are buffered; false if the input ends first. */
  async fill(n: number): Promise<boolean> {
    while (this.buffered < n) if (!(await this.pull())) return false
    return true
  }

  /**
   * True if at least one more byte exists (waits for it). A clean EOF gives false. Written
   * without async functions: a server waits here between requests, and each layer of
   * `await` would cost a turn of the microtask queue per request.
   */
  hasMore(): Promise<boolean> {
    if (this.end > this.start) return TRUE
    if (this.eof) return FALSE
    const next = this.pending ?? this.it.next()
    this.pending = undefined
    return next.then(r => {
      if (r.done) { this.eof = true; return false }
      this.append(r.value)
      return this.end > this.start ? true : this.hasMore()
    })
  }

  /**
   * Run a synchronous decoder over the buffered bytes, pulling more until it completes.
   * On success the bytes it read are consumed; at end of input → UnexpectedEofError.
   */
  async decode<T>(fn: (r: WireReader) => T, what = 'value'): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      const r = new WireReader(this.buf.subarray(this.start, this.end))
      const started = performance.now()
      try {
        const v = fn(r)
        this.start += r.pos
        return v
      } catch (e) {
        if (!(e instanceof IncompleteError)) throw e
        if (e.needed > this.maxDecode) throw new WireLimitError(what, e.needed, this.maxDecode)
        const took = performance.now() - started
        if (!(await this.fill(e.needed))) throw new UnexpectedEofError(what)
        if (attempt > 0 && this.buffered >= REPARSE_THRESHOLD) {
          await this.pullWhileFlowing(Math.min(2 * this.buffered, this.maxDecode), Math.max(QUIET_MS, 2 * took))
        }
      }
    }
  }

  /**
   * `decode` without waiting, for the common case of a request already buffered whole: the
   * value (bytes consumed), or INCOMPLETE with nothing consumed — then call `decode`, which
   * pulls more and applies the size bound. Other decoder errors propagate.
   */
  tryDecode<T>(fn: (r: WireReader) => T): T | typeof INCOMPLETE {
    if (this.start === this.end) return INCOMPLETE
    const r = new WireReader(this.buf.subarray(this.start, this.end))
    try {
      const v = fn(r)
      this.start += r.pos
      return v
    } catch (e) {
      if (e instanceof IncompleteError) return INCOMPLETE
      throw e
    }
  }

  /** Exactly n bytes (a view; copy to keep beyond the next read). */
  async read(n: number, what = 'bytes'): Promise<Uint8Array> {
    if (!(await this.fill(n))) throw new UnexpectedEofError(what)
    const b = this.buf.subarray(this.start, this.start + n)
    this.start += n
    return b
  }

  /** The bytes buffered now, unconsumed (a view: see `read`); `skip` consumes them. */
  peek(): Uint8Array { return this.buf.subarray(this.start, this.end) }

  /** Consume `n` bytes already buffered (after `peek`). */
  skip(n: number): void {
    if (n > this.buffered) throw new RangeError(`cannot skip ${n} bytes, ${this.buffered} are buffered`)
    this.start += n
  }

  /** Up to `max` bytes, whatever is available first (at least 1); undefined at end of input. */
  async readSome(max: number): Promise<Uint8Array | undefined> {
    if (this.buffered === 0 && !(await this.fill(1))) return undefined
    const n = Math.min(max, this.buffered)
    const b = this.buf.subarray(this.start, this.start + n)
    this.start += n
    return b
  }

  u64(what = 'u64'): Promise<bigint> { return this.decode(r => r.u64(), what) }
  num(what = 'number'): Promise<number> { return this.decode(r => r.num(what), what) }

  /** Hand back bytes that a consumer read too far (e.g. after a framed terminator). */
  unshift(b: Uint8Array): void {
    if (b.length === 0) return
    // The tail of what was just read, still in place in our buffer: step back, copying nothing
    // (a reader that took a whole chunk and used the start of it hands the rest back per item).
    if (b.buffer === this.buf.buffer && b.byteOffset + b.length === this.buf.byteOffset + this.start && b.length <= this.start) {
      this.start -= b.length
      return
    }
    const have = this.buf.subarray(this.start, this.end)
    const next = new Uint8Array(b.length + have.length)
    next.set(b)
    next.set(have, b.length)
    this.buf = next
    this.start = 0
    this.end = next.length
    this.owned = true
  }
}

/**
 * Adapters between Node streams and the byte interfaces the protocol code uses: a readable
 * becomes an AsyncIterable<Uint8Array> (pulled, so backpressure is the stream's own), and a
 * writable becomes a ByteSink whose write() waits for 'drain'.
 */
import type { Readable, Writable } from 'node:stream'
import type { SocketDirect } from '../os/index.js'
import type { SyncPull } from '../wire/index.js'

export interface ByteSink {
  /** Resolves once the bytes are handed to the OS or buffered below the high-water mark. */
  write(bytes: Uint8Array): Promise<void>
  /** Half-close (no more writes). */
  end(): Promise<void>
  /**
   * Optional synchronous write, in order with `write`: true if the bytes were taken without
   * backpressure, false if the caller should wait for `drain()` before writing more.
   */
  tryWrite?(bytes: Uint8Array): boolean
  drain?(): Promise<void>
}

/**
 * Pull chunks from a readable stream (its async iterator reads on demand; no 'data' listener).
 * Reaching the end must not destroy the stream: for a socket that would also close the side we
 * still write the reply to, so a client that half-closes after its last request never got the
 * answer. Whoever owns the stream closes it.
 */
export function readableSource(r: Readable): AsyncIterable<Uint8Array> {
  return { [Symbol.asyncIterator]: () => r.iterator({ destroyOnReturn: false }) }
}

/**
 * Like `readableSource`, with less machinery per chunk (the daemon reads one small request per
 * chunk, so the stream's async iterator was a good part of each round trip): the stream flows
 * into a queue by 'data' events and is paused while `highWater` bytes wait unread, so
 * backpressure still reaches the peer. End, error and close end the iteration (an error is
 * thrown); the stream is never destroyed here, as with `readableSource`.
 *
 * With `direct` (a socket), the iterator can also pull synchronously (`SyncPull.nextNow`): when
 * nothing waits in the queue or in the stream, the next bytes are read from the socket itself.
 */
export function flowingSource(r: Readable, highWater = 256 * 1024, direct?: SocketDirect): AsyncIterable<Uint8Array> {
  return {
    [Symbol.asyncIterator](): AsyncIterator<Uint8Array> & SyncPull {
      const queue: Uint8Array[] = []
      let queued = 0
      let ended = false
      let failure: unknown
      // A reader waiting for the next chunk: handed it directly (no queue, no extra promise hop).
      let waiter: { resolve(v: IteratorResult<Uint8Array>): void; reject(e: unknown): void } | undefined
      const settleEnd = (): void => {
        const w = waiter
        if (w === undefined) return
        waiter = undefined
        detach()
        if (failure !== undefined) w.reject(failure)
        else w.resolve({ value: undefined, done: true })
      }
      const onData = (c: Uint8Array): void => {
        direct?.turned()
        const w = waiter
        if (w !== undefined) { waiter = undefined; w.resolve({ value: c, done: false }); return }
        queue.push(c)
        queued += c.length
        if (queued >= highWater) r.pause()
      }
      const onEnd = (): void => { ended = true; settleEnd() }
      const onError = (e: unknown): void => { failure ??= e; ended = true; settleEnd() }
      const detach = (): void => { r.off('data', onData); r.off('end', onEnd); r.off('close', onEnd); r.off('error', onError) }
      r.on('data', onData)
      r.on('end', onEnd)
      r.on('close', onEnd)
      r.on('error', onError)
      return {
        next(): Promise<IteratorResult<Uint8Array>> {
          const c = queue.shift()
          if (c !== undefined) {
            queued -= c.length
            if (queued < highWater && r.isPaused() && !ended) r.resume()
            return Promise.resolve({ value: c, done: false })
          }
          if (ended) {
            detach()
            return failure !== undefined ? Promise.reject(failure) : Promise.resolve({ value: undefined, done: true })
          }
          return new Promise((resolve, reject) => { waiter = { resolve, reject } })
        },
        nextNow(): Uint8Array | null | undefined {
          // the socket's next bytes are the stream's next bytes only when it holds none unread
          if (direct === undefined || ended || waiter !== undefined || queue.length > 0 || r.readableLength > 0) return undefined
          const c = direct.read()
          if (c === null) ended = true
          return c
        },
        async return(): Promise<IteratorResult<Uint8Array>> {
          detach()
          if (!ended) r.pause()
          return { value: undefined, done: true }
        },
      }
    },
  }
}

export class WritableSink implements ByteSink {
  private readonly w: Writable
  private failed: Error | undefined

  /** With `direct` (a socket), bytes go out by one write() of its own when the stream has none queued. */
  constructor(w: Writable, private readonly direct?: SocketDirect) {
    this.w = w
    w.on('error', e => { this.failed = e })
  }

  async write(bytes: Uint8Array): Promise<void> {
    if (!this.tryWrite(bytes)) await this.drained()
  }

  tryWrite(bytes: Uint8Array): boolean {
    if (this.failed) throw this.failed
    if (this.w.destroyed || this.w.writableEnded) throw new Error('write after the connection closed')
    if (this.direct !== undefined && this.w.writableLength === 0) {
      const n = this.direct.write(bytes)
      if (n === bytes.length) return true
      // the rest (or all of it, after an error the stream will then report) the usual way
      if (n > 0) bytes = bytes.subarray(n)
    }
    return this.w.write(bytes)
  }

  drain(): Promise<void> {
    if (this.failed) return Promise.reject(this.failed)
    return this.w.writableNeedDrain ? this.drained() : Promise.resolve()
  }

  /** Wait for 'drain', or fail on 'close' (a destroyed socket never drains); no listener is left behind. */
  private drained(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const done = () => { this.w.off('drain', onDrain); this.w.off('close', onClose) }
      const onDrain = () => { done(); resolve() }
      const onClose = () => { done(); reject(this.failed ?? new Error('connection closed while writing')) }
      this.w.on('drain', onDrain)
      this.w.on('close', onClose)
    })
  }

  async end(): Promise<void> {
    if (this.w.writableEnded || this.w.destroyed) return
    await new Promise<void>(resolve => this.w.end(() => resolve()))
  }
}

/** A ByteSink that collects everything written (tests, transcripts). */
export class MemorySink implements ByteSink {
  readonly chunks: Uint8Array[] = []
  ended = false
  async write(bytes: Uint8Array): Promise<void> { this.chunks.push(bytes.slice()) }
  async end(): Promise<void> { this.ended = true }
  bytes(): Uint8Array {
    const n = this.chunks.reduce((a, c) => a + c.length, 0)
    const out = new Uint8Array(n)
    let o = 0
    for (const c of this.chunks) { out.set(c, o); o += c.length }
    return out
  }
}

/**
 * An in-process byte pipe: what is written to `sink` comes out of `source`. Like a socket, it
 * buffers up to `capacity` bytes; beyond that a write waits until the reader catches up.
 */
export function bytePipe(capacity = 256 * 1024): { sink: ByteSink; source: AsyncIterable<Uint8Array>; close(): void } {
  const chunks: Uint8Array[] = []
  let buffered = 0
  let readerWake: (() => void) | undefined
  let writerWake: (() => void) | undefined
  let closed = false
  const wakeReader = () => { const w = readerWake; readerWake = undefined; w?.() }
  const wakeWriter = () => { const w = writerWake; writerWake = undefined; w?.() }
  const source: AsyncIterable<Uint8Array> = {
    async *[Symbol.asyncIterator]() {
      for (;;) {
        const c = chunks.shift()
        if (c) { buffered -= c.length; wakeWriter(); yield c; continue }
        if (closed) return
        await new Promise<void>(resolve => { readerWake = resolve })
      }
    },
  }
  const close = () => { closed = true; wakeReader(); wakeWriter() }
  const sink: ByteSink = {
    async write(bytes) {
      if (closed) throw new Error('write to a closed pipe')
      if (bytes.length === 0) return
      chunks.push(bytes.slice())
      buffered += bytes.length
      wakeReader()
      while (buffered > capacity && !closed) await new Promise<void>(resolve => { writerWake = resolve })
    },
    async end() { close() },
  }
  return { sink, source, close }
}

/**
 * SHA-256 of a byte stream computed on a worker thread once the stream is large, so hashing a
 * big NAR overlaps with decoding it and storing its files (on one thread they add up).
 *
 * The producer copies each piece into a shared ring (its own buffers may be reused as soon as
 * the next piece is pulled) and posts the ring's slots as they fill; the worker hashes them in
 * order. A stream that ends within INLINE bytes never starts a worker: its copies are hashed
 * here at the end. Bytes are added before it is known where the stream ends, so the last piece
 * stays uncommitted: `finish(n)` hashes exactly the first n bytes.
 */
import { createHash, type Hash } from 'node:crypto'
import { availableParallelism } from 'node:os'
import { Worker } from 'node:worker_threads'

/** Pieces handed to `add` are at most this long (split larger ones). */
export const SLOT = 1024 * 1024
const SLOTS = 16
const RING = SLOT * SLOTS
/** Streams up to this long are hashed on the calling thread. */
const INLINE = 4 * SLOT
const IDLE_MAX = 2
/** Workers hashing at once; further large streams are hashed on their own thread. */
const ACTIVE_MAX = Math.max(1, Math.min(4, availableParallelism() - 1))
let active = 0

interface ShaWorker {
  worker: Worker
  ring: Uint8Array
  done: Int32Array
  /** Slots posted over the worker's life (compared with `done[0]`). */
  posted: number
  /** Why the worker stopped, once it has. */
  failed?: Error
}

const idle: ShaWorker[] = []

// Node 20 has Atomics.waitAsync; the compiler's lib (es2022) does not declare it yet.
const waitAsync = (Atomics as unknown as {
  waitAsync(a: Int32Array, i: number, v: number, timeout: number): { value: Promise<string> | string }
}).waitAsync

function acquire(): ShaWorker | undefined {
  if (active >= ACTIVE_MAX) return undefined
  active++
  const spare = idle.pop()
  if (spare !== undefined) { spare.worker.ref(); return spare }
  const ring = new SharedArrayBuffer(RING), ctl = new SharedArrayBuffer(4)
  const worker = new Worker(new URL('./sha256-worker.js', import.meta.url), { workerData: { ring, ctl } })
  const w: ShaWorker = { worker, ring: new Uint8Array(ring), done: new Int32Array(ctl), posted: 0 }
  worker.on('error', e => { w.failed ??= e })
  worker.on('exit', code => { w.failed ??= new Error(`sha256 worker exited with code ${code}`) })
  return w
}

function release(w: ShaWorker): void {
  active--
  if (w.failed !== undefined) return
  if (idle.length < IDLE_MAX) { w.worker.unref(); idle.push(w) } else void w.worker.terminate()
}

export class OffloadedSha256 {
  private held: Uint8Array[] = []
  private heldBytes = 0
  private w: ShaWorker | undefined
  /** Large, but every worker busy: hashed here, holding back only the uncommitted last piece. */
  private local: Hash | undefined
  /** Ring slot (of the worker's life) where this stream's byte 0 went. */
  private base = 0
  private copied = 0
  private committed = 0
  private posted = 0
  private closed = false

  /** Add a piece (at most SLOT bytes; copied, so the caller may reuse it). */
  async add(piece: Uint8Array): Promise<void> {
    if (this.local !== undefined) {
      this.hashCommitted()
      this.held.push(Uint8Array.prototype.slice.call(piece))
      this.heldBytes += piece.length
      this.copied += piece.length
      return
    }
    if (this.w === undefined) {
      this.held.push(Uint8Array.prototype.slice.call(piece))
      this.heldBytes += piece.length
      this.copied += piece.length
      if (this.heldBytes <= INLINE) return
      this.w = acquire()
      if (this.w === undefined) {
        this.local = createHash('sha256')
        this.hashCommitted()
        return
      }
      this.base = this.w.posted
      const held = this.held
      this.held = []
      const committed = this.committed
      this.copied = 0
      for (const p of held) await this.copyIn(p)
      this.committed = committed
      this.post(false)
      return
    }
    await this.copyIn(piece)
  }

  /** Everything added so far belongs to the stream. */
  commitAll(): void {
    this.committed = this.copied
    this.post(false)
  }

  /** The digest of the first `n` bytes added (n at least the committed bytes). */
  async finish(n: number): Promise<Uint8Array> {
    if (n < this.committed || n > this.copied) throw new RangeError(`sha256 offload: ${n} bytes hashed, but ${this.committed}..${this.copied} were added`)
    this.closed = true
    if (this.w === undefined) {
      const h = this.local ?? createHash('sha256')
      this.local = undefined
      let left = n - this.hashed
      for (const p of this.held) { if (left === 0) break; const k = Math.min(left, p.length); h.update(k === p.length ? p : p.subarray(0, k)); left -= k }
      this.held = []
      return h.digest()
    }
    const w = this.w
    this.w = undefined
    this.committed = n
    try {
      this.post(true, w)
      if (w.failed !== undefined) throw w.failed
      return await new Promise<Uint8Array>((resolve, reject) => {
        const onErr = (e: unknown): void => {
          w.worker.off('message', onMsg); w.worker.off('error', onErr); w.worker.off('exit', onErr)
          reject(e instanceof Error ? e : new Error(`sha256 worker exited with code ${String(e)}`))
        }
        const onMsg = (d: Uint8Array): void => { w.worker.off('error', onErr); w.worker.off('exit', onErr); resolve(new Uint8Array(d)) }
        w.worker.once('message', onMsg)
        w.worker.once('error', onErr)
        w.worker.once('exit', onErr)
        w.worker.postMessage({ t: 'end' })
      })
    } finally {
      release(w)
    }
  }

  /** Give up (the stream failed); the worker goes back to the pool once it has caught up. */
  abort(): void {
    if (this.closed) return
    this.closed = true
    this.held = []
    this.local = undefined
    const w = this.w
    this.w = undefined
    if (w === undefined) return
    w.worker.postMessage({ t: 'reset' })
    release(w)
  }

  /** Bytes hashed by `local`. */
  private hashed = 0

  /** Local mode: hash the held pieces wholly committed (all but the last, at most). */
  private hashCommitted(): void {
    const h = this.local!
    while (this.held.length > 0 && this.hashed + this.held[0]!.length <= this.committed) {
      const p = this.held.shift()!
      h.update(p)
      this.hashed += p.length
      this.heldBytes -= p.length
    }
  }

  private async copyIn(piece: Uint8Array): Promise<void> {
    const w = this.w!
    let from = 0
    while (from < piece.length) {
      // Bytes of the ring still unhashed: from the first slot not done to what is copied.
      let used = this.copied - (Atomics.load(w.done, 0) - this.base) * SLOT
      if (used >= RING) {
        this.post(false)
        const seen = Atomics.load(w.done, 0)
        used = this.copied - (seen - this.base) * SLOT
        if (used >= RING) {
          if (w.failed !== undefined) throw w.failed
          // Bounded waits: a worker that died cannot notify.
          await waitAsync(w.done, 0, seen, 1000).value
          continue
        }
      }
      const off = (this.base * SLOT + this.copied) % RING
      const k = Math.min(piece.length - from, RING - off, RING - used)
      w.ring.set(from === 0 && k === piece.length ? piece : piece.subarray(from, from + k), off)
      from += k
      this.copied += k
    }
  }

  /** Post the committed whole slots (and, at the end, the last partial one). */
  private post(end: boolean, w = this.w): void {
    if (w === undefined) return
    for (;;) {
      const slotEnd = this.posted + SLOT
      if (slotEnd > this.committed && !(end && this.posted < this.committed)) break
      const len = Math.min(SLOT, this.committed - this.posted)
      w.worker.postMessage({ t: 'data', off: (this.base * SLOT + this.posted) % RING, len })
      w.posted++
      this.posted += len
    }
  }
}

/**
 * SHA-256 of a byte stream computed on a worker thread once the stream is large, so hashing a
 * big NAR overlaps with decoding it and storing its files (on one thread they add up).
 *
 * The producer copies each piece into a shared ring (its own buffers may be reused as soon as
 * the next piece is pulled) and posts the ring's slots as they fill; the worker hashes them in
 * order. A stream that ends within INLINE bytes never starts a worker: its copies are hashed
 * here at the end. Bytes are added before it is known where the stream ends, so the last piece
 * stays uncommitted: `finish(n)` hashes exactly the first n bytes.
 *
 * A stream whose producer never changes a piece once handed out (`stable`, e.g. `dumpPath`)
 * is hashed without copies where the native addon offers SHA-256 on the thread pool (OpenSSL's,
 * as node:crypto's): committed pieces are handed to it in place, a few per task, with no ring
 * and no message per slot. TSNIX_SHA256_NATIVE=0 turns that off (the ring as above).
 */
import { createHash, type Hash } from 'node:crypto'
import { availableParallelism } from 'node:os'
import { Worker } from 'node:worker_threads'
import { type NativeCalls, nativeCalls, type NativeSha256Handle } from '../os/index.js'

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

type ShaCalls = NativeCalls<'sha256New' | 'sha256UpdateAsync' | 'sha256Final'>
/** Looked up per large stream (cheap at that rate; tests switch it). */
const nativeSha = (): ShaCalls | null => nativeCalls('TSNIX_SHA256_NATIVE', 'sha256New', 'sha256UpdateAsync', 'sha256Final')
/**
 * Bytes of a stable stream the hasher may still reference when `add` settles (not yet hashed):
 * a producer may reuse a piece once this many bytes have been added after it.
 */
export const STABLE_HELD_MAX = RING + SLOT
/** Bytes one thread-pool task hashes at most (file writes queued behind it wait that long). */
const TASK_MAX = 4 * SLOT

/** A stable stream hashed on the thread pool: committed pieces queue while a task runs. */
interface NativeState {
  calls: ShaCalls
  h: NativeSha256Handle
  queue: Uint8Array[]
  /** Bytes queued or being hashed. */
  pending: number
  running: Promise<void> | undefined
  failed: boolean
}

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
  /** `stable`: the producer never changes a piece it has added (then none is copied, natively). */
  constructor(private readonly stable = false) {}

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
    if (this.nat !== undefined) {
      this.held.push(piece)
      this.heldBytes += piece.length
      this.copied += piece.length
      this.submitCommitted()
      // As the ring: at most RING bytes added and not yet hashed.
      while (this.nat.pending > RING && this.nat.running !== undefined) await this.nat.running
      return
    }
    if (this.local !== undefined) {
      this.hashCommitted()
      this.held.push(Uint8Array.prototype.slice.call(piece))
      this.heldBytes += piece.length
      this.copied += piece.length
      return
    }
    if (this.w === undefined) {
      const calls = this.stable ? nativeSha() : null
      this.held.push(calls !== null ? piece : Uint8Array.prototype.slice.call(piece))
      this.heldBytes += piece.length
      this.copied += piece.length
      if (this.heldBytes <= INLINE) return
      if (calls !== null) {
        this.nat = { calls, h: calls.sha256New(), queue: [], pending: 0, running: undefined, failed: false }
        this.submitCommitted()
        return
      }
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
    if (this.nat !== undefined) this.submitCommitted()
    else this.post(false)
  }

  /** The digest of the first `n` bytes added (n at least the committed bytes). */
  async finish(n: number): Promise<Uint8Array> {
    if (n < this.committed || n > this.copied) throw new RangeError(`sha256 offload: ${n} bytes hashed, but ${this.committed}..${this.copied} were added`)
    this.closed = true
    if (this.nat !== undefined) return this.finishNative(n)
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
    if (this.nat !== undefined) { this.nat.queue = []; this.nat = undefined } // a running task ends by itself
    const w = this.w
    this.w = undefined
    if (w === undefined) return
    w.worker.postMessage({ t: 'reset' })
    release(w)
  }

  /** Bytes hashed by `local`, or handed to the native hasher. */
  private hashed = 0
  private nat: NativeState | undefined

  /** Native mode: queue the pieces wholly committed, and start a task if none runs. */
  private submitCommitted(): void {
    const nat = this.nat!
    while (this.held.length > 0 && this.hashed + this.held[0]!.length <= this.committed) {
      const p = this.held.shift()!
      nat.queue.push(p)
      nat.pending += p.length
      this.hashed += p.length
      this.heldBytes -= p.length
    }
    this.pump(nat)
  }

  private pump(nat: NativeState): void {
    if (nat.running !== undefined || nat.queue.length === 0 || nat.failed) return
    let k = 0, bytes = 0
    while (k < nat.queue.length && (k === 0 || bytes + nat.queue[k]!.length <= TASK_MAX)) bytes += nat.queue[k++]!.length
    const batch = nat.queue.splice(0, k)
    nat.running = nat.calls.sha256UpdateAsync(nat.h, batch).then(r => {
      nat.running = undefined
      nat.pending -= bytes
      if (r !== 0) nat.failed = true
      this.pump(nat)
    }, () => { nat.running = undefined; nat.failed = true })
  }

  private async finishNative(n: number): Promise<Uint8Array> {
    const nat = this.nat!
    this.nat = undefined
    // The first n bytes: whole held pieces, then the part of the next one up to n.
    this.committed = n
    for (const p of this.held) {
      const k = Math.min(n - this.hashed, p.length)
      if (k <= 0) break
      nat.queue.push(k === p.length ? p : p.subarray(0, k))
      nat.pending += k
      this.hashed += k
    }
    this.held = []
    this.heldBytes = 0
    while (!nat.failed && (nat.running !== undefined || nat.queue.length > 0)) {
      this.pump(nat)
      await nat.running
    }
    if (nat.failed) throw new Error('sha256: the native hasher failed')
    return nat.calls.sha256Final(nat.h)
  }

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

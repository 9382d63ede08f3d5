/**
 * The main thread's side of the NAR file helper thread (fs-helper.ts; protocol in
 * fs-shared.ts). `leaseHelper()` hands the one helper of this process to one job at a time;
 * a job that finds it busy (or unavailable) does its file I/O itself. The helper starts on
 * first use, is unref'd (it never keeps the process alive) and exits when idle for a while.
 */
import { readFileSync } from 'node:fs'
import { availableParallelism, loadavg } from 'node:os'
import { Worker } from 'node:worker_threads'
import { NarDumpError, NarRestoreError } from './errors.js'
import {
  allocateShared, C, DATA_CAP, FILE_HEADER, type HelperFailure, REQ_CAP, REQ_HEADER, REQ_RANGE, REQ_READ, REQ_WRAP, REQ_WRITE, recordLength, ring,
  type SharedBuffers, STATE_BUSY, STATE_EXITED, STATE_IDLE, STATE_STARTING,
} from './fs-shared.js'

const DATA_MASK = DATA_CAP - 1
/** ES2024's Atomics.waitAsync (in Node since 16; not in this project's ES2023 lib types). */
const waitAsync = (Atomics as unknown as {
  waitAsync(a: Int32Array, i: number, v: number, timeout?: number): { async: false; value: string } | { async: true; value: Promise<string> }
}).waitAsync
const REQ_MASK = REQ_CAP - 1
/** Small-file requests per wake-up of a sleeping helper. */
const RING_BATCH = 64
/** A dump tells the helper about consumed ring bytes in steps of this much. */
const PUBLISH_STEP = 256 * 1024

/**
 * Wait for the main thread's bell without blocking the event loop. A pending waitAsync does
 * not keep the process alive, so a timer does meanwhile (else a command would exit, status 0,
 * in the middle of its work).
 */
async function sleepAsync(c: Int32Array, bell: number, timeoutMs: number): Promise<void> {
  const w = waitAsync(c, C.M_BELL, bell, timeoutMs)
  if (!w.async) return
  const keepAlive = setTimeout(() => {}, timeoutMs + 1000)
  try {
    await w.value
  } finally {
    clearTimeout(keepAlive)
  }
}

interface Helper {
  shared: SharedBuffers
  c: Int32Array
  worker: Worker
  leased: boolean
  dead: boolean
}

let current: Helper | undefined
let disabled = false

function spawn(): Helper | undefined {
  const shared = allocateShared()
  try {
    const worker = new Worker(new URL('./fs-helper.js', import.meta.url), { workerData: shared, stdout: true, stderr: true })
    const h: Helper = { shared, c: new Int32Array(shared.control), worker, leased: false, dead: false }
    worker.unref()
    worker.on('error', () => { h.dead = true })
    worker.on('exit', () => { h.dead = true })
    return h
  } catch {
    disabled = true // e.g. no threads allowed here: do the work on this thread
    return undefined
  }
}

let spare = { at: -Infinity, value: false }

/**
 * Whether a second core is likely free for the helper. On a machine whose cores are all busy
 * (builds, other users) the helper only adds hand-offs that wait for the scheduler: measured
 * under load 8–11 on 2 cores, jobs ran slower with it than without. So: a core must be idle
 * most of the time (Linux PSI: tasks waited for a CPU in less than 60% of the last 10 s; without
 * PSI, a load average below the number of cores − 0.5), unless this thread has a real-time
 * scheduling policy (it gets its cores whatever else runs). Re-checked at most once a second.
 */
function spareCpu(): boolean {
  const now = performance.now()
  if (now - spare.at < 1000) return spare.value
  let value: boolean
  const cores = availableParallelism()
  if (cores < 2) value = false
  else if (realTime()) value = true
  else {
    const psi = cpuPressure()
    value = psi !== undefined ? psi < 60 : (loadavg()[0] ?? 0) < cores - 0.5
  }
  spare = { at: now, value }
  return value
}

function realTime(): boolean {
  try {
    const stat = readFileSync('/proc/thread-self/stat', 'latin1')
    const policy = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[38])
    return policy === 1 || policy === 2 // SCHED_FIFO, SCHED_RR
  } catch {
    return false
  }
}

/** `some avg10` of /proc/pressure/cpu: % of the last 10 s in which a task waited for a CPU. */
function cpuPressure(): number | undefined {
  try {
    const m = /some avg10=([\d.]+)/.exec(readFileSync('/proc/pressure/cpu', 'latin1'))
    return m ? Number(m[1]) : undefined
  } catch {
    return undefined
  }
}

/**
 * The helper for one job, or undefined if it is in use (or its previous job is not yet
 * acknowledged, or threads are unavailable, or — unless `always` — no core seems free).
 * End the lease with `end()`.
 */
export function leaseHelper(always = false): HelperLease | undefined {
  if (disabled || (!always && !spareCpu())) return undefined
  if (current === undefined || current.dead || Atomics.load(current.c, C.STATE) === STATE_EXITED) {
    if (current !== undefined && current.leased) return undefined
    current = spawn()
    if (current === undefined) return undefined
  }
  const h = current
  if (h.leased) return undefined
  const c = h.c
  // The previous job must be acknowledged before the counters are reset; the helper does so
  // within moments of being told (unless this thread is what it waits for, which it is not).
  for (let tries = 0; Atomics.load(c, C.ACK) !== Atomics.load(c, C.JOB); tries++) {
    if (tries === 50 || h.dead) return undefined
    const bell = Atomics.load(c, C.M_BELL)
    Atomics.store(c, C.M_SLEEP, 1)
    if (Atomics.load(c, C.ACK) !== Atomics.load(c, C.JOB)) Atomics.wait(c, C.M_BELL, bell, 1)
    Atomics.store(c, C.M_SLEEP, 0)
  }
  if (Atomics.compareExchange(c, C.STATE, STATE_IDLE, STATE_BUSY) !== STATE_IDLE &&
    Atomics.compareExchange(c, C.STATE, STATE_STARTING, STATE_BUSY) !== STATE_STARTING) return undefined
  h.leased = true
  for (const i of [C.END, C.REQ_W, C.REQ_R, C.DATA_W, C.DATA_R, C.ERR, C.NEED, C.DONE]) Atomics.store(c, i, 0)
  const job = (Atomics.load(c, C.JOB) + 1) | 0
  Atomics.store(c, C.END, job - 1)
  Atomics.store(c, C.JOB, job)
  Atomics.notify(c, C.JOB)
  return new HelperLease(h, job)
}

/**
 * One job's use of the helper. Dump: `requestRead` files in NAR order, then `take` their
 * contents in the same order. Restore: `requestWrite` a file, then `put` its contents.
 * When nothing can proceed, `waitSync`/`waitAsync` sleep until the helper makes progress.
 */
export class HelperLease {
  private readonly h: Helper
  private readonly c: Int32Array
  private readonly data: Uint8Array
  private readonly reqView: DataView
  private readonly reqBytes: Uint8Array
  private readonly job: number
  private ended = false
  private reqW = 0
  /** REQ_R and DONE as last read: they only grow, so a stale value errs on the safe side. */
  private reqR = 0
  private done = 0
  private requested = 0
  /** Our end of the data ring: DATA_R for a dump, DATA_W for a restore. */
  private dataPos = 0
  /** DATA_R published (a dump publishes in steps, or when the helper sleeps). */
  private published = 0
  /** The other end of the data ring as last read (DATA_W for a dump, DATA_R for a restore). */
  private seen = 0
  /** Ring bytes handed out by `take` and not yet released. */
  private lent = 0
  /**
   * What the last call that could not proceed saw (take/takeHeader: DATA_W; put: DATA_R;
   * allDone: DONE), so a wait sleeps only while that has not changed.
   */
  private waitIndex: number = C.DONE
  private waitValue = 0
  /** Requests not yet rung for (the helper is woken for batches, not for every file). */
  private unrung = 0
  private isReady = false
  /** Set by the first requestWrite: `put` fills the ring and the helper drains it. */
  private restoring = false

  constructor(h: Helper, job: number) {
    this.h = h
    this.c = h.c
    this.job = job
    this.data = new Uint8Array(h.shared.data)
    this.reqView = new DataView(h.shared.requests)
    this.reqBytes = new Uint8Array(h.shared.requests)
  }

  /** True once the helper thread runs (until then, do the work yourself). */
  get ready(): boolean {
    if (!this.isReady) this.isReady = Atomics.load(this.c, C.READY) === 1 && !this.h.dead
    return this.isReady
  }

  /** True while the helper sleeps (it has caught up with the requests, or waits for space). */
  get sleeping(): boolean { return Atomics.load(this.c, C.W_SLEEP) !== 0 }

  /** False once the helper thread is known to be gone (then it never becomes ready). */
  get alive(): boolean { return !this.h.dead && Atomics.load(this.c, C.STATE) !== STATE_EXITED }

  /** Requests not yet finished by the helper. */
  get outstanding(): number {
    this.done = Atomics.load(this.c, C.DONE)
    return this.requested - this.done
  }

  /** Restore: wait until the helper has finished every request (and throw what it failed with). */
  async allDone(sync: boolean): Promise<void> {
    for (;;) {
      const done = Atomics.load(this.c, C.DONE)
      if (done === this.requested) break
      this.waitIndex = C.DONE
      this.waitValue = done
      if (sync) this.waitSync()
      else await this.waitAsync()
    }
    this.check()
  }

  /** Whether fewer than `n` requests are unfinished (reads the shared counter only when needed). */
  fewerOutstandingThan(n: number): boolean {
    return this.requested - this.done < n || this.outstanding < n
  }

  /** Whether a request for a path of this length fits in the request ring now. */
  canRequest(pathLength: number): boolean {
    const at = this.reqW & REQ_MASK
    const len = recordLength(pathLength)
    const need = (REQ_CAP - at < len ? REQ_CAP - at : 0) + len
    if (need <= REQ_CAP - ((this.reqW - this.reqR) | 0)) return true
    this.reqR = Atomics.load(this.c, C.REQ_R)
    return need <= REQ_CAP - ((this.reqW - this.reqR) | 0)
  }

  /**
   * Ask the helper for the regular file at `path` (after `canRequest`): it puts a header
   * (see `takeHeader`) and the contents into the ring.
   */
  requestRead(path: Uint8Array): void { this.request(REQ_READ, path, 0, 0, 0) }

  /** Ask the helper to put `size` bytes of the file at `path` from `offset` into the ring, bare. */
  requestRange(path: Uint8Array, offset: number, size: number): void { this.request(REQ_RANGE, path, size, 0, offset) }

  /** Size and executable bit from the last `takeHeader`. */
  fileSize = 0
  fileExecutable = false

  /** Dump: consume the next file's header into fileSize/fileExecutable (false if it is not there yet). */
  takeHeader(): boolean {
    this.release()
    if (this.available(FILE_HEADER) < FILE_HEADER) return false
    const at = this.dataPos & DATA_MASK
    const first = Math.min(FILE_HEADER, DATA_CAP - at)
    this.header.set(this.data.subarray(at, at + first))
    if (first < FILE_HEADER) this.header.set(this.data.subarray(0, FILE_HEADER - first), first)
    this.fileSize = this.headerView.getFloat64(0, true)
    this.fileExecutable = this.headerView.getUint32(8, true) !== 0
    this.lent = FILE_HEADER
    this.release()
    return true
  }

  private readonly header = new Uint8Array(FILE_HEADER)
  private readonly headerView = new DataView(this.header.buffer)

  /** Ask the helper to create the file at `path` from the next `size` bytes `put` (after `canRequest`). */
  requestWrite(path: Uint8Array, size: number, executable: boolean): void {
    this.restoring = true
    this.request(REQ_WRITE, path, size, executable ? 1 : 0, 0)
  }

  private request(kind: number, path: Uint8Array, size: number, flags: number, offset: number): void {
    let at = this.reqW & REQ_MASK
    const len = recordLength(path.length)
    if (REQ_CAP - at < len) {
      this.reqView.setUint32(at, REQ_WRAP, true)
      this.reqW = (this.reqW + REQ_CAP - at) | 0
      at = 0
    }
    const v = this.reqView
    v.setUint32(at, kind, true)
    v.setUint32(at + 4, path.length, true)
    v.setFloat64(at + 8, size, true)
    v.setUint32(at + 16, flags, true)
    v.setFloat64(at + 24, offset, true)
    this.reqBytes.set(path, at + REQ_HEADER)
    this.reqW = (this.reqW + len) | 0
    this.requested++
    Atomics.store(this.c, C.REQ_W, this.reqW)
    // A sleeping helper is woken for a batch of requests (a wake-up costs more than a small
    // file), at once for a big file to write, and always before this thread waits.
    if (++this.unrung >= RING_BATCH || size >= 256 * 1024) this.wake()
  }

  /** Ring the helper if it sleeps on requests not rung for yet. */
  wake(): void {
    this.unrung = 0
    ring(this.c, C.W_SLEEP, C.W_BELL)
  }

  /**
   * Dump: up to `max` bytes of requested contents, as a view of the ring valid until
   * `release()`; undefined if none are there yet (then wait, or do other work).
   */
  take(max: number): Uint8Array | undefined {
    this.release()
    const avail = this.available(1)
    if (avail === 0) return undefined
    const at = this.dataPos & DATA_MASK
    const n = Math.min(avail, max, DATA_CAP - at)
    this.lent = n
    return this.data.subarray(at, at + n)
  }

  /**
   * Dump: bytes delivered and not consumed yet, reading DATA_W only when fewer than `min`
   * were known; when still fewer, a wait after this call sleeps until DATA_W changes.
   */
  private available(min: number): number {
    let avail = (this.seen - this.dataPos) | 0
    if (avail >= min) return avail
    const w = Atomics.load(this.c, C.DATA_W)
    this.seen = w
    avail = (w - this.dataPos) | 0
    if (avail < min) {
      this.waitIndex = C.DATA_W
      this.waitValue = w
      this.publish()
      this.check()
    }
    return avail
  }

  /** Dump: the bytes from the last `take` have been consumed. */
  release(): void {
    if (this.lent === 0) return
    this.dataPos = (this.dataPos + this.lent) | 0
    this.lent = 0
    // The helper reads DATA_R only to find free space: tell it in steps, or at once if it sleeps.
    if (((this.dataPos - this.published) | 0) >= PUBLISH_STEP || Atomics.load(this.c, C.W_SLEEP) !== 0) this.publish()
  }

  private publish(): void {
    const c = this.c
    if (this.restoring || this.published === this.dataPos) return
    this.published = this.dataPos
    Atomics.store(c, C.DATA_R, this.dataPos)
    if (Atomics.load(c, C.W_SLEEP) !== 0 && DATA_CAP - ((Atomics.load(c, C.DATA_W) - this.dataPos) | 0) >= Atomics.load(c, C.NEED)) {
      ring(c, C.W_SLEEP, C.W_BELL)
    }
  }

  /**
   * Restore: copy as much of `bytes` into the ring as fits; returns how many (0 when the ring
   * is full: wait, or do other work).
   */
  put(bytes: Uint8Array): number {
    const c = this.c
    let free = DATA_CAP - ((this.dataPos - this.seen) | 0)
    if (free < bytes.length) {
      const r = Atomics.load(c, C.DATA_R)
      this.seen = r
      free = DATA_CAP - ((this.dataPos - r) | 0)
      if (free === 0) {
        this.waitIndex = C.DATA_R
        this.waitValue = r
        this.check()
        return 0
      }
    }
    const n = Math.min(free, bytes.length)
    const at = this.dataPos & DATA_MASK
    const first = Math.min(n, DATA_CAP - at)
    this.data.set(first === bytes.length ? bytes : bytes.subarray(0, first), at)
    if (first < n) this.data.set(bytes.subarray(first, n), 0)
    this.dataPos = (this.dataPos + n) | 0
    Atomics.store(c, C.DATA_W, this.dataPos)
    if (Atomics.load(c, C.W_SLEEP) !== 0 && ((this.dataPos - Atomics.load(c, C.DATA_R)) | 0) >= Atomics.load(c, C.NEED)) {
      ring(c, C.W_SLEEP, C.W_BELL)
    }
    return n
  }

  /** Throw what the helper failed with, if it did. */
  check(): void {
    const c = this.c
    if (Atomics.load(c, C.ERR) !== 0) {
      const v = new DataView(this.h.shared.error)
      const f = JSON.parse(Buffer.from(this.h.shared.error, 4, v.getUint32(0, true)).toString('utf8')) as HelperFailure
      if (f.nar) throw this.restoring ? new NarRestoreError(f.message) : new NarDumpError(f.message)
      const { nar: _, ...fields } = f
      throw Object.assign(new Error(f.message), fields)
    }
    if (Atomics.load(c, C.STATE) === STATE_EXITED || this.h.dead) {
      const message = 'the NAR file helper thread exited unexpectedly'
      throw this.restoring ? new NarRestoreError(message) : new NarDumpError(message)
    }
  }

  private blocked(): boolean {
    const c = this.c
    return Atomics.load(c, this.waitIndex) === this.waitValue && Atomics.load(c, C.ERR) === 0 && Atomics.load(c, C.STATE) !== STATE_EXITED
  }

  /** Block until the helper has made progress since the last take/takeHeader/put that could not proceed. */
  waitSync(): void {
    if (this.unrung > 0) this.wake()
    this.publish()
    const c = this.c
    const bell = Atomics.load(c, C.M_BELL)
    Atomics.store(c, C.M_SLEEP, 1)
    if (this.blocked()) Atomics.wait(c, C.M_BELL, bell, 1000)
    Atomics.store(c, C.M_SLEEP, 0)
    this.check()
  }

  /** As `waitSync`, letting the event loop run meanwhile. */
  async waitAsync(): Promise<void> {
    if (this.unrung > 0) this.wake()
    this.publish()
    const c = this.c
    const bell = Atomics.load(c, C.M_BELL)
    Atomics.store(c, C.M_SLEEP, 1)
    if (this.blocked()) {
      await sleepAsync(c, bell, 1000)
    }
    Atomics.store(c, C.M_SLEEP, 0)
    this.check()
  }

  /**
   * End the job: the helper drops what it has not done yet and the lease is free again (the
   * next lease starts once the helper has acknowledged).
   */
  end(): void {
    if (this.ended) return
    this.ended = true
    this.release()
    Atomics.store(this.c, C.END, this.job)
    ring(this.c, C.W_SLEEP, C.W_BELL)
    this.h.leased = false
    // Back to idle for the next lease, unless the helper exited meanwhile.
    Atomics.compareExchange(this.c, C.STATE, STATE_BUSY, STATE_IDLE)
  }

  /** As `end`, then wait until the helper has let go (it touches no file of the job after). */
  async endAndWait(sync: boolean): Promise<void> {
    if (this.ended) return
    const c = this.c
    Atomics.store(c, C.END, this.job)
    ring(c, C.W_SLEEP, C.W_BELL)
    while (Atomics.load(c, C.ACK) !== this.job && Atomics.load(c, C.STATE) !== STATE_EXITED && !this.h.dead) {
      const bell = Atomics.load(c, C.M_BELL)
      Atomics.store(c, C.M_SLEEP, 1)
      if (Atomics.load(c, C.ACK) !== this.job) {
        if (sync) Atomics.wait(c, C.M_BELL, bell, 100)
        else {
          await sleepAsync(c, bell, 100)
        }
      }
      Atomics.store(c, C.M_SLEEP, 0)
    }
    this.end()
  }
}

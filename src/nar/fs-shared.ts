/**
 * The memory the main thread and the NAR file helper thread (fs-helper.ts) share, and the
 * few rules for using it. Nothing here does I/O.
 *
 * One job at a time (a dump or a restore) leases the helper. Its state lives in `control`
 * (Int32 words, always accessed with Atomics):
 *
 * - requests: the main thread appends records to the `requests` ring and advances REQ_W; the
 *   helper works through them in order and advances REQ_R when one is finished.
 * - data: for a dump, the helper puts each requested file (a FILE_HEADER with its size and
 *   mode, then its contents) into the `data` ring (DATA_W) and the main thread consumes them
 *   in the same order (DATA_R). For a restore, the main thread copies contents in and the
 *   helper writes them out.
 * - counters are byte counts that wrap at 2^32 (`| 0` arithmetic); ring capacities are powers
 *   of two below 2^30, so `count & (cap - 1)` is a position and `(w - r) | 0` a fill level.
 * - sleeping: a side that must wait stores its SLEEP word, re-checks, then waits on its BELL
 *   word; the other side rings (increments and notifies BELL) only when SLEEP is set. With
 *   sequentially consistent Atomics no wake-up is lost, and a busy pair never makes a
 *   system call to signal.
 */

export const DATA_CAP = 8 * 1024 * 1024
export const REQ_CAP = 256 * 1024
export const ERR_CAP = 8192

/**
 * Indices into `control`. Each word has a cache line of its own (16 Int32 = 64 bytes apart),
 * so one thread's writes do not slow the other's reads of unrelated words.
 */
export const C = {
  /** Helper life cycle: STARTING, IDLE, BUSY or EXITED (see below). */
  STATE: 0,
  /** Set to 1 by the helper once it runs. */
  READY: 16,
  /** Job number, bumped by the main thread when it starts a job (after resetting counters). */
  JOB: 32,
  /** The job the main thread has ended (finished or abandoned). */
  END: 48,
  /** The job the helper has let go of (acknowledges END). */
  ACK: 64,
  REQ_W: 80,
  REQ_R: 96,
  DATA_W: 112,
  DATA_R: 128,
  /** 0, or 1 once the helper failed the current job (details in `error`). */
  ERR: 144,
  /** Free data-ring bytes the sleeping helper waits for (a dump), or filled bytes (a restore). */
  NEED: 160,
  W_SLEEP: 176,
  W_BELL: 192,
  M_SLEEP: 208,
  M_BELL: 224,
  /** Requests the helper has finished. */
  DONE: 240,
} as const
export const CONTROL_WORDS = 256

export const STATE_STARTING = 0
export const STATE_IDLE = 1
export const STATE_BUSY = 2
export const STATE_EXITED = 3

/** Request kinds (the first word of a record). */
export const REQ_WRAP = 0
/** Put a regular file into the data ring: a FILE_HEADER, then its contents (path only). */
export const REQ_READ = 1
/** Create a file from the data ring: size (f64), executable (u32), path. */
export const REQ_WRITE = 2
/** Put `size` bytes of a file from `offset` into the data ring (no header: the size is known). */
export const REQ_RANGE = 3

/** Record layout: u32 kind, u32 path length, f64 size, u32 flags, u32 unused, f64 offset, path, padding to 8. */
export const REQ_HEADER = 32
/** Before each file's contents in a dump's data ring: f64 size, u32 executable, u32 unused. */
export const FILE_HEADER = 16
export const recordLength = (pathLength: number): number => REQ_HEADER + ((pathLength + 7) & ~7)

export interface SharedBuffers {
  control: SharedArrayBuffer
  data: SharedArrayBuffer
  requests: SharedArrayBuffer
  error: SharedArrayBuffer
}

export function allocateShared(): SharedBuffers {
  return {
    control: new SharedArrayBuffer(CONTROL_WORDS * 4),
    data: new SharedArrayBuffer(DATA_CAP),
    requests: new SharedArrayBuffer(REQ_CAP),
    error: new SharedArrayBuffer(ERR_CAP),
  }
}

/** Ring the other side's bell if it sleeps. */
export function ring(c: Int32Array, sleep: number, bell: number): void {
  if (Atomics.load(c, sleep) !== 0) {
    Atomics.add(c, bell, 1)
    Atomics.notify(c, bell)
  }
}

/** What the helper reports when it fails a job: a system error's fields, or a message. */
export interface HelperFailure {
  message: string
  code?: string
  errno?: number
  syscall?: string
  /** True for errors that are NarDumpError/NarRestoreError on the main thread. */
  nar?: boolean
}

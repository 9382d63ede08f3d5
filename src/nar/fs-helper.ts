/**
 * The NAR file helper thread (see fs-shared.ts for the protocol, fs-helper-client.ts for the
 * main thread's side). It does the per-file system calls of a job while the main thread walks,
 * encodes, hashes or decodes, so a dump or a restore uses two cores where C++ Nix uses one:
 *
 * - REQ_READ: open a file (never following a symlink), read exactly `size` bytes into the data
 *   ring, close it — the contents of a regular file in a NAR being dumped.
 * - REQ_WRITE: create a file (O_EXCL, never through a symlink), write `size` bytes taken from
 *   the data ring, add the execute bits if asked, close it — a file of a NAR being restored.
 *
 * The thread blocks in Atomics.wait between jobs and exits after a while without one.
 */
import { closeSync, constants, fchmodSync, fstatSync, lstatSync, openSync, readSync, writeSync } from 'node:fs'
import { workerData } from 'node:worker_threads'
import {
  C, DATA_CAP, ERR_CAP, FILE_HEADER, type HelperFailure, REQ_CAP, REQ_HEADER, REQ_RANGE, REQ_READ, REQ_WRAP, REQ_WRITE, recordLength, ring,
  type SharedBuffers, STATE_EXITED, STATE_IDLE, STATE_STARTING,
} from './fs-shared.js'

const IDLE_EXIT_MS = 30_000
/** Largest single read into the ring: big enough for few system calls, small enough to stay in cache until hashed. */
const READ_MAX = 256 * 1024
const DATA_MASK = DATA_CAP - 1
const REQ_MASK = REQ_CAP - 1
/** NEED while waiting for a request: data-ring progress alone does not wake us. */
const NO_DATA_NEEDED = 0x7fffffff

const shared = workerData as SharedBuffers
const c = new Int32Array(shared.control)
const data = new Uint8Array(shared.data)
const reqView = new DataView(shared.requests)
const errBytes = new Uint8Array(shared.error)

/** Thrown to abandon a job the main thread has ended. */
class JobEnded extends Error {}

let job = 0
let reqR = 0
let dataPos = 0
let done = 0

/** Sleep until the main thread rings (or ends the job); the caller re-checks its condition. */
function sleep(stillBlocked: () => boolean, need: number): void {
  const bell = Atomics.load(c, C.W_BELL)
  Atomics.store(c, C.NEED, need)
  Atomics.store(c, C.W_SLEEP, 1)
  if (Atomics.load(c, C.END) !== job && stillBlocked()) Atomics.wait(c, C.W_BELL, bell)
  Atomics.store(c, C.W_SLEEP, 0)
  if (Atomics.load(c, C.END) === job) throw new JobEnded()
}

const noRequest = (): boolean => Atomics.load(c, C.REQ_W) === reqR
const ringFull = (need: number) => (): boolean => DATA_CAP - ((dataPos - Atomics.load(c, C.DATA_R)) | 0) < need
const ringShort = (need: number) => (): boolean => ((Atomics.load(c, C.DATA_W) - dataPos) | 0) < need

const header = new Uint8Array(FILE_HEADER)
const headerView = new DataView(header.buffer)

/** Wait until the ring has `want` bytes free (asking for `need`, to be woken less often). */
function space(want: number, need: number): number {
  let free = DATA_CAP - ((dataPos - Atomics.load(c, C.DATA_R)) | 0)
  while (free < want) {
    sleep(ringFull(need), need)
    free = DATA_CAP - ((dataPos - Atomics.load(c, C.DATA_R)) | 0)
  }
  return free
}

function publish(n: number): void {
  dataPos = (dataPos + n) | 0
  Atomics.store(c, C.DATA_W, dataPos)
  ring(c, C.M_SLEEP, C.M_BELL)
}

/** A regular file of a dump: its header, then its contents. */
function readFile(path: Buffer): void {
  const st = lstatSync(path)
  if (!st.isFile()) throw Object.assign(new Error(`file '${path.toString('utf8')}' changed type while it was being dumped`), { nar: true })
  const size = st.size
  const fd = size > 0 ? openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW) : -1
  try {
    headerView.setFloat64(0, size, true)
    headerView.setUint32(8, (st.mode & 0o100) !== 0 ? 1 : 0, true)
    space(FILE_HEADER, FILE_HEADER)
    const at = dataPos & DATA_MASK
    if (DATA_CAP - at >= FILE_HEADER) data.set(header, at)
    else {
      data.set(header.subarray(0, DATA_CAP - at), at)
      data.set(header.subarray(DATA_CAP - at), 0)
    }
    // Published with the first contents (or alone for an empty file).
    if (size === 0) publish(FILE_HEADER)
    else {
      dataPos = (dataPos + FILE_HEADER) | 0
      readContents(fd, path, 0, size, FILE_HEADER)
    }
  } finally {
    if (fd >= 0) closeSync(fd)
  }
}

/**
 * Read bytes [offset, end) of an open file into the ring; the first `unpublished` bytes
 * before the ring position (a header) are published with the first contents.
 */
function readContents(fd: number, path: Buffer, offset: number, end: number, unpublished: number): void {
  for (let off = offset; off < end;) {
    const left = end - off
    // Wait for a good share of the ring, not a few bytes at a time.
    const free = space(Math.min(left, 64 * 1024), Math.min(left, DATA_CAP / 4))
    const pos = dataPos & DATA_MASK
    const n = Math.min(left, free, DATA_CAP - pos, READ_MAX)
    const k = readSync(fd, data, pos, n, off)
    if (k === 0) throw Object.assign(new Error(`file '${path.toString('utf8')}' changed while it was being read (shorter than expected)`), { nar: true })
    off += k
    dataPos = (dataPos - unpublished) | 0
    publish(unpublished + k)
    unpublished = 0
  }
}

/** The file of the last range, kept open: a big file comes as consecutive ranges. */
let rangePath: Buffer | undefined
let rangeFd = -1

function closeRange(): void {
  if (rangeFd >= 0) closeSync(rangeFd)
  rangeFd = -1
  rangePath = undefined
}

/** Part of a big file whose size the main thread knows. */
function readRange(path: Buffer, offset: number, size: number): void {
  if (rangePath === undefined || !rangePath.equals(path)) {
    closeRange()
    rangeFd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW)
    rangePath = Buffer.from(path)
  }
  readContents(rangeFd, path, offset, offset + size, 0)
}

function writeFile(path: Buffer, size: number, executable: boolean): void {
  const fd = openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o666)
  try {
    for (let left = size; left > 0;) {
      let avail = (Atomics.load(c, C.DATA_W) - dataPos) | 0
      if (avail === 0) {
        const need = Math.min(left, 256 * 1024)
        while (avail === 0) {
          sleep(ringShort(need), need)
          avail = (Atomics.load(c, C.DATA_W) - dataPos) | 0
        }
      }
      const at = dataPos & DATA_MASK
      const n = Math.min(avail, left, DATA_CAP - at)
      for (let o = at; o < at + n;) o += writeSync(fd, data, o, at + n - o)
      left -= n
      dataPos = (dataPos + n) | 0
      Atomics.store(c, C.DATA_R, dataPos)
      ring(c, C.M_SLEEP, C.M_BELL)
    }
    if (executable) fchmodSync(fd, (fstatSync(fd).mode & 0o7777) | 0o111)
  } finally {
    closeSync(fd)
  }
}

/** Work through the job's requests until the main thread ends it (JobEnded) or one fails. */
function serve(): void {
  for (;;) {
    if (Atomics.load(c, C.END) === job) throw new JobEnded()
    while (noRequest()) sleep(noRequest, NO_DATA_NEEDED)
    const at = reqR & REQ_MASK
    const kind = reqView.getUint32(at, true)
    if (kind === REQ_WRAP) {
      reqR = (reqR + REQ_CAP - at) | 0
      continue
    }
    const pathLength = reqView.getUint32(at + 4, true)
    const size = reqView.getFloat64(at + 8, true)
    const path = Buffer.from(shared.requests, at + REQ_HEADER, pathLength)
    if (kind === REQ_READ) readFile(path)
    else if (kind === REQ_RANGE) readRange(path, reqView.getFloat64(at + 24, true), size)
    else if (kind === REQ_WRITE) writeFile(path, size, reqView.getUint32(at + 16, true) !== 0)
    else throw new Error(`unknown helper request kind ${kind}`)
    reqR = (reqR + recordLength(pathLength)) | 0
    Atomics.store(c, C.REQ_R, reqR)
    Atomics.store(c, C.DONE, ++done)
    ring(c, C.M_SLEEP, C.M_BELL)
  }
}

function report(e: unknown): void {
  const err = e as NodeJS.ErrnoException & { nar?: boolean }
  const f: HelperFailure = { message: err?.message ?? String(e) }
  if (typeof err?.code === 'string') f.code = err.code
  if (typeof err?.errno === 'number') f.errno = err.errno
  if (typeof err?.syscall === 'string') f.syscall = err.syscall
  if (err?.nar === true) f.nar = true
  let bytes = Buffer.from(JSON.stringify(f))
  if (bytes.length > ERR_CAP - 4) bytes = Buffer.from(JSON.stringify({ message: f.message.slice(0, 1000) }))
  new DataView(shared.error).setUint32(0, bytes.length, true)
  errBytes.set(bytes, 4)
  Atomics.store(c, C.ERR, 1)
  ring(c, C.M_SLEEP, C.M_BELL)
}

function main(): void {
  Atomics.compareExchange(c, C.STATE, STATE_STARTING, STATE_IDLE)
  Atomics.store(c, C.READY, 1)
  for (;;) {
    const j = Atomics.load(c, C.JOB)
    if (j === job) {
      if (Atomics.wait(c, C.JOB, j, IDLE_EXIT_MS) === 'timed-out' &&
        Atomics.compareExchange(c, C.STATE, STATE_IDLE, STATE_EXITED) === STATE_IDLE) return
      continue
    }
    // The main thread reset the counters before publishing the job number.
    job = j
    reqR = 0
    dataPos = 0
    done = 0
    try {
      serve()
    } catch (e) {
      if (!(e instanceof JobEnded)) report(e)
    } finally {
      closeRange()
    }
    while (Atomics.load(c, C.END) !== job) {
      const bell = Atomics.load(c, C.W_BELL)
      Atomics.store(c, C.W_SLEEP, 1)
      if (Atomics.load(c, C.END) !== job) Atomics.wait(c, C.W_BELL, bell)
      Atomics.store(c, C.W_SLEEP, 0)
    }
    Atomics.store(c, C.ACK, job)
    ring(c, C.M_SLEEP, C.M_BELL)
  }
}

try {
  main()
} catch (e) {
  // A bug: fail the job in progress so the main thread never waits forever.
  report(e)
  Atomics.store(c, C.STATE, STATE_EXITED)
  ring(c, C.M_SLEEP, C.M_BELL)
  throw e
}

/**
 * A restore's small files created in batches on the thread pool (native/tsnix.c,
 * restoreBatch*): FsRestoreSink copies each small file's name and contents into a buffer, and
 * once it is full, one task creates them all (openat relative to the directory, write, the x
 * bits, close) while this thread goes on decoding into a second buffer. Batches run one at a
 * time, in order, so a directory's fd may be closed by the batch after its last file (a
 * record of its own). The first failure stops the creation of files and is reported at the
 * next wait, with the path, as node:fs would report it.
 *
 * Off by default (FsRestoreSink's `batch`, TSNIX_NAR_BATCH=1): measured on the shared 2-core
 * dev VM (load 2–4), `tsnix nar restore` of the 30k-file bench tree took the same wall and CPU
 * time with and without it (interleaved runs, 0.7–1.1 s either way), and of the 1 GiB mixed
 * tree more wall time with it (1.66–2.2 s vs 1.47–1.82 s: with the helper thread writing big
 * files, three threads share two busy cores). At real-time priority the 30k restore was once
 * faster with it (0.40–0.45 vs 0.52–0.59 s) and once the same — not enough to turn it on.
 */
import { closeSync } from 'node:fs'
import { getSystemErrorName } from 'node:util'
import type { NativeBatchHandle } from '../os/native.js'
import type { BatchCalls } from './fs-native.js'

/** Bytes per batch buffer, and files up to this size go in a batch. */
const BATCH_SIZE = 1024 * 1024
export const BATCH_FILE_MAX = 64 * 1024
/** A batch is started once it closes this many directories (their fds are held until then). */
const MAX_CLOSES = 256
const HEAD = 16
const STEPS = ['open', 'write', 'fchmod', 'close'] as const

const pad8 = (n: number): number => (n + 7) & ~7

export class RestoreBatcher {
  private readonly h: NativeBatchHandle
  private buf: Buffer = Buffer.allocUnsafeSlow(BATCH_SIZE)
  private spare: Buffer | undefined
  private fill = 0
  /** Directory fds the batch being filled will close (closed here if it is never run). */
  private closes: number[] = []
  private running: Promise<void> | undefined

  /** `dirPath(seq)`: the path of the directory numbered `seq` (for error messages). */
  constructor(private readonly calls: BatchCalls, private readonly sync: boolean, private readonly dirPath: (seq: number) => Buffer) {
    this.h = calls.restoreBatchNew()
  }

  /** Whether a file of `size` bytes named `name` goes in a batch. */
  fits(nameLength: number, size: number): boolean {
    return size <= BATCH_FILE_MAX && HEAD + nameLength + size <= BATCH_SIZE
  }

  /** Queue the creation of a file (`data`: all its contents); a promise if it must wait for a batch. */
  add(dirFd: number, dirSeq: number, name: Uint8Array, data: Uint8Array, executable: boolean): Promise<void> | undefined {
    const need = pad8(HEAD + name.length + data.length)
    const waited = this.fill + need > BATCH_SIZE ? this.start() : undefined
    if (waited !== undefined) {
      const copy = new Uint8Array(data)
      return waited.then(() => { this.put(dirFd, dirSeq, name, copy, executable, 0) })
    }
    this.put(dirFd, dirSeq, name, data, executable, 0)
    return undefined
  }

  /** The directory open as `fd` is complete: the batch closes it after its files. */
  closeDirectory(fd: number): Promise<void> | undefined {
    if (this.fill + HEAD > BATCH_SIZE) {
      const w = this.start()
      if (w !== undefined) return w.then(() => this.closeDirectory(fd))
    }
    this.put(fd, 0, EMPTY, EMPTY, false, 1)
    this.closes.push(fd)
    return this.closes.length >= MAX_CLOSES ? this.start() : undefined
  }

  /** Run what is queued and wait for every batch; throws the first failure. */
  async finish(): Promise<void> {
    await this.start()
    await this.waitRunning()
  }

  /** Decoding failed: wait for the batch running, close the directories of the one not run. */
  async abandon(): Promise<void> {
    try { await this.waitRunning() } catch { /* the decoding error is the one to report */ }
    for (const fd of this.closes) closeFd(fd)
    this.closes = []
    this.fill = 0
  }

  private put(dirFd: number, dirSeq: number, name: Uint8Array, data: Uint8Array, executable: boolean, kind: number): void {
    const b = this.buf
    const o = this.fill
    b.writeInt32LE(dirFd, o)
    b.writeUInt32LE(dirSeq, o + 4)
    b.writeUInt32LE(data.length, o + 8)
    b.writeUInt16LE(name.length, o + 12)
    b[o + 14] = executable ? 1 : 0
    b[o + 15] = kind
    b.set(name, o + HEAD)
    if (data.length > 0) b.set(data, o + HEAD + name.length)
    this.fill = o + pad8(HEAD + name.length + data.length)
  }

  /**
   * Start the batch being filled once the one running is done; a promise when this has to
   * wait (async mode) — otherwise it is started (or there was nothing) when this returns.
   */
  private start(): Promise<void> | undefined {
    if (this.running !== undefined) {
      if (!this.sync) return this.waitRunning().then(() => this.start())
      this.calls.restoreBatchWait(this.h, true)
      this.running = undefined
      this.check()
    }
    if (this.fill === 0) return undefined
    const buf = this.buf
    const p = this.calls.restoreBatchRun(this.h, buf, this.fill)
    p.catch(() => {}) // awaited by waitRunning
    this.running = p
    this.buf = this.spare ?? Buffer.allocUnsafeSlow(BATCH_SIZE)
    this.spare = buf // (reused once this batch is done: the next start waits for it)
    this.fill = 0
    this.closes = []
    return undefined
  }

  private async waitRunning(): Promise<void> {
    const r = this.running
    if (r === undefined) return this.check()
    if (this.sync) this.calls.restoreBatchWait(this.h, true)
    else await r
    this.running = undefined
    this.check()
  }

  private check(): void {
    const e = this.calls.restoreBatchError(this.h)
    if (e === undefined) return
    const [errno, step, seq, name] = e
    const path = Buffer.concat([this.dirPath(seq), Buffer.from('/'), name]).toString('utf8')
    const code = getSystemErrorName(-errno)
    const syscall = STEPS[step] ?? 'open'
    throw Object.assign(new Error(`${code}: cannot create '${path}' (${syscall} failed, errno ${errno})`), { code, errno: -errno, syscall, path })
  }
}

const EMPTY = new Uint8Array(0)

function closeFd(fd: number): void {
  try { closeSync(fd) } catch { /* already closed */ }
}

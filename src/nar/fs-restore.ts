/**
 * Unpacking a NAR onto disk (C++ `RestoreSink`), the engine behind `restoreSink` and
 * `restorePath` in fs.ts.
 *
 * This thread decodes and creates directories and symlinks. A regular file is created here,
 * or, once the job is big enough to pay for it, by the helper thread (fs-helper.ts): this
 * thread copies the contents into the shared ring and goes on decoding while the helper
 * creates, writes, chmods and closes. When the helper has AHEAD files queued, this thread
 * writes the next ones itself. Any order of file creation is fine: a file's directory exists
 * before the file is handed over, and names are unique within a directory.
 *
 * Files written here go through the native addon's writeFileAt when built (fs-native.ts):
 * one call per file, relative to an fd of its directory, kept open while the directory is.
 */
import { closeSync, constants, fchmodSync, fstatSync, mkdirSync, openSync, symlinkSync, writeSync } from 'node:fs'
import type { HelperMode } from './fs-dump.js'
import { type HelperLease, leaseHelper } from './fs-helper-client.js'
import { narNative, type WriteFileAt } from './fs-native.js'
import type { NarFileContents, NarPath, NarSink } from './stream.js'

/** Files the helper may have queued before this thread writes the next ones itself. */
const AHEAD = 128
/** auto: lease the helper once this many files or bytes have been seen. */
const AUTO_FILES = 64
const AUTO_BYTES = 2 * 1024 * 1024
/** Files above this size go to the helper whenever it is ready. */
const BIG = 64 * 1024

const SLASH = Buffer.from('/')
const join = (dir: Buffer, name: Buffer): Buffer => Buffer.concat([dir, SLASH, name], dir.length + 1 + name.length)
const asBuffer = (b: Uint8Array): Buffer => Buffer.from(b.buffer, b.byteOffset, b.byteLength)
const FLAGS_NEW = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW
const OPEN_DIR = constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW
const EMPTY = new Uint8Array(0)

export interface RestoreSinkOptions {
  /** Create files on the helper thread: when the job is big enough (auto), from the start, or never (default). */
  helper?: HelperMode
  /** Wait for the helper by blocking this thread (default false: let the event loop run). */
  sync?: boolean
  /**
   * Write files with the native addon's writeFileAt when built (default true). Directories
   * are then held open while their entries arrive: call `finish()` or `abandon()` at the end.
   */
  native?: boolean
}

/**
 * A sink that creates the decoded tree at `target`. Nothing is written outside `target`: the
 * decoder has already refused names that are empty, `.`, `..` or contain `/`, every path is
 * created fresh (O_EXCL files, mkdir, symlink — never through an existing entry, never
 * following a symlink), and entries are unique per directory. Files get mode 0666 and
 * directories 0777, less the umask; executables add 0111, as C++ does.
 *
 * With a helper, call `finish()` after the NAR ends (it waits for the helper's files and
 * reports its errors) and `abandon()` when decoding failed.
 */
export class FsRestoreSink implements NarSink {
  private readonly root: Buffer
  /** Buffer paths of the open directories by depth, so a child path is one concat. */
  private readonly dirs: Buffer[] = []
  /** For writeFileAt: fds of the open directories by depth (-1: write by path). */
  private readonly dirFds: number[] = []
  private readonly writeFileAt: WriteFileAt | null
  private readonly mode: HelperMode
  private readonly sync: boolean
  private helper: HelperLease | undefined
  private nextLease: number
  /** With native calls (auto): the file count from which a big file may lease the helper. */
  private bigRetryAt = 0
  private files = 0
  private bytes = 0

  constructor(target: string | Buffer, opts: RestoreSinkOptions = {}) {
    this.root = typeof target === 'string' ? Buffer.from(target) : target
    this.mode = opts.helper ?? 'never'
    this.sync = opts.sync ?? false
    this.nextLease = this.mode === 'always' ? 0 : this.mode === 'auto' ? AUTO_FILES : Infinity
    this.writeFileAt = opts.native === false ? null : narNative().writeFileAt
  }

  private full(p: NarPath): Buffer {
    return p.length === 0 ? this.root : join(this.dirs[p.length - 1]!, asBuffer(p[p.length - 1]!))
  }

  createDirectory(p: NarPath): void {
    const full = this.full(p)
    mkdirSync(full, 0o777)
    this.dirs[p.length] = full
    let fd = -1
    if (this.writeFileAt !== null) {
      try { fd = openSync(full, OPEN_DIR) } catch { /* files by path, then */ }
    }
    this.dirFds[p.length] = fd
  }

  closeDirectory(p: NarPath): void {
    const fd = this.dirFds[p.length] ?? -1
    this.dirFds[p.length] = -1
    if (fd >= 0) closeSync(fd)
  }

  private closeDirectories(): void {
    for (const [i, fd] of this.dirFds.entries()) {
      if (fd >= 0) closeSync(fd)
      this.dirFds[i] = -1
    }
  }

  createSymlink(p: NarPath, target: Uint8Array): void {
    symlinkSync(asBuffer(target), this.full(p))
  }

  createRegularFile(p: NarPath, executable: boolean, contents: NarFileContents): Promise<void> | undefined {
    this.files++
    this.bytes += contents.size
    const dirFd = p.length > 0 ? this.dirFds[p.length - 1] ?? -1 : -1
    // With the native call, this thread writes a small file for less than handing it to the
    // helper costs (30k files at real-time priority: the same wall time for 40% more CPU), so
    // in auto mode the helper then only takes big files, where it pays (1 GiB bench tree at
    // real-time priority: 1.27 s without the helper, 0.83 s with it).
    const smallHere = dirFd >= 0 && this.mode !== 'always'
    const big = contents.size > BIG
    const lease = smallHere ? big && this.mode === 'auto' && this.files >= this.bigRetryAt
      : this.files >= this.nextLease || (this.mode === 'auto' && this.bytes >= AUTO_BYTES)
    if (this.helper === undefined && lease) {
      this.helper = leaseHelper(this.mode === 'always')
      if (this.helper === undefined) this.nextLease = this.bigRetryAt = this.files + AUTO_FILES
    }
    const h = this.helper
    if (this.mode === 'always' && h !== undefined && !h.ready && h.alive) return this.whenReady(h, p, executable, contents)
    if (h !== undefined && h.ready && contents.size > 0 && (big || (!smallHere && h.fewerOutstandingThan(AHEAD)))) {
      const full = this.full(p)
      if (h.canRequest(full.length)) {
        h.requestWrite(full, contents.size, executable)
        return this.toHelper(h, contents)
      }
    }
    if (dirFd < 0) return writeHere(this.full(p), executable, contents)
    // The first chunk (all of a small file) goes with the native call.
    const first = contents.size === 0 ? EMPTY : contents.readBuffered()
    if (first === undefined) return writeHere(this.full(p), executable, contents)
    const last = contents.remaining === 0
    const r = this.writeFileAt!(dirFd, p[p.length - 1]!, first, executable, !last)
    if (r === -1) return writeHere(this.full(p), executable, contents, first) // for the error
    return last ? undefined : writeRest(r, executable, contents)
  }

  /** 'always' (tests): wait for the helper to start rather than begin without it. */
  private async whenReady(h: HelperLease, p: NarPath, executable: boolean, contents: NarFileContents): Promise<void> {
    while (!h.ready && h.alive) await new Promise(r => setTimeout(r, 1))
    this.files--
    this.bytes -= contents.size
    await this.createRegularFile(p, executable, contents)
  }

  /** Copy a file's contents into the ring for the helper (waiting while it is full). */
  private toHelper(h: HelperLease, contents: NarFileContents): Promise<void> | undefined {
    for (let c = contents.readBuffered(); c !== undefined; c = contents.readBuffered()) {
      for (let off = 0; off < c.length;) {
        const n = h.put(off === 0 ? c : c.subarray(off))
        if (n > 0) off += n
        else if (this.sync) h.waitSync()
        else return this.toHelperAsync(h, contents, c.subarray(off))
      }
    }
    if (contents.remaining === 0) return undefined
    return this.toHelperAsync(h, contents, undefined)
  }

  private async toHelperAsync(h: HelperLease, contents: NarFileContents, pending: Uint8Array | undefined): Promise<void> {
    for (let c = pending ?? await contents.read(); c !== undefined; c = await contents.read()) {
      for (let off = 0; off < c.length;) {
        const n = h.put(off === 0 ? c : c.subarray(off))
        if (n > 0) off += n
        else if (this.sync) h.waitSync()
        else await h.waitAsync()
      }
    }
  }

  /** After the NAR's end: wait until the helper has written every file, and release it. */
  async finish(): Promise<void> {
    this.closeDirectories()
    const h = this.helper
    if (h === undefined) return
    try {
      await h.allDone(this.sync)
    } finally {
      this.helper = undefined
      await h.endAndWait(this.sync)
    }
  }

  /** Decoding failed: stop the helper (files it has not started are not created). */
  async abandon(): Promise<void> {
    this.closeDirectories()
    const h = this.helper
    this.helper = undefined
    if (h !== undefined) await h.endAndWait(this.sync)
  }
}

/** A regular file written by this thread (`first`: its first chunk, already read). */
function writeHere(full: Buffer, executable: boolean, contents: NarFileContents, first?: Uint8Array): Promise<void> | undefined {
  const fd = openSync(full, FLAGS_NEW, 0o666)
  if (first !== undefined && first.length > 0) {
    try { writeAll(fd, first) } catch (e) { closeSync(fd); throw e }
  }
  return writeRest(fd, executable, contents)
}

/** The rest of a file being written to `fd`, then its x bits (as C++ RestoreSink); closes `fd`. */
function writeRest(fd: number, executable: boolean, contents: NarFileContents): Promise<void> | undefined {
  let closed = false
  const finish = (): void => {
    if (executable) fchmodSync(fd, (fstatSync(fd).mode & 0o7777) | 0o111)
    closed = true
    closeSync(fd)
  }
  try {
    for (let c = contents.readBuffered(); c !== undefined; c = contents.readBuffered()) writeAll(fd, c)
    if (contents.remaining === 0) { finish(); return undefined }
  } catch (e) {
    if (!closed) closeSync(fd)
    throw e
  }
  return (async () => {
    try {
      for (let c = await contents.read(); c !== undefined; c = await contents.read()) writeAll(fd, c)
      finish()
    } finally {
      if (!closed) closeSync(fd)
    }
  })()
}

function writeAll(fd: number, b: Uint8Array): void {
  let off = 0
  while (off < b.length) off += writeSync(fd, b, off, b.length - off)
}

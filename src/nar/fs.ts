/**
 * NARs and the local filesystem (with fs-*.ts, the only files in src/nar that touch `node:fs`):
 *
 * - `dumpPath(path)`: the NAR of a file, symlink or directory as an async byte stream (C++
 *   `dumpPath`); `dumpPathSync(path, write)` the same for commands; `hashPath(path)`: its
 *   hash and size without holding the NAR.
 * - `restorePath(target, nar)`: unpack a NAR into a new path (C++ `restorePath`).
 * - `hashFile(path)`: a flat file hash (C++ `hashFile`, `nix-hash --flat`).
 *
 * Names are handled as bytes, so names that are not UTF-8 survive. With the native addon, a
 * dump walks directories on the thread pool (fs-walk.ts: entries framed there, small files'
 * contents included).
 * Big files' I/O moves, once a job is big enough, to a helper thread (fs-helper.ts) that shares
 * a ring with this one: a dump reads files there while this thread encodes and hashes
 * (fs-dump.ts); a restore writes files there while this thread decodes (fs-restore.ts). C++ Nix
 * does all of it on one core; the machine has two. `helper: 'never'` keeps the helper out.
 */
import { createHash } from 'node:crypto'
import { constants as fsConstants, lstatSync } from 'node:fs'
import { open } from 'node:fs/promises'
import { NixHash, type HashAlgo } from '../store-path/index.js'
import { ByteSource } from '../wire/index.js'
import { NarDumpError, NarRestoreError } from './errors.js'
import { type FileRange, type HelperMode, NarDumper, WAIT } from './fs-dump.js'
import { narNative } from './fs-native.js'
import { FsRestoreSink, type RestoreSinkOptions } from './fs-restore.js'
import { decodeNar, type NarReadOptions, type NarResult, type NarSink } from './stream.js'
import { narFileHead, narFileTail } from './format.js'

export type { FileRange, HelperMode }
export { FdOutput } from './fs-output.js'

export interface DumpOptions {
  /** Size of the output pieces framing and small files are gathered into (default 256 KiB). */
  chunkSize?: number
  /** Largest piece of a big file's contents (default 1 MiB). */
  readSize?: number
  /**
   * Reuse buffers: each yielded piece is valid only until the consumer asks for the next one
   * (fine for hashing; not for a stream that keeps written chunks queued).
   */
  recycle?: boolean
  /**
   * Wait for the helper thread by blocking this thread (default false: let the event loop run
   * meanwhile). Faster when the caller has nothing else to do (a command, hashing).
   */
  sync?: boolean
  /**
   * Read file contents on a helper thread while this one encodes and consumes: once the job is
   * big enough to pay for starting it ('auto', default), from the start if no other job has it
   * ('always'), or never.
   */
  helper?: HelperMode
  /** Refuse entries this deep or deeper (default MAX_DEPTH = 64, as C++ 2.34's dumpPath). */
  maxDepth?: number
  /**
   * Read small files with one native call each (open relative to the directory, fstat, read,
   * close) when the addon is built (default true; TSNIX_NAR_NATIVE=0 turns it off).
   */
  native?: boolean
  /**
   * With `native`, walk directories on the thread pool (fs-walk.ts: a directory's entries framed
   * there, small files' contents included) when the addon is built (default true;
   * TSNIX_NAR_WALK=0 turns it off). `helper: 'always'` does not walk (it is for testing the helper).
   */
  walk?: boolean
  signal?: AbortSignal
}

const show = (p: Buffer): string => p.toString('utf8')

/**
 * The NAR serialisation of `path` (not following a symlink at `path` itself), as C++
 * `nix-store --dump` writes it: entries in byte order of their names, `executable` when the
 * owner may execute, other file types refused.
 */
export function dumpPath(path: string | Buffer, opts: DumpOptions = {}): AsyncGenerator<Uint8Array, void, undefined> & StableChunks {
  const reuse: ReuseWindow = { bytes: 0, chunks: 0, on: false }
  const g = dumpPieces(path, opts, reuse)
  if (opts.recycle) return g
  return Object.assign(g, {
    stableChunks: true as const,
    reuseAfter(bytes: number, chunks: number) { Object.assign(reuse, { bytes, chunks, on: true }) },
  })
}

/**
 * A byte stream that never changes a chunk once it has handed it out (no buffer reuse), so a
 * consumer may keep chunks, or hand them to another thread, without copying them.
 */
export interface StableChunks {
  readonly stableChunks?: true
  /**
   * The consumer's promise that it is done with a chunk (and every view of it) once it has
   * asked for the chunks after it, at least `bytes` bytes and at least `chunks` chunks of
   * them: the producer may then reuse the chunk's memory (fewer fresh buffers, so less garbage
   * collection). Call before reading.
   */
  reuseAfter?(bytes: number, chunks: number): void
}

interface ReuseWindow { bytes: number; chunks: number; on: boolean }

async function* dumpPieces(path: string | Buffer, opts: DumpOptions, reuse: ReuseWindow): AsyncGenerator<Uint8Array, void, undefined> {
  if (!opts.recycle && opts.helper !== 'always') {
    const st = lstatSync(path, { throwIfNoEntry: false })
    if (st !== undefined && st.isFile() && st.size >= BIG_ROOT_FILE) {
      yield* dumpBigFile(path, opts, reuse)
      return
    }
  }
  const d = new NarDumper(path, opts)
  try {
    for (;;) {
      const p = d.next()
      if (p === undefined) return
      if (p === WAIT) {
        if (opts.sync) d.waitSync()
        else await d.waitAsync()
      } else {
        yield p
      }
      opts.signal?.throwIfAborted()
    }
  } finally {
    d.close()
  }
}

/** A root that is a regular file at least this big is read by dumpBigFile. */
const BIG_ROOT_FILE = 8 * 1024 * 1024
/** Reads of a big root file in flight. */
const BIG_READS_AHEAD = 4

/**
 * The NAR of a root that is one big regular file, its contents read on the thread pool a few
 * pieces ahead into fresh buffers: this thread only frames and hands them on (where the
 * dumper would read here or copy out of its helper's ring), so a consumer that hashes and
 * stores them (addToStore of a big file) has this thread to itself.
 */
async function* dumpBigFile(path: string | Buffer, opts: DumpOptions, reuse: ReuseWindow): AsyncGenerator<Uint8Array, void, undefined> {
  const fh = await open(path, fsConstants.O_RDONLY | fsConstants.O_NOFOLLOW | fsConstants.O_NONBLOCK)
  const changed = (how: string): NarDumpError => new NarDumpError(`file '${show(typeof path === 'string' ? Buffer.from(path) : path)}' changed while it was being read (${how})`)
  let closed = false
  try {
    const st = await fh.stat()
    if (!st.isFile()) throw changed('no longer a regular file')
    const size = st.size
    const head = narFileHead(size, (st.mode & 0o100) !== 0)
    yield head
    const readSize = opts.readSize ?? 1024 * 1024
    const reads: Array<Promise<{ buf: Buffer; piece: Uint8Array }>> = []
    // With the consumer's reuse window: buffers handed out (oldest first, with the stream
    // offset of their chunk's end and its index), and those it is done with.
    const lent: Array<{ buf: Buffer; end: number; index: number }> = []
    const free: Buffer[] = []
    let pulledBytes = head.length, pulledChunks = 1
    let next = 0
    const issue = (): void => {
      while (reads.length < BIG_READS_AHEAD && next < size) {
        const at = next, n = Math.min(readSize, size - at)
        next += n
        const buf = reuse.on ? (free.pop() ?? Buffer.allocUnsafeSlow(readSize)) : Buffer.allocUnsafeSlow(n)
        const p = fh.read(buf, 0, n, at).then(({ bytesRead }) => {
          if (bytesRead !== n) throw changed('shorter than expected')
          return { buf, piece: n === buf.length ? buf : buf.subarray(0, n) }
        })
        p.catch(() => {}) // awaited in order below
        reads.push(p)
      }
    }
    issue()
    while (reads.length > 0) {
      const { buf, piece } = await reads.shift()!
      issue()
      // Closed once read: a consumer that stops at the NAR's last byte never resumes us.
      if (reads.length === 0) { closed = true; await fh.close() }
      if (reuse.on) lent.push({ buf, end: pulledBytes + piece.length, index: pulledChunks })
      yield piece
      // The consumer took `piece` and asks for the next one.
      pulledBytes += piece.length
      pulledChunks++
      while (lent.length > 0 && pulledBytes - lent[0]!.end >= reuse.bytes && pulledChunks - 1 - lent[0]!.index >= reuse.chunks) free.push(lent.shift()!.buf)
      opts.signal?.throwIfAborted()
    }
    if (!closed) { closed = true; await fh.close() } // (an empty file: nothing was read)
    yield narFileTail(size)
  } finally {
    if (!closed) await fh.close()
  }
}

export interface DumpSyncOptions extends Omit<DumpOptions, 'recycle' | 'sync'> {
  /**
   * Big files' contents as file ranges rather than bytes: `sendRange` writes `length` bytes of
   * `fd` from `position` to the output, after everything `write` was given before, and returns
   * how many it wrote (fewer only if the file ended early). The fd is the dumper's to close.
   */
  sendRange?: (r: FileRange) => number
  /** Largest file range (default and at most 64 MiB). */
  rangeSize?: number
  /**
   * The fd `write` and `sendRange` write to: with it, directories' small files may be written to
   * it directly, between pieces (see DumperOptions.outFd). Only with `sendRange`.
   */
  outFd?: number
}

/**
 * The NAR of `path` handed to `write` piece by piece, synchronously: each piece is valid only
 * during the call. For commands that write to a file descriptor (no promise per piece).
 */
export function dumpPathSync(path: string | Buffer, write: (piece: Uint8Array) => void, opts: DumpSyncOptions = {}): number {
  const send = opts.sendRange
  const d = new NarDumper(path, { ...opts, recycle: true, ranges: send !== undefined })
  let size = 0
  try {
    for (;;) {
      const p = d.next()
      if (p === undefined) return size + d.directBytes
      if (p === WAIT) d.waitSync()
      else {
        if (send !== undefined && d.isRange(p)) d.sendRange(send)
        else write(p)
        size += p.length
      }
      opts.signal?.throwIfAborted()
    }
  } finally {
    d.close()
  }
}

/**
 * A small regular file `name` in the directory open as `dirFd`, read whole into the start of
 * `into` by one native call (open relative to the directory without following a symlink,
 * fstat, read, close): its size and executable bit. Undefined when the addon is not built or
 * the entry is anything else (missing, not a regular file, bigger than `into`, shorter than
 * its size): dump it with `dumpPath` then, which finds out what it is and reports it.
 */
export function readSmallFileAt(dirFd: number, name: Uint8Array, into: Uint8Array): { size: number; executable: boolean } | undefined {
  const readFileAt = narNative().readFileAt
  if (readFileAt === null) return undefined
  const r = readFileAt(dirFd, name, into)
  if (r < 0) return undefined
  const size = Math.floor(r / 2)
  return size <= into.length ? { size, executable: r % 2 === 1 } : undefined
}

/** The NAR hash and size of `path`, streaming (C++ `hashPath`, `nix-hash`). */
export async function hashPath(path: string | Buffer, algo: HashAlgo = 'sha256', opts: DumpOptions = {}): Promise<{ hash: NixHash; narSize: number }> {
  const h = createHash(algo)
  const d = new NarDumper(path, { ...opts, recycle: true })
  let narSize = 0
  try {
    for (;;) {
      const p = d.next()
      if (p === undefined) break
      if (p === WAIT) {
        if (opts.sync ?? true) d.waitSync()
        else await d.waitAsync()
      } else {
        h.update(p)
        narSize += p.length
      }
      opts.signal?.throwIfAborted()
    }
  } finally {
    d.close()
  }
  return { hash: NixHash.fromDigest(algo, new Uint8Array(h.digest())), narSize }
}

/** The flat hash of a file's contents, following symlinks (C++ `hashFile`, `nix-hash --flat`). */
export async function hashFile(path: string | Buffer, algo: HashAlgo = 'sha256', opts: { readSize?: number } = {}): Promise<{ hash: NixHash; size: number }> {
  const h = createHash(algo)
  const fh = await open(path, 'r')
  let size = 0
  try {
    const buf = Buffer.allocUnsafeSlow(opts.readSize ?? 1024 * 1024)
    for (;;) {
      const { bytesRead } = await fh.read(buf, 0, buf.length, null)
      if (bytesRead === 0) break
      h.update(buf.subarray(0, bytesRead))
      size += bytesRead
    }
  } finally {
    await fh.close()
  }
  return { hash: NixHash.fromDigest(algo, new Uint8Array(h.digest())), size }
}

/**
 * A sink that creates the decoded tree at `target` (C++ `RestoreSink`); see FsRestoreSink for
 * the guarantees. Files are written on this thread.
 */
export function restoreSink(target: string | Buffer): NarSink {
  // (No native calls: they hold directory fds until finish(), which a NarSink does not have.)
  return new FsRestoreSink(target, { native: false })
}

export interface RestoreOptions extends NarReadOptions, RestoreSinkOptions {}

/**
 * Unpack a NAR read from `src` into `target`, which must not exist yet (its parent must). On
 * bad input the partial tree is left behind (as in C++): restore into a temporary path and
 * rename it into place to publish atomically.
 */
export async function restorePath(target: string | Buffer, src: AsyncIterable<Uint8Array> | ByteSource, opts: RestoreOptions = {}): Promise<NarResult> {
  let exists = true
  try { lstatSync(target) } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e
    exists = false
  }
  if (exists) throw new NarRestoreError(`cannot restore a NAR to '${show(typeof target === 'string' ? Buffer.from(target) : target)}': it already exists`)
  const sink = new FsRestoreSink(target, {
    helper: opts.helper ?? 'auto', ...(opts.sync !== undefined ? { sync: opts.sync } : {}), ...(opts.native !== undefined ? { native: opts.native } : {}),
  })
  let result: NarResult
  try {
    result = await decodeNar(src, sink, opts)
  } catch (e) {
    await sink.abandon()
    throw e
  }
  await sink.finish()
  return result
}

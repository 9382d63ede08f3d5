/**
 * NARs and the local filesystem (the only file in src/nar that touches `node:fs`):
 *
 * - `dumpPath(path)`: the NAR of a file, symlink or directory as an async byte stream (C++
 *   `dumpPath`); `hashPath(path)`: its hash and size without holding the NAR.
 * - `restorePath(target, nar)`: unpack a NAR into a new path (C++ `restorePath`).
 * - `hashFile(path)`: a flat file hash (C++ `hashFile`, `nix-hash --flat`).
 *
 * Names are handled as bytes (Buffer paths), so names that are not UTF-8 survive. Small files
 * are read synchronously straight into the encoder's output (no promise, no extra copy); big
 * files are read asynchronously in large chunks, the next read in flight while the consumer
 * handles the current one (or synchronously, with `sync`, for commands and hashing).
 */
import { createHash } from 'node:crypto'
import { closeSync, constants, fchmodSync, fstatSync, lstatSync, mkdirSync, openSync, readdirSync, readlinkSync, readSync, symlinkSync, writeSync } from 'node:fs'
import { open, type FileHandle } from 'node:fs/promises'
import { NixHash, type HashAlgo } from '../store-path/index.js'
import { ByteSource } from '../wire/index.js'
import { NarEncoder } from './encoder.js'
import { NarDumpError, NarRestoreError } from './errors.js'
import { MAX_DEPTH } from './format.js'
import { decodeNar, type NarReadOptions, type NarResult, type NarSink } from './stream.js'

const SLASH = Buffer.from('/')

export interface DumpOptions {
  /** Size of the output pieces framing and small files are gathered into (default 256 KiB). */
  chunkSize?: number
  /** Read size for big files (default 4 MiB). */
  readSize?: number
  /**
   * Reuse buffers: each yielded piece is valid only until the consumer asks for the next one
   * (fine for hashing; not for a stream that keeps written chunks queued).
   */
  recycle?: boolean
  /**
   * Read big files synchronously too (default false). Faster when the caller has nothing else
   * to do (a command, hashing): no thread-pool hand-offs, which are slow on a busy machine.
   */
  sync?: boolean
  /** Refuse entries this deep or deeper (default MAX_DEPTH = 64, as C++ 2.34's dumpPath). */
  maxDepth?: number
  signal?: AbortSignal
}

const join = (dir: Buffer, name: Buffer): Buffer => Buffer.concat([dir, SLASH, name], dir.length + 1 + name.length)
const show = (p: Buffer): string => p.toString('utf8')

/**
 * The NAR serialisation of `path` (not following a symlink at `path` itself), as C++
 * `nix-store --dump` writes it: entries in byte order of their names, `executable` when the
 * owner may execute, other file types refused.
 */
export async function* dumpPath(path: string | Buffer, opts: DumpOptions = {}): AsyncGenerator<Uint8Array, void, undefined> {
  const chunkSize = Math.max(opts.chunkSize ?? 256 * 1024, 8192)
  const readSize = opts.readSize ?? 4 * 1024 * 1024
  const recycle = opts.recycle ?? false
  const maxDepth = opts.maxDepth ?? MAX_DEPTH
  const enc = new NarEncoder({ chunkSize, passThrough: 64 * 1024, recycle })
  const pool: Buffer[] = []
  type Frame = { dir: Buffer; names: Buffer[]; i: number }
  const stack: Frame[] = []
  let next: Buffer | undefined = typeof path === 'string' ? Buffer.from(path) : path

  for (;;) {
    if (next !== undefined) {
      const p: Buffer = next
      next = undefined
      const st = lstatSync(p)
      if (st.isFile()) {
        const size = st.size
        enc.regular((st.mode & 0o100) !== 0, size)
        if (size === 0) { /* nothing to read */ } else if (size <= chunkSize) readSmall(p, enc.contentsBuffer(size))
        else if (opts.sync) {
          const fd = openSync(p, constants.O_RDONLY | constants.O_NOFOLLOW)
          try {
            for (let off = 0; off < size;) {
              const buf = recycle ? (pool.pop() ?? Buffer.allocUnsafeSlow(readSize)) : Buffer.allocUnsafeSlow(Math.min(readSize, size - off))
              const n = Math.min(readSize, size - off)
              readFully(fd, buf, n, off, p)
              off += n
              enc.contents(buf.subarray(0, n))
              for (const piece of enc.takeFull()) yield piece
              if (recycle) { enc.release(); pool.push(buf) }
              opts.signal?.throwIfAborted()
            }
          } finally {
            closeSync(fd)
          }
        } else {
          // Big files: asynchronous reads, one in flight while the previous chunk is consumed.
          const fh = await open(p, constants.O_RDONLY | constants.O_NOFOLLOW)
          let pending: Promise<Buffer> | undefined
          try {
            let off = 0
            const take = (n: number): Buffer => recycle ? (pool.pop() ?? Buffer.allocUnsafeSlow(readSize)).subarray(0, n) : Buffer.allocUnsafeSlow(n)
            pending = readChunk(fh, off, take(Math.min(readSize, size)), p)
            while (off < size) {
              const buf: Buffer = await pending!
              pending = undefined
              off += buf.length
              if (off < size) pending = readChunk(fh, off, take(Math.min(readSize, size - off)), p)
              enc.contents(buf)
              for (const piece of enc.takeFull()) yield piece
              if (recycle) {
                enc.release()
                pool.push(Buffer.from(buf.buffer, buf.byteOffset, readSize))
              }
              opts.signal?.throwIfAborted()
            }
          } finally {
            // Stopped early (error, abort, consumer gone): let the read in flight finish first.
            if (pending !== undefined) await pending.catch(() => undefined)
            await fh.close()
          }
        }
      } else if (st.isSymbolicLink()) {
        enc.symlink(readlinkSync(p, { encoding: 'buffer' }))
      } else if (st.isDirectory()) {
        enc.directory()
        const names = readdirSync(p, { encoding: 'buffer' }).sort(Buffer.compare)
        stack.push({ dir: p, names, i: 0 })
      } else {
        throw new NarDumpError(`file '${show(p)}' has an unsupported type`)
      }
    } else {
      const top = stack[stack.length - 1]
      if (top === undefined) break
      const name = top.names[top.i++]
      if (name === undefined) {
        enc.directoryEnd()
        stack.pop()
      } else {
        next = join(top.dir, name)
        if (stack.length >= maxDepth) throw new NarDumpError(`path '${show(next)}' exceeds maximum NAR directory depth of ${maxDepth}`)
        enc.entry(name)
      }
    }
    const full = enc.takeFull()
    if (full.length > 0) {
      for (const piece of full) yield piece
      enc.release()
      opts.signal?.throwIfAborted()
    }
  }
  enc.end()
  yield* enc.take()
}

/** Fill `into` from the start of a small file; the file must still be exactly that long. */
function readSmall(p: Buffer, into: Uint8Array): void {
  if (into.length === 0) return
  const fd = openSync(p, constants.O_RDONLY | constants.O_NOFOLLOW)
  try {
    readFully(fd, into, into.length, 0, p)
  } finally {
    closeSync(fd)
  }
}

/** Read exactly n bytes at `position` into the start of `into`. */
function readFully(fd: number, into: Uint8Array, n: number, position: number, p: Buffer): void {
  let off = 0
  while (off < n) {
    const k = readSync(fd, into, off, n - off, position + off)
    if (k === 0) throw new NarDumpError(`file '${show(p)}' changed while it was being read (shorter than expected)`)
    off += k
  }
}

async function readChunk(fh: FileHandle, position: number, buf: Buffer, p: Buffer): Promise<Buffer> {
  const n = buf.length
  let off = 0
  while (off < n) {
    const { bytesRead } = await fh.read(buf, off, n - off, position + off)
    if (bytesRead === 0) throw new NarDumpError(`file '${show(p)}' changed while it was being read`)
    off += bytesRead
  }
  return buf
}

/** The NAR hash and size of `path`, streaming (C++ `hashPath`, `nix-hash`). */
export async function hashPath(path: string | Buffer, algo: HashAlgo = 'sha256', opts: DumpOptions = {}): Promise<{ hash: NixHash; narSize: number }> {
  const h = createHash(algo)
  let narSize = 0
  for await (const c of dumpPath(path, { recycle: true, sync: true, readSize: 1024 * 1024, ...opts })) {
    h.update(c)
    narSize += c.length
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
 * A sink that creates the decoded tree at `target` (C++ `RestoreSink`). Nothing is written
 * outside `target`: the decoder has already refused names that are empty, `.`, `..` or contain
 * `/`, every path is created fresh (O_EXCL files, mkdir, symlink — never through an existing
 * entry, never following a symlink), and entries are unique per directory. Files get mode
 * 0666 and directories 0777, less the umask; executables add 0111, as C++ does.
 */
export function restoreSink(target: string | Buffer): NarSink {
  const root = typeof target === 'string' ? Buffer.from(target) : target
  // Buffer paths of the open directories by depth, so a child path is one concat.
  const dirs: Buffer[] = []
  const asBuffer = (b: Uint8Array): Buffer => Buffer.from(b.buffer, b.byteOffset, b.byteLength)
  const flagsNew = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW
  return {
    createDirectory(p) {
      const full = p.length === 0 ? root : join(dirs[p.length - 1]!, asBuffer(p[p.length - 1]!))
      mkdirSync(full, 0o777)
      dirs[p.length] = full
    },
    createSymlink(p, t) {
      const full = p.length === 0 ? root : join(dirs[p.length - 1]!, asBuffer(p[p.length - 1]!))
      symlinkSync(asBuffer(t), full)
    },
    createRegularFile(p, executable, contents) {
      const full = p.length === 0 ? root : join(dirs[p.length - 1]!, asBuffer(p[p.length - 1]!))
      const fd = openSync(full, flagsNew, 0o666)
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
    },
  }
}

function writeAll(fd: number, b: Uint8Array): void {
  let off = 0
  while (off < b.length) off += writeSync(fd, b, off, b.length - off)
}

/**
 * Unpack a NAR read from `src` into `target`, which must not exist yet (its parent must). On
 * bad input the partial tree is left behind (as in C++): restore into a temporary path and
 * rename it into place to publish atomically.
 */
export async function restorePath(target: string | Buffer, src: AsyncIterable<Uint8Array> | ByteSource, opts: NarReadOptions = {}): Promise<NarResult> {
  let exists = true
  try { lstatSync(target) } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e
    exists = false
  }
  if (exists) throw new NarRestoreError(`cannot restore a NAR to '${show(typeof target === 'string' ? Buffer.from(target) : target)}': it already exists`)
  return decodeNar(src, restoreSink(target), opts)
}

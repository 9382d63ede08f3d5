/**
 * Filesystem trees in and out of the castore (tvix castore/src/import/fs.rs and the NAR
 * renderer's counterpart for directories on disk).
 *
 * `ingestPath` walks a tree, uploads file contents as blobs (several at a time) and directories
 * leaves-to-root, and returns the root node. Only regular files, directories and symlinks are
 * accepted; a file is executable when its owner-execute bit is set (as Nix decides).
 *
 * `materialise` writes a root node out as a tree. It fetches the directory closure in one
 * recursive lookup, writes everything under a temporary sibling and renames it into place, so
 * a tree appears complete or not at all. Metadata follows a policy (default: Nix's canonical
 * 0444/0555 files, 0555 directories, mtime 1). With `hardLinks`, files whose blob the backend
 * keeps as one raw file are hard links to that file rather than copies. A hard link shares
 * mode and mtime, and castore identity ignores the executable bit, so links are keyed by
 * (BLAKE3, executable): non-executable files link to the blob object itself (whose metadata is
 * set to the policy's), everything else to a copy kept once per key in `linkDir`.
 */
import { randomBytes } from 'node:crypto'
import { chmodSync, constants as fsc, linkSync, lstatSync, statSync, utimesSync, type Stats } from 'node:fs'
import {
  chmod, link, lstat, lutimes, mkdir, open, readdir, readFile, readlink, rename, rm, stat, symlink, utimes,
} from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'
import type { BlobService } from './blob-service.js'
import { Directory } from './directory.js'
import type { DirectoryService } from './directory-service.js'
import { CorruptObjectError, DestinationExistsError, NotFoundError, UnsupportedFileTypeError } from './errors.js'
import { fileNode, symlinkNode, type Entry, type FileNode, type Node } from './node.js'

/** Files up to this size are read in one go and hashed with the one-shot function. */
const SMALL_FILE = 1024 * 1024
const READ_PIECE = 4 * 1024 * 1024

export interface IngestOptions {
  /** Files uploaded at once (default 8). */
  concurrency?: number
  signal?: AbortSignal
}

/** A simple counting semaphore. */
class Limiter {
  private waiting: Array<() => void> = []
  private active = 0
  constructor(private readonly max: number) {}
  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.active >= this.max) await new Promise<void>(r => this.waiting.push(r))
    else this.active++
    try { return await fn() } finally {
      const next = this.waiting.shift()
      if (next) next(); else this.active--
    }
  }
}

/** Upload the tree at `path`; returns its root node (durable once this resolves). */
export async function ingestPath(path: string, blobs: BlobService, dirs: DirectoryService, opts: IngestOptions = {}): Promise<Node> {
  const limiter = new Limiter(opts.concurrency ?? 8)
  const putter = dirs.putMultiple()
  let anyDir = false

  const visit = async (p: Buffer): Promise<Node> => {
    opts.signal?.throwIfAborted()
    const st = await lstat(p)
    if (st.isSymbolicLink()) return symlinkNode(await readlink(p, { encoding: 'buffer' }))
    if (st.isFile()) return limiter.run(() => ingestFile(p, st.size, (st.mode & 0o100) !== 0, blobs))
    if (!st.isDirectory()) throw new UnsupportedFileTypeError(p.toString())
    const names = await readdir(p, { encoding: 'buffer' })
    const nodes = await Promise.all(names.map(n => visit(joinBytes(p, n))))
    const dir = Directory.from(names.map((name, i) => ({ name: Uint8Array.from(name), node: nodes[i]! })))
    await putter.put(dir)
    anyDir = true
    return dir.toNode()
  }

  const root = await visit(Buffer.from(path))
  // Blobs before the directories that name them, directories before the caller's reference.
  await blobs.sync()
  if (anyDir) {
    await putter.close()
    await dirs.sync()
  }
  return root
}

const SLASH = Buffer.from('/')
/** Paths are built as bytes so that names which are not UTF-8 survive (Node accepts Buffer paths). */
function joinBytes(parent: Buffer, name: Uint8Array): Buffer {
  return Buffer.concat([parent, SLASH, name])
}

async function ingestFile(p: Buffer, sizeSeen: number, executable: boolean, blobs: BlobService): Promise<FileNode> {
  if (sizeSeen <= SMALL_FILE) {
    // One readFile (what we read is what we store, even if the file changed since lstat).
    const data = await readFile(p)
    return fileNode(await blobs.put(data), data.length, executable)
  }
  const fh = await open(p, 'r')
  try {
    const w = blobs.openWrite()
    try {
      const buf = Buffer.allocUnsafe(READ_PIECE)
      for (;;) {
        const { bytesRead } = await fh.read(buf, 0, READ_PIECE, null)
        if (bytesRead === 0) break
        await w.write(buf.subarray(0, bytesRead))
      }
    } catch (e) { await w.abort(); throw e }
    const n = w.written
    return fileNode(await w.close(), n, executable)
  } finally {
    await fh.close()
  }
}

// ---- materialisation -----------------------------------------------------------------------

/** Modes and mtime given to materialised files; the default is Nix's canonical form. */
export interface MetadataPolicy {
  fileMode(executable: boolean): number
  readonly dirMode: number
  /** Seconds since the epoch, or undefined to leave timestamps as written. */
  readonly mtime: number | undefined
}

/** C++ Nix canonicalisePathMetaData: 0444 / 0555, directories 0555, mtime 1. */
export const NIX_METADATA: MetadataPolicy = { fileMode: x => (x ? 0o555 : 0o444), dirMode: 0o555, mtime: 1 }

export interface MaterialiseOptions {
  policy?: MetadataPolicy
  /** Hard-link files to whole-file blobs instead of copying them. */
  hardLinks?: boolean
  /**
   * Where link targets live for files the castore cannot lend its own file for (executables,
   * chunked or compressed blobs). Without it those files are copied.
   */
  linkDir?: string
  /** fsync files and directories before the final rename (default true). */
  fsync?: boolean
  /**
   * fsync the destination's parent after the rename (default: as `fsync`). A caller placing many
   * trees in one directory turns this off and syncs the directory once.
   */
  syncParent?: boolean
  /** Files written at once (default 8). */
  concurrency?: number
  signal?: AbortSignal
}

export interface MaterialiseStats { files: number; linked: number; bytesWritten: number }

/** Write `node` as a new tree at `dest` (which must not exist). */
export async function materialise(node: Node, dest: string, blobs: BlobService, dirs: DirectoryService, opts: MaterialiseOptions = {}): Promise<MaterialiseStats> {
  const policy = opts.policy ?? NIX_METADATA
  const fsyncOn = opts.fsync ?? true
  const syncParent = opts.syncParent ?? fsyncOn
  const limiter = new Limiter(opts.concurrency ?? 8)
  const stats: MaterialiseStats = { files: 0, linked: 0, bytesWritten: 0 }
  let canLink = opts.hardLinks ?? false

  const closure = new Map<string, Directory>()
  if (node.kind === 'directory') {
    for await (const d of dirs.getRecursive(node.digest)) closure.set(d.digest.hex, d)
    if (!closure.has(node.digest.hex)) throw new NotFoundError(`directory ${node.digest.hex}`)
  }

  const createdDirs: Buffer[] = []

  const writeFile = async (p: Buffer, n: FileNode): Promise<void> => {
    opts.signal?.throwIfAborted()
    stats.files++
    if (canLink) {
      const src = await linkSource(n)
      if (src !== undefined) {
        try { await link(src, p); stats.linked++; return } catch (e) {
          const code = (e as NodeJS.ErrnoException).code
          if (code === 'EXDEV' || code === 'EPERM') canLink = false
          // EMLINK: too many links to one inode; ENOENT: GC removed the source meanwhile. Copy.
          else if (code !== 'EMLINK' && code !== 'ENOENT') throw e
        }
      }
    }
    await copyBlob(p, n)
  }

  const copyBlob = async (p: string | Buffer, n: FileNode): Promise<void> => {
    // Small blobs in one read (no stat); large ones streamed.
    const small = n.size <= BigInt(SMALL_FILE)
    const data = small ? await blobs.readAll(n.digest, { maxSize: SMALL_FILE, expectedSize: Number(n.size) }) : undefined
    const r = small ? undefined : await blobs.open(n.digest)
    if (data === undefined && r === undefined) throw new NotFoundError(`blob ${n.digest.hex}`)
    const got = data?.length ?? r!.size
    if (BigInt(got) !== n.size) throw new CorruptObjectError(`blob ${n.digest.hex} has ${got} bytes, the node says ${n.size}`)
    const fh = await open(p, fsc.O_WRONLY | fsc.O_CREAT | fsc.O_EXCL, 0o600)
    try {
      for await (const piece of data !== undefined ? [data] : r!.read()) {
        let off = 0
        while (off < piece.length) off += (await fh.write(piece, off, piece.length - off)).bytesWritten
        stats.bytesWritten += piece.length
      }
      await fh.chmod(policy.fileMode(n.executable))
      if (policy.mtime !== undefined) await fh.utimes(policy.mtime, policy.mtime)
      if (fsyncOn) await fh.datasync()
    } finally { await fh.close() }
  }

  /**
   * The inode to link to for (digest, executable), with the policy's metadata: the castore's
   * own file for a non-executable blob stored whole and raw; otherwise a copy kept once per
   * key in `linkDir` (`<2 hex>/<64 hex>` or `<64 hex>.x` for executables), as Nix's .links.
   */
  const linkSource = async (n: FileNode): Promise<string | undefined> => {
    if (!n.executable) {
      // Stat once: the look-up and the metadata check in one call, where a backend says where to look.
      const raw = blobs.rawPath?.(n.digest)
      if (raw !== undefined) {
        const st = statSync(raw, { throwIfNoEntry: false })
        if (st !== undefined) { conformStat(raw, st, policy.fileMode(false), policy); return raw }
      } else {
        const obj = await blobs.localPath(n.digest)
        if (obj !== undefined) { await conform(obj, policy.fileMode(false)); return obj }
      }
    }
    if (opts.linkDir === undefined) return undefined
    const xp = join(opts.linkDir, n.digest.hex.slice(0, 2), n.digest.hex + (n.executable ? '.x' : ''))
    try { await stat(xp); return xp } catch (e) { if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e }
    await mkdir(dirname(xp), { recursive: true })
    const t = `${xp}.tmp-${uniqueSuffix()}`
    await copyBlob(t, n)
    await rename(t, xp)
    return xp
  }

  // The link source's metadata is read and set with synchronous calls: microseconds each, once
  // per file, where a thread-pool round trip costs more than the call. (Creating entries — the
  // link, the renames — stays asynchronous: those wait on directory locks under load.)
  const conform = async (p: string, mode: number): Promise<void> => conformStat(p, statSync(p), mode, policy)

  const writeNode = async (p: Buffer, n: Node): Promise<void> => {
    if (n.kind === 'symlink') {
      await symlink(Buffer.from(n.target), p)
      if (policy.mtime !== undefined) await lutimes(p, policy.mtime, policy.mtime)
    } else if (n.kind === 'file') {
      await limiter.run(() => writeFile(p, n))
    } else {
      const d = closure.get(n.digest.hex)
      if (d === undefined) throw new CorruptObjectError(`directory ${n.digest.hex} missing from the closure`)
      await mkdir(p, { mode: 0o700 })
      createdDirs.push(p)
      await Promise.all(d.entries().map((e: Entry) => writeNode(joinBytes(p, e.name), e.node)))
    }
  }

  // A single file that can be linked appears at `dest` complete in one step (link(2) creates
  // the name atomically and refuses an existing one): no temporary name, no rename. The link is
  // a synchronous call, as the blob's create was: one directory entry costs less than the
  // thread-pool round trip, which under load is the larger part of a small path's latency.
  if (node.kind === 'file' && canLink) {
    const src = await linkSource(node)
    if (src !== undefined) {
      try {
        linkSync(src, dest)
        stats.files++
        stats.linked++
        if (syncParent) { const fh = await open(dirname(dest), 'r'); try { await fh.sync() } finally { await fh.close() } }
        return stats
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code
        if (code === 'EEXIST') throw new DestinationExistsError(dest)
        if (code !== 'EXDEV' && code !== 'EPERM' && code !== 'EMLINK' && code !== 'ENOENT') throw e
        if (code === 'ENOENT' && lstatSync(dirname(dest), { throwIfNoEntry: false }) === undefined) throw e
        // otherwise fall back to the general path below (copy)
      }
    }
  }

  const tmp = join(dirname(dest), `.${basename(dest)}.tmp-${uniqueSuffix()}`)
  try {
    await writeNode(Buffer.from(tmp), node)
    // Directories last, once all entries exist: their fsyncs at once (they share journal
    // commits), then mode and mtime, deepest first.
    if (fsyncOn) {
      await Promise.all(createdDirs.map(p => limiter.run(async () => {
        const fh = await open(p, 'r'); try { await fh.sync() } finally { await fh.close() }
      })))
    }
    for (const p of createdDirs.reverse()) {
      await chmod(p, policy.dirMode)
      if (policy.mtime !== undefined) await utimes(p, policy.mtime, policy.mtime)
    }
    await renameNoReplace(tmp, dest)
    if (syncParent) { const fh = await open(dirname(dest), 'r'); try { await fh.sync() } finally { await fh.close() } }
  } catch (e) {
    await removeTree(tmp)
    throw e
  }
  return stats
}

/**
 * `materialise` of a single non-executable file by a hard link to its blob's own file, done
 * synchronously (a stat, a link, and a chmod/utimes only if the blob lacks the policy's
 * metadata): true when done. False, having done nothing, when the blob has no such file or the
 * link is refused for a reason `materialise` handles (another filesystem, too many links, the
 * blob swept meanwhile): the caller then calls `materialise`. A `dest` that exists is
 * DestinationExistsError, as there. Nothing is synced.
 */
export function linkFileSync(node: FileNode, dest: string, blobs: BlobService, policy: MetadataPolicy = NIX_METADATA): boolean {
  if (node.executable) return false
  const raw = blobs.rawPath?.(node.digest)
  const st = raw === undefined ? undefined : statSync(raw, { throwIfNoEntry: false })
  if (st === undefined) return false
  conformStat(raw!, st, policy.fileMode(false), policy)
  try {
    linkSync(raw!, dest)
    return true
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code
    if (code === 'EEXIST') throw new DestinationExistsError(dest)
    if (code === 'EXDEV' || code === 'EPERM' || code === 'EMLINK' || code === 'ENOENT') return false
    throw e
  }
}

/** Give a link source (`st` its metadata) the policy's mode and mtime, where it lacks them. */
function conformStat(p: string, st: Stats, mode: number, policy: MetadataPolicy): void {
  if ((st.mode & 0o7777) !== mode) chmodSync(p, mode)
  if (policy.mtime !== undefined && st.mtimeMs !== policy.mtime * 1000) utimesSync(p, policy.mtime, policy.mtime)
}

/** A hex suffix unique within the process (random per process, then counted: no syscall each time). */
const SUFFIX_BASE = randomBytes(4).toString('hex')
let suffixCounter = 0
function uniqueSuffix(): string { return SUFFIX_BASE + (suffixCounter++).toString(16).padStart(4, '0') }

async function renameNoReplace(from: string, to: string): Promise<void> {
  // The existence check is a synchronous lstat (no Error for the usual miss); the rename
  // changes a directory others write to as well, so it goes to the thread pool.
  if (lstatSync(to, { throwIfNoEntry: false }) !== undefined) throw new DestinationExistsError(to)
  await rename(from, to)
}

/** Remove a (possibly read-only) tree we were writing. */
export async function removeTree(p: string | Buffer): Promise<void> {
  const makeWritable = async (q: Buffer): Promise<void> => {
    let st
    try { st = await lstat(q) } catch { return }
    if (!st.isDirectory()) return
    await chmod(q, 0o700)
    for (const n of await readdir(q, { encoding: 'buffer' })) await makeWritable(joinBytes(q, n))
  }
  await makeWritable(Buffer.from(p))
  await rm(p, { recursive: true, force: true })
}

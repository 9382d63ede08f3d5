/**
 * Objects as files under a state directory (layout in README.md next to this file, and
 * written into the state directory itself):
 *
 *   <root>/castore.json            format version and compression, fixed at creation
 *   <root>/blobs/<2 hex>/<64 hex>  blob or chunk contents (raw unless compression is set)
 *   <root>/index/<2 hex>/<64 hex>  chunk list of a chunked blob
 *   <root>/dirs/<2 hex>/<64 hex>   canonical Directory bytes
 *   <root>/tmp/                    files being written (same filesystem, for rename)
 *
 * Writes are atomic and durable before use: data goes to tmp/, is fdatasync'ed, then renamed
 * into place; `sync()` fsyncs the shard directories touched since the last call, and callers
 * call it before anything refers to the new objects. Objects are read-only (0444). The GC
 * stamp is ctime: it changes on every write, touch (utimes), link and chmod and cannot be set
 * back, so a materialiser may set mtime to 1 on a hard-linked blob without hiding it from GC.
 */
import { randomBytes } from 'node:crypto'
import { closeSync, constants as fsc, fdatasyncSync, mkdirSync, openSync, renameSync, statSync, unlinkSync, utimesSync, writeSync } from 'node:fs'
import { mkdir, open, readdir, readFile, rename, stat, unlink, writeFile, type FileHandle } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { promisify } from 'node:util'
import zlib from 'node:zlib'
import { nativeCalls, type NativeCalls } from '../os/native.js'
import { syncDirs } from '../os/sync-dirs.js'
import { B3Digest } from './digest.js'
import { CastoreConfigError, NotFoundError } from './errors.js'
import { Gate, joinParts, type ListedObject, type Namespace, type ObjectStore, type ObjectWriter, STABLE_WRITES_HELD } from './object-store.js'

export type Compression = 'none' | 'deflate' | 'brotli'

export interface FsObjectStoreOptions {
  /** How blob objects are stored; fixed when the store is created (default 'none'). */
  compression?: Compression
  /** fdatasync each object before renaming it into place (default true). */
  fsync?: boolean
  /** Use the native addon's object calls when built (default true; false: node:fs only, for tests). */
  native?: boolean
  /**
   * The mtime (seconds since the epoch) blobs written in one piece (`put`, `putSync`) get where
   * the native addon writes them (else, and for every other object, the time of writing). A
   * caller that hard-links blobs and wants a fixed mtime on the links then finds it set. GC
   * does not read mtime (its stamp is ctime).
   */
  objectMtime?: number | undefined
}

const FORMAT_VERSION = 1
const NS_DIR: Record<Namespace, string> = { blob: 'blobs', index: 'index', dir: 'dirs' }
const HEX64 = /^[0-9a-f]{64}$/
const READ_PIECE = 1024 * 1024
/** Streamed object writes: buffers queued for writing, and the size of each. */
const WRITES_IN_FLIGHT = STABLE_WRITES_HELD
const WRITE_BUF = 1024 * 1024
/** A stable piece at least this long is written in place rather than copied into a staging buffer. */
const STABLE_DIRECT = 256 * 1024
const TMP_PREFIX = randomBytes(6).toString('hex') + '-'
let tmpCounter = 0

const deflate = promisify(zlib.deflateRaw), inflate = promisify(zlib.inflateRaw)
const brotli = promisify(zlib.brotliCompress), unbrotli = promisify(zlib.brotliDecompress)

const README = `tsnix castore objects (see src/castore/README.md in tsnix).

castore.json            format version and blob compression, fixed at creation
blobs/<2 hex>/<64 hex>  contents of a blob stored whole, or of one chunk; the name is the
                        BLAKE3-256 (hex) of the uncompressed contents
index/<2 hex>/<64 hex>  chunk list of a blob stored in chunks (tvix StatBlobResponse protobuf)
dirs/<2 hex>/<64 hex>   a castore Directory, canonical protobuf; the name is its BLAKE3-256
tmp/                    files being written; renamed into place once fsynced

Objects are immutable and read-only. Do not edit them; a hard link to a blob shares its inode.
`

/** writev until every byte is written (a regular file normally takes all of it at once). */
async function writeAll(fh: FileHandle, parts: readonly Uint8Array[]): Promise<void> {
  let total = 0
  for (const p of parts) total += p.length
  let { bytesWritten } = await fh.writev(parts as Uint8Array[])
  if (bytesWritten === total) return
  const rest = Buffer.concat(parts as Uint8Array[]).subarray(bytesWritten)
  let off = 0
  while (off < rest.length) off += (await fh.write(rest, off, rest.length - off)).bytesWritten
}

type ObjectCalls = NativeCalls<'putObject' | 'putObjectAsync' | 'touchObject'>
let objectCalls: ObjectCalls | null | undefined
type AnonCalls = NativeCalls<'putObjectAnon' | 'putObjectAnonAsync'>
let anonCalls: AnonCalls | null | undefined
type BatchCalls = NativeCalls<'putObjectsAnonAsync'>
let batchCalls: BatchCalls | null | undefined

/** The addon's batched unnamed-object writes, when built (off with TSNIX_CASTORE_ANON=0, as the single ones). */
function batchNative(): BatchCalls | null {
  if (batchCalls === undefined) batchCalls = nativeCalls('TSNIX_CASTORE_ANON', 'putObjectsAnonAsync')
  return batchCalls
}

/**
 * Small blob puts gathered into one thread-pool task (with fsync off the store mostly writes
 * small blobs by synchronous calls, putSync). On a busy machine a round trip to the pool costs
 * tens of µs of wake-ups, more than the small write it carries; a batch is what one turn of the
 * event loop put (an import's decoder stores many paths' files in one turn), up to PUT_BATCH
 * objects a task so that the pool's threads still share a big batch's fdatasyncs. Blobs above
 * BATCH_MAX_BYTES (a chunked file's chunks, written several at once) keep a task each, in parallel.
 */
const PUT_BATCH = 8
const BATCH_MAX_BYTES = 64 * 1024
/** A queued put's answer when its batch was refused: an errno that is no "no O_TMPFILE" (EIO). */
const BATCH_REFUSED = 5

/**
 * The native addon's unnamed-file object write (O_TMPFILE + linkat: one directory entry made
 * instead of a temporary name, its rename and a look-up first), when built.
 * TSNIX_CASTORE_ANON=0 turns it off (as TSNIX_CASTORE_NATIVE=0 turns off all native calls).
 */
function anonNative(): AnonCalls | null {
  if (anonCalls === undefined) anonCalls = nativeCalls('TSNIX_CASTORE_ANON', 'putObjectAnon', 'putObjectAnonAsync')
  return anonCalls
}

/** putObjectAnon's errnos for a filesystem without O_TMPFILE (Linux open(2)). */
const NO_TMPFILE = new Set([95 /* EOPNOTSUPP */, 21 /* EISDIR */, 22 /* EINVAL */])

/**
 * The native addon's object calls (native/tsnix.c), when built: an object's create, write,
 * fdatasync, close and rename in one call (one thread-pool task where node:fs takes five round
 * trips) and a touch in one system call (a batch's directory syncs: src/os/sync-dirs.ts). Any failure
 * is retried through node:fs, which meets the error again and words it as ever.
 * TSNIX_CASTORE_NATIVE=0 turns them off.
 */
function castoreNative(): ObjectCalls | null {
  if (objectCalls === undefined) objectCalls = nativeCalls('TSNIX_CASTORE_NATIVE', 'putObject', 'putObjectAsync', 'touchObject')
  return objectCalls
}

function isErrno(e: unknown, code: string): boolean {
  return (e as NodeJS.ErrnoException | undefined)?.code === code
}

export class FsObjectStore implements ObjectStore {
  private readonly gate = new Gate()
  private dirty = new Set<string>()
  private readonly tmpDir: string
  private readonly native: ObjectCalls | null
  /** Null once the filesystem turned out to have no O_TMPFILE. */
  private anon: AnonCalls | null

  /** Per namespace, `<root>/<dir>/` normalised once: object paths are then plain concatenations (path.join costs more than the rest of a small put). */
  private readonly nsPrefix: Record<Namespace, string>

  private constructor(readonly root: string, readonly compression: Compression, private readonly fsync: boolean, native: boolean, private readonly objectMtime: number) {
    this.native = native ? castoreNative() : null
    this.anon = this.native !== null ? anonNative() : null
    this.batch = this.anon !== null ? batchNative() : null
    this.tmpDir = join(root, 'tmp')
    this.nsPrefix = { blob: join(root, NS_DIR.blob) + '/', index: join(root, NS_DIR.index) + '/', dir: join(root, NS_DIR.dir) + '/' }
  }

  /** Open (creating if needed) a store at `root`. */
  static async open(root: string, opts: FsObjectStoreOptions = {}): Promise<FsObjectStore> {
    await mkdir(join(root, 'tmp'), { recursive: true })
    const cfgPath = join(root, 'castore.json')
    let compression: Compression
    try {
      const cfg = JSON.parse(await readFile(cfgPath, 'utf8')) as { version?: unknown; compression?: unknown }
      if (cfg.version !== FORMAT_VERSION) throw new CastoreConfigError(`castore at ${root}: unsupported format version ${String(cfg.version)}, expected ${FORMAT_VERSION}`)
      if (cfg.compression !== 'none' && cfg.compression !== 'deflate' && cfg.compression !== 'brotli') throw new CastoreConfigError(`castore at ${root}: unknown compression ${String(cfg.compression)}`)
      compression = cfg.compression
      if (opts.compression !== undefined && opts.compression !== compression) throw new CastoreConfigError(`castore at ${root} was created with compression '${compression}', not '${opts.compression}'`)
    } catch (e) {
      if (!isErrno(e, 'ENOENT')) throw e
      compression = opts.compression ?? 'none'
      for (const ns of Object.values(NS_DIR)) await mkdir(join(root, ns), { recursive: true })
      await writeFile(join(root, 'README'), README)
      const tmp = join(root, 'tmp', `castore.json.${randomBytes(6).toString('hex')}`)
      await writeFile(tmp, JSON.stringify({ version: FORMAT_VERSION, compression }) + '\n', { flush: true })
      await rename(tmp, cfgPath)
    }
    return new FsObjectStore(root, compression, opts.fsync ?? true, opts.native ?? true, opts.objectMtime ?? -1)
  }

  private compressed(ns: Namespace): boolean { return ns === 'blob' && this.compression !== 'none' }

  path(ns: Namespace, d: B3Digest): string {
    const h = d.hex
    return `${this.nsPrefix[ns]}${h.slice(0, 2)}/${h}`
  }

  async has(ns: Namespace, d: B3Digest): Promise<boolean> {
    try { await stat(this.path(ns, d)); return true } catch (e) { if (isErrno(e, 'ENOENT')) return false; throw e }
  }

  async get(ns: Namespace, d: B3Digest, sizeHint?: number): Promise<Uint8Array | undefined> {
    const compressed = this.compressed(ns)
    try {
      if (sizeHint !== undefined && !compressed) {
        // open + one read + close; a short or long read falls back to reading it all.
        const fh = await open(this.path(ns, d), 'r')
        try {
          const buf = Buffer.allocUnsafe(sizeHint + 1)
          const { bytesRead } = await fh.read(buf, 0, sizeHint + 1, 0)
          if (bytesRead === sizeHint) return buf.subarray(0, bytesRead)
          return await fh.readFile()
        } finally { await fh.close() }
      }
      const raw = await readFile(this.path(ns, d))
      return compressed ? this.decompress(raw) : raw
    } catch (e) { if (isErrno(e, 'ENOENT')) return undefined; throw e }
  }

  async size(ns: Namespace, d: B3Digest): Promise<number | undefined> {
    if (this.compressed(ns)) return (await this.get(ns, d))?.length
    try { return (await stat(this.path(ns, d))).size } catch (e) { if (isErrno(e, 'ENOENT')) return undefined; throw e }
  }

  async *stream(ns: Namespace, d: B3Digest, start: number, end: number): AsyncIterable<Uint8Array> {
    if (end <= start) return
    if (this.compressed(ns)) {
      const data = await this.get(ns, d)
      if (!data) throw new NotFoundError(`${ns} object ${d.hex}`)
      yield data.subarray(start, end)
      return
    }
    let fh: FileHandle
    try { fh = await open(this.path(ns, d), 'r') } catch (e) { if (isErrno(e, 'ENOENT')) throw new NotFoundError(`${ns} object ${d.hex}`); throw e }
    try {
      let pos = start
      while (pos < end) {
        const want = Math.min(READ_PIECE, end - pos)
        const buf = Buffer.allocUnsafe(want)
        const { bytesRead } = await fh.read(buf, 0, want, pos)
        if (bytesRead === 0) break
        pos += bytesRead
        yield bytesRead === want ? buf : buf.subarray(0, bytesRead)
      }
    } finally { await fh.close() }
  }

  put(ns: Namespace, d: B3Digest, data: Uint8Array | readonly Uint8Array[]): Promise<void> {
    return this.gate.shared(async () => {
      const target = this.path(ns, d)
      const one = data instanceof Uint8Array ? data : data.length === 1 ? data[0]! : undefined
      if (this.anon !== null && one !== undefined && !this.compressed(ns)) {
        // as in putSync: no look-up first, one thread-pool task (shared with other blobs where it can be)
        const r = await (ns === 'blob' && this.batch !== null && one.length <= BATCH_MAX_BYTES ? this.queueBlob(target, one) : this.anon.putObjectAnonAsync(this.tmpDir, target, one, this.fsync, ns === 'blob' ? this.objectMtime : -1))
        if (r === -2) return
        if (r <= 0) { this.placedNatively(target, r); return }
        if (NO_TMPFILE.has(r)) this.anon = null
      }
      if (await this.touch(target)) return
      if (this.native !== null && !this.compressed(ns)) {
        // a failure left nothing behind: the steps below retry, and report it their way
        if (one !== undefined && this.placedNatively(target, await this.native.putObjectAsync(this.tmpName(), target, one, this.fsync))) return
      }
      const body = this.compressed(ns) ? [await this.compress(joinParts(data))] : data instanceof Uint8Array ? [data] : data
      const tmp = this.tmpName()
      const fh = await open(tmp, fsc.O_WRONLY | fsc.O_CREAT | fsc.O_EXCL, 0o444)
      try {
        await writeAll(fh, body)
        if (this.fsync) await fh.datasync()
      } catch (e) {
        await fh.close().catch(() => {}); await unlink(tmp).catch(() => {}); throw e
      }
      await fh.close()
      await this.place(tmp, target)
    })
  }

  private readonly batch: BatchCalls | null
  private queued: { targets: string[]; datas: Uint8Array[]; answers: Array<(r: number) => void> } | undefined

  /** putObjectAnon's answer for a blob, written in a batch with the others queued this turn. */
  private queueBlob(target: string, data: Uint8Array): Promise<number> {
    const q = this.queued ??= { targets: [], datas: [], answers: [] }
    if (q.targets.length === 0) setImmediate(() => { if (this.queued === q) this.sendBlobs() })
    const p = new Promise<number>(resolve => { q.answers.push(resolve) })
    q.targets.push(target)
    q.datas.push(data)
    if (q.targets.length >= PUT_BATCH) this.sendBlobs()
    return p
  }

  private sendBlobs(): void {
    const q = this.queued!
    this.queued = undefined
    const results = new Int32Array(q.targets.length)
    let sent: Promise<number>
    try { sent = this.batch!.putObjectsAnonAsync(this.tmpDir, q.targets, q.datas, this.fsync, this.objectMtime, results) } catch (e) { sent = Promise.reject(e) }
    // A batch refused as a whole (a path too long, say) stored nothing: each put then goes its
    // usual way, which meets the problem again and reports it as node:fs words it.
    // A task that could not run (EIO, `results` untouched) counts as refused too.
    const refused = (): void => { for (const answer of q.answers) answer(BATCH_REFUSED) }
    sent.then(r => {
      if (r !== 0) { refused(); return }
      for (let i = 0; i < results.length; i++) q.answers[i]!(results[i]!)
    }, refused)
  }

  putSync(ns: Namespace, d: B3Digest, data: Uint8Array): boolean {
    if (this.compressed(ns) || !this.gate.freeForSync) return false
    const target = this.path(ns, d)
    if (this.anon !== null) {
      // No look-up first: linkat refuses an existing object, which is then touched instead.
      const r = this.anon.putObjectAnon(this.tmpDir, target, data, this.fsync, ns === 'blob' ? this.objectMtime : -1)
      if (r === -2) return true
      if (r <= 0) return this.placedNatively(target, r)
      if (NO_TMPFILE.has(r)) this.anon = null
      // any other failure stored nothing: the steps below meet it again and report it their way
    }
    if (this.touchSync(target)) return true
    if (this.native !== null && this.placedNatively(target, this.native.putObject(this.tmpName(), target, data, this.fsync))) return true
    const tmp = this.tmpName()
    const fd = openSync(tmp, fsc.O_WRONLY | fsc.O_CREAT | fsc.O_EXCL, 0o444)
    try {
      let off = 0
      while (off < data.length) off += writeSync(fd, data, off, data.length - off)
      if (this.fsync) fdatasyncSync(fd)
    } catch (e) {
      try { closeSync(fd) } catch { /* keep the first error */ }
      try { unlinkSync(tmp) } catch { /* keep the first error */ }
      throw e
    }
    closeSync(fd)
    const dir = target.slice(0, target.length - 65)
    try {
      renameSync(tmp, target)
    } catch (e) {
      if (!isErrno(e, 'ENOENT')) { try { unlinkSync(tmp) } catch { /* keep the first error */ } throw e }
      mkdirSync(dir, { recursive: true })
      this.dirty.add(dirname(dir))
      renameSync(tmp, target)
    }
    this.dirty.add(dir)
    return true
  }

  writer(ns: Namespace): ObjectWriter {
    if (this.compressed(ns)) {
      const parts: Uint8Array[] = []
      return {
        write: async (data) => { parts.push(Uint8Array.from(data)) },
        commit: (d) => this.put(ns, d, Buffer.concat(parts)),
        abort: async () => { parts.length = 0 },
      }
    }
    const tmp = this.tmpName()
    let fh: FileHandle | undefined
    let closed = false
    // Writes are pipelined: pieces are copied into staging buffers of our own, each written at
    // its offset once full while the caller goes on (hashing, reading the next piece); a few in
    // flight. Fewer, larger writes also cost less than one per piece.
    let pos = 0
    let error: unknown
    let stage: Buffer | undefined
    let staged = 0
    const inflight = new Set<Promise<void>>()
    let tail: Promise<void> = Promise.resolve()
    const spare: Buffer[] = []
    const flush = async (): Promise<void> => {
      if (stage === undefined || staged === 0) return
      const own = stage, len = staged
      stage = undefined
      staged = 0
      await enqueue(own, len, true)
    }
    /** Write `len` bytes of `buf` at the next position; `reuse`: a staging buffer, spare afterwards. */
    const enqueue = async (buf: Uint8Array, len: number, reuse: boolean): Promise<void> => {
      fh ??= await open(tmp, fsc.O_WRONLY | fsc.O_CREAT | fsc.O_EXCL, 0o444)
      const h = fh, at = pos
      pos += len
      // One write at a time, in order: concurrent writes to one file contend for its lock.
      const p: Promise<void> = tail.then(async () => {
        if (error !== undefined) return
        let off = 0
        while (off < len) off += (await h.write(buf, off, len - off, at + off)).bytesWritten
        if (reuse && spare.length < WRITES_IN_FLIGHT) spare.push(buf as Buffer)
      }).catch((e: unknown) => { error ??= e }).finally(() => inflight.delete(p))
      tail = p
      inflight.add(p)
      while (inflight.size >= WRITES_IN_FLIGHT) await Promise.race(inflight)
      if (error !== undefined) throw error
    }
    const settle = async (): Promise<void> => {
      await flush()
      await Promise.all(inflight)
      if (error !== undefined) throw error
    }
    return {
      write: async (data, stable) => {
        if (error !== undefined) throw error
        if (stable === true && data.length >= STABLE_DIRECT) {
          // Written where it lies (no copy into a staging buffer), after what is staged.
          await flush()
          await enqueue(data, data.length, false)
          return
        }
        let from = 0
        while (from < data.length) {
          stage ??= spare.pop() ?? Buffer.allocUnsafeSlow(WRITE_BUF)
          const k = Math.min(data.length - from, WRITE_BUF - staged)
          stage.set(from === 0 && k === data.length ? data : data.subarray(from, from + k), staged)
          staged += k
          from += k
          if (staged === WRITE_BUF) await flush()
        }
      },
      commit: (d) => this.gate.shared(async () => {
        closed = true
        await settle()
        fh ??= await open(tmp, fsc.O_WRONLY | fsc.O_CREAT | fsc.O_EXCL, 0o444)
        const target = this.path(ns, d)
        if (await this.touch(target)) { await fh.close(); await unlink(tmp); return }
        if (this.fsync) await fh.datasync()
        await fh.close()
        await this.place(tmp, target)
      }),
      abort: async () => {
        if (closed) return
        closed = true
        await Promise.allSettled(inflight)
        if (fh) { await fh.close().catch(() => {}); await unlink(tmp).catch(() => {}) }
      },
    }
  }

  async sync(): Promise<void> {
    const dirs = [...this.dirty]
    this.dirty = new Set()
    if (!this.fsync) return
    const mine = syncDirs(dirs, this.native !== null)
    // A concurrent caller may have taken our directories into its own sync, still running:
    // wait for every sync in flight, not only ours, before saying the objects are durable.
    const all = Promise.all([this.syncing, mine]).then(() => {})
    this.syncing = all.catch(() => {})
    await all
  }
  private syncing: Promise<void> = Promise.resolve()

  async *list(ns: Namespace): AsyncIterable<ListedObject> {
    const base = join(this.root, NS_DIR[ns])
    for (const shard of (await readdir(base)).sort()) {
      if (!/^[0-9a-f]{2}$/.test(shard)) continue
      let names: string[]
      try { names = await readdir(join(base, shard)) } catch (e) { if (isErrno(e, 'ENOENT')) continue; throw e }
      // Synchronous stats (a GC lists every object: one thread-pool round trip each cost more
      // than the stats), one shard at a time with a turn of the event loop in between.
      const listed: ListedObject[] = []
      for (const name of names) {
        if (!HEX64.test(name)) continue
        const st = statSync(join(base, shard, name), { throwIfNoEntry: false })
        if (st) listed.push({ digest: B3Digest.fromHex(name), stamp: st.ctimeMs, storedBytes: st.blocks * 512 })
      }
      yield* listed
      await new Promise(r => setImmediate(r))
    }
  }

  sweep(ns: Namespace, digests: readonly B3Digest[], cutoff: number): Promise<{ deleted: number; freedBytes: number }> {
    return this.gate.exclusive(async () => {
      let deleted = 0, freedBytes = 0
      await Promise.all(digests.map(async (d) => {
        const p = this.path(ns, d)
        try {
          const st = await stat(p)
          if (st.ctimeMs >= cutoff) return
          await unlink(p)
          deleted++
          // A hard-linked blob (materialised store) frees nothing until its last link goes.
          if (st.nlink <= 1) freedBytes += st.blocks * 512
        } catch (e) { if (!isErrno(e, 'ENOENT')) throw e }
      }))
      return { deleted, freedBytes }
    })
  }

  rawPath(ns: Namespace, d: B3Digest): string | undefined {
    return this.compressed(ns) ? undefined : this.path(ns, d)
  }

  async localPath(ns: Namespace, d: B3Digest): Promise<string | undefined> {
    if (this.compressed(ns)) return undefined
    const p = this.path(ns, d)
    // A synchronous stat (microseconds, no thread-pool round trip, no Error for a miss): this
    // runs once per materialised file.
    return statSync(p, { throwIfNoEntry: false }) ? p : undefined
  }

  /** Temp files left by a crash (older than `olderThanMs`) are removed by GC. */
  async cleanTmp(cutoff: number): Promise<number> {
    let n = 0
    for (const name of await readdir(this.tmpDir)) {
      const p = join(this.tmpDir, name)
      try {
        if ((await stat(p)).mtimeMs < cutoff) { await unlink(p); n++ }
      } catch (e) { if (!isErrno(e, 'ENOENT')) throw e }
    }
    return n
  }

  /**
   * Refresh the stamp of an existing object; false if it does not exist. Synchronous: two
   * metadata calls per stored object, cheaper than two thread-pool round trips (and a miss
   * costs no Error).
   */
  private async touch(p: string): Promise<boolean> {
    return this.touchSync(p)
  }

  private touchSync(p: string): boolean {
    if (this.native !== null) {
      const r = this.native.touchObject(p)
      if (r >= 0) return r === 1 // an error: node:fs below meets it again and reports it
    }
    const st = statSync(p, { throwIfNoEntry: false })
    if (st === undefined) return false
    try {
      utimesSync(p, new Date(), st.mtime)
    } catch (e) {
      if (isErrno(e, 'ENOENT')) return false // swept meanwhile: write it again
      throw e
    }
    return true
  }

  /** After a native put: true if it stored the object (its directory, and a new one's parent, to be synced). */
  private placedNatively(target: string, r: number): boolean {
    if (r > 0) return false
    const dir = target.slice(0, target.length - 65)
    if (r === -1) this.dirty.add(dirname(dir))
    this.dirty.add(dir)
    return true
  }

  private async place(tmp: string, target: string): Promise<void> {
    const dir = target.slice(0, target.length - 65)
    try {
      await rename(tmp, target)
    } catch (e) {
      // Shard directories are made on first use (rather than 768 of them up front).
      if (!isErrno(e, 'ENOENT')) throw e
      await mkdir(dir, { recursive: true })
      this.dirty.add(dirname(dir))
      await rename(tmp, target)
    }
    this.dirty.add(dir)
  }

  /** Unique within the process without asking the kernel for randomness each time. */
  private tmpName(): string {
    return `${this.tmpDir}/${process.pid}-${TMP_PREFIX}${(tmpCounter++).toString(36)}`
  }

  private async compress(data: Uint8Array): Promise<Buffer> {
    if (this.compression === 'deflate') return deflate(data, { level: 1 })
    return brotli(data, { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 1, [zlib.constants.BROTLI_PARAM_SIZE_HINT]: data.length } })
  }

  private async decompress(raw: Uint8Array): Promise<Buffer> {
    return this.compression === 'deflate' ? inflate(raw) : unbrotli(raw)
  }
}

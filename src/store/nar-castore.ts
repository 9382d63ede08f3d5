/**
 * NAR ⇄ castore (tvix store/src/nar/import.rs and renderer.rs).
 *
 * `ingestNar` decodes a NAR stream straight into the castore — file contents become blobs,
 * directories are uploaded leaves-to-root — while the NAR's sha256 and size are computed in
 * the same pass. Small files are stored in the background (bounded), large ones streamed.
 *
 * `renderNar` turns a root node back into the byte-identical NAR: the directory closure comes
 * from one recursive lookup, blob reads run ahead of the encoder in a window (tvix's renderer
 * reads one blob after another), and output leaves in large pieces with big file contents
 * passed through uncopied. A blob whose length differs from its node is an error, never a
 * silently different NAR.
 */
import {
  CorruptObjectError, Directory, NotFoundError, type BlobReader, type BlobService, type DirectoryService,
  type Entry, type FileNode, type Node, STABLE_WRITES_HELD,
} from '../castore/index.js'
import { bytesEqual, decodeNar, NarEncoder, type NarFileContents, narFileHead, narFileTail, type NarPath, type NarSink, type StableChunks } from '../nar/index.js'
import { NixHash } from '../store-path/index.js'
import { type ByteSource, type WholeIfBuffered, WireReader } from '../wire/index.js'
import { OffloadedSha256, SLOT, STABLE_HELD_MAX } from './sha256-offload.js'

/** Files up to this size are gathered in memory and stored in the background. */
const SMALL_FILE = 1024 * 1024

export interface IngestNarOptions {
  /** Small-file uploads in flight (default 32). */
  concurrency?: number
  signal?: AbortSignal
  /**
   * Files up to this size are stored by a synchronous call where the blob service offers one
   * (default 0: never). A small create and write take microseconds; the thread-pool round trips
   * of the asynchronous path cost more than that, and serialise a one-file path's latency.
   * Only sensible when a put does not fsync.
   */
  syncPutMax?: number
  /**
   * A NAR up to this size (default 64 KiB) is read whole first; if it is a single regular
   * file, its contents are stored as one blob (synchronously up to `syncPutMax`) without the
   * streaming decoder. 0: always stream.
   */
  wholeMax?: number
}

const WHOLE_MAX = 64 * 1024

export interface IngestNarResult {
  root: Node
  narSize: number
  narSha256: NixHash
}

interface DirBuilder { entries: Array<{ name: Uint8Array; node: Promise<Node> }> }

/** Decode a NAR into the castore; returns the root node (durable) and the NAR's size and sha256. */
export async function ingestNar(src: AsyncIterable<Uint8Array> | ByteSource, blobs: BlobService, dirs: DirectoryService, opts: IngestNarOptions = {}): Promise<IngestNarResult> {
  const staged = await stageNar(src, blobs, dirs, opts)
  const root = await staged.root
  await syncCastore(blobs, dirs)
  return { root, narSize: staged.narSize, narSha256: staged.narSha256 }
}

/** A NAR decoded into the castore, its uploads possibly still running. */
export interface StagedNar {
  narSize: number
  narSha256: NixHash
  /**
   * The root node, once every blob and directory is stored — but not yet durable: call
   * `syncCastore` before anything durable names it.
   */
  root: Promise<Node>
}

/**
 * Make what was stored so far durable (blobs before the directories that name them). One call
 * covers every staged NAR whose root has resolved, so a batch pays for it once.
 */
export async function syncCastore(blobs: BlobService, dirs: DirectoryService): Promise<void> {
  await blobs.sync()
  await dirs.sync()
}

/**
 * Decode a NAR into the castore and return as soon as its last byte is read (the source is then
 * positioned after it), with the uploads finishing in the background (`root`). Lets a caller
 * decode the next NAR of a stream while this one's files are still being written.
 */
export async function stageNar(src: AsyncIterable<Uint8Array> | ByteSource, blobs: BlobService, dirs: DirectoryService, opts: IngestNarOptions = {}): Promise<StagedNar> {
  // A stable source may reuse a chunk's memory once we are surely done with it: the hasher
  // holds at most STABLE_HELD_MAX bytes; big files' writes at most STABLE_WRITES_HELD pieces
  // (each within one chunk); besides, the decoder's current chunk, the one being split for the
  // hasher and the two the whole-NAR probe below may hold back. Everything else is copied.
  if (!isByteSource(src)) (src as StableChunks).reuseAfter?.(STABLE_HELD_MAX, STABLE_WRITES_HELD + 4 + 4)
  const wholeMax = Math.max(opts.wholeMax ?? WHOLE_MAX, opts.syncPutMax ?? 0)
  if (isByteSource(src)) {
    // An import's stream: a one-file NAR already buffered whole is taken from the buffer, as a
    // small NAR below (export streams are mostly such paths); anything else is decoded.
    const file = wholeMax === 0 ? undefined : singleFileBuffered(src.peek(), wholeMax)
    if (file === undefined) return stageNarStream(src, blobs, dirs, opts)
    const nar = src.peek().subarray(0, file.narSize)
    const staged = stageSingleFile(nar, file, false, blobs, opts)
    src.skip(file.narSize)
    return staged
  }
  if (wholeMax === 0) return stageNarStream(src, blobs, dirs, opts)
  // A small NAR (`nix-store --add` of a file, a .drv) is read whole first: a single regular
  // file is then hashed and stored as one blob (by synchronous calls where allowed), without
  // the streaming decoder. An upload already buffered whole is taken without iterating.
  let held = (src as WholeIfBuffered).takeWhole?.(wholeMax)
  if (held === undefined) {
    const it = src[Symbol.asyncIterator]()
    held = []
    let size = 0
    for (;;) {
      const r = await it.next()
      if (r.done) break
      held.push(r.value)
      size += r.value.length
      if (size > wholeMax) return stageNarStream(keepStable(src, prepend(held, it)), blobs, dirs, opts)
    }
  }
  const nar = held.length === 1 ? held[0]! : Buffer.concat(held)
  opts.signal?.throwIfAborted()
  const file = singleFileBuffered(nar, nar.length)
  // (exactly one file: bytes after it are for the streaming decoder to judge)
  if (file === undefined || file.narSize !== nar.length) return stageNarStream(prepend([nar], undefined), blobs, dirs, opts)
  // a chunk we were handed may be a view of the producer's buffer; a concatenation is ours
  return stageSingleFile(nar, file, held.length > 1, blobs, opts)
}

/** A NAR that is one regular file: its blob stored (by a synchronous call where allowed), its hash and size. */
function stageSingleFile(nar: Uint8Array, file: { executable: boolean; contents: Uint8Array }, own: boolean, blobs: BlobService, opts: IngestNarOptions): StagedNar {
  const size = BigInt(file.contents.length)
  const digest = file.contents.length <= (opts.syncPutMax ?? 0) ? blobs.putSync?.(file.contents) : undefined
  let root: Promise<Node>
  if (digest !== undefined) {
    root = Promise.resolve({ kind: 'file', digest, size, executable: file.executable })
  } else {
    // Stored in the background: unless `own`, the bytes may be a view of the producer's buffer
    // (an upload's connection buffer, reused for the next message), so they are copied.
    const data = own ? file.contents : Uint8Array.prototype.slice.call(file.contents)
    root = blobs.put(data).then((d): Node => ({ kind: 'file', digest: d, size, executable: file.executable }))
    root.catch(() => {})
  }
  return { narSize: nar.length, narSha256: NixHash.of('sha256', nar), root }
}

/** `g`, marked as never changing its chunks when `src` is. */
function keepStable(src: AsyncIterable<Uint8Array>, g: AsyncGenerator<Uint8Array, void, undefined>): AsyncGenerator<Uint8Array, void, undefined> {
  return (src as StableChunks).stableChunks === true ? Object.assign(g, { stableChunks: true as const }) : g
}

/** `held`, then the rest of `it`. */
async function* prepend(held: readonly Uint8Array[], it: AsyncIterator<Uint8Array> | undefined): AsyncGenerator<Uint8Array, void, undefined> {
  yield* held
  if (it === undefined) return
  for (let r = await it.next(); !r.done; r = await it.next()) yield r.value
}

const NAR_FILE_HEADS = [false, true].map(executable => ({ executable, head: narFileHead(0, executable) }))

/**
 * If `buf` starts with a whole NAR of one regular file of at most `max` bytes: the file, and
 * the NAR's length (bytes after it are the next item of the stream). Undefined otherwise —
 * another kind of NAR, a bigger one, or not all buffered yet — for the streaming decoder.
 */
function singleFileBuffered(buf: Uint8Array, max: number): { executable: boolean; contents: Uint8Array; narSize: number } | undefined {
  for (const { executable, head } of NAR_FILE_HEADS) {
    const at = head.length - 8 // the contents' length is the head's last word
    if (buf.length < head.length || !bytesEqual(buf.subarray(0, at), head.subarray(0, at))) continue
    const size = new WireReader(buf, at).u64()
    if (size > BigInt(max)) return undefined
    const end = head.length + Number(size)
    // the tail holds the zero padding and the closing token
    const tail = narFileTail(Number(size))
    if (buf.length < end + tail.length || !bytesEqual(buf.subarray(end, end + tail.length), tail)) return undefined
    return { executable, contents: buf.subarray(head.length, end), narSize: end + tail.length }
  }
  return undefined
}

async function stageNarStream(src: AsyncIterable<Uint8Array> | ByteSource, blobs: BlobService, dirs: DirectoryService, opts: IngestNarOptions): Promise<StagedNar> {
  const maxInFlight = opts.concurrency ?? 32
  const syncPutMax = opts.syncPutMax ?? 0
  const putter = dirs.putMultiple()
  const stack: DirBuilder[] = []
  const inFlight = new Set<Promise<unknown>>()
  let root: Promise<Node> | undefined
  let anyDir = false
  // A source that never changes a chunk it handed out (dumpPath): its bytes, and the decoder's
  // views of them, are hashed and written in place, not copied.
  const stable = !isByteSource(src) && (src as StableChunks).stableChunks === true

  /** Record a node at `path`: in its parent directory, or as the root. */
  const place = (path: NarPath, node: Promise<Node>): void => {
    node.catch(() => {}) // awaited later; keep a failure from being reported as unhandled
    const parent = stack[stack.length - 1]
    if (parent === undefined) root = node
    else parent.entries.push({ name: Uint8Array.from(path[path.length - 1]!), node })
  }

  const track = async <T>(p: Promise<T>): Promise<void> => {
    inFlight.add(p)
    void p.then(() => inFlight.delete(p), () => inFlight.delete(p))
    while (inFlight.size >= maxInFlight) await Promise.race(inFlight).catch(() => {})
  }

  const sink: NarSink = {
    createDirectory() { stack.push({ entries: [] }) },
    closeDirectory(path) {
      // Not awaited here: the directory is built once its files are stored, while decoding
      // goes on. Its children are put before it because it waits for their nodes.
      const b = stack.pop()!
      anyDir = true
      place(path, (async (): Promise<Node> => {
        const nodes = await Promise.all(b.entries.map(e => e.node))
        const dir = Directory.from(b.entries.map((e, i) => ({ name: e.name, node: nodes[i]! })))
        await putter.put(dir)
        return dir.toNode()
      })())
    },
    async createRegularFile(path, executable, contents) {
      opts.signal?.throwIfAborted()
      if (contents.size <= SMALL_FILE) {
        const data = await gather(contents)
        const digest = data.length <= syncPutMax ? blobs.putSync?.(data) : undefined
        if (digest !== undefined) {
          place(path, Promise.resolve({ kind: 'file', digest, size: BigInt(data.length), executable }))
          return
        }
        const node = blobs.put(data).then((digest): Node => ({ kind: 'file', digest, size: BigInt(data.length), executable }))
        place(path, node)
        await track(node)
        return
      }
      const w = blobs.openWrite()
      try {
        for (let piece = await contents.read(); piece !== undefined; piece = await contents.read()) await w.write(piece, stable)
      } catch (e) { await w.abort(); throw e }
      const size = w.written
      place(path, w.close().then((digest): Node => ({ kind: 'file', digest, size: BigInt(size), executable })))
    },
    createSymlink(path, target) {
      place(path, Promise.resolve({ kind: 'symlink', target: Uint8Array.from(target) }))
    },
  }

  // An iterable source is hashed on a worker thread once it is large (sha256-offload.ts); a
  // ByteSource (the daemon's wire) by the decoder, which knows where the NAR ends in it.
  const sha = isByteSource(src) ? undefined : new OffloadedSha256(stable)
  let res, narSha256: NixHash
  try {
    const input = sha === undefined ? src : teeSha(src as AsyncIterable<Uint8Array>, sha)
    res = await decodeNar(input, sink, { ...(sha === undefined ? { hash: 'sha256' as const } : {}), ...(opts.signal ? { signal: opts.signal } : {}) })
    narSha256 = sha === undefined ? res.narHash! : NixHash.fromDigest('sha256', await sha.finish(res.narSize))
  } catch (e) {
    sha?.abort()
    // Let uploads already started settle before the caller sees the error (nothing dangles).
    await Promise.allSettled([...inFlight, ...(root ? [root] : [])])
    if (anyDir) await putter.close().catch(() => {})
    throw e
  }
  const top = root!
  const settled = (async (): Promise<Node> => {
    const node = await top
    await Promise.all(inFlight)
    if (anyDir) await putter.close()
    return node
  })()
  settled.catch(() => {})
  return { root: settled, narSize: res.narSize, narSha256 }
}

function isByteSource(src: AsyncIterable<Uint8Array> | ByteSource): src is ByteSource {
  return typeof (src as Partial<ByteSource>).decode === 'function'
}

/**
 * Pass `src` through in pieces of at most SLOT bytes, adding each to `sha`. A piece is committed
 * when the decoder asks for the next one: the NAR ends within the last piece it pulls.
 */
async function* teeSha(src: AsyncIterable<Uint8Array>, sha: OffloadedSha256): AsyncGenerator<Uint8Array, void, undefined> {
  for await (const piece of src) {
    for (let off = 0; off < piece.length; off += SLOT) {
      const v = off === 0 && piece.length <= SLOT ? piece : piece.subarray(off, Math.min(piece.length, off + SLOT))
      sha.commitAll()
      await sha.add(v)
      yield v
    }
  }
}

/** All of a small file's contents as one owned buffer (chunks from the reader are views). */
async function gather(contents: NarFileContents): Promise<Uint8Array> {
  const out = new Uint8Array(contents.size)
  let off = 0
  for (;;) {
    const piece = contents.readBuffered() ?? await contents.read()
    if (piece === undefined) break
    out.set(piece, off)
    off += piece.length
  }
  return out
}

// ---- rendering -------------------------------------------------------------------------------

export interface RenderNarOptions {
  /** Files read ahead of the encoder (default 64). */
  readAheadFiles?: number
  /** Bytes of small files held ahead of the encoder (default 64 MiB). */
  readAheadBytes?: number
  /** Size of the output pieces (default 1 MiB). */
  chunkSize?: number
  signal?: AbortSignal
}

type Fetched = { kind: 'bytes'; data: Uint8Array } | { kind: 'stream'; reader: BlobReader }

/** Render a root node as NAR bytes. */
export async function* renderNar(node: Node, blobs: BlobService, dirs: DirectoryService, opts: RenderNarOptions = {}): AsyncGenerator<Uint8Array, void, undefined> {
  const closure = new Map<string, Directory>()
  if (node.kind === 'directory') {
    for await (const d of dirs.getRecursive(node.digest)) closure.set(d.digest.hex, d)
    if (!closure.has(node.digest.hex)) throw new NotFoundError(`directory ${node.digest.hex}`)
  }
  const dirOf = (d: Node & { kind: 'directory' }): Directory => {
    const dir = closure.get(d.digest.hex)
    if (dir === undefined) throw new CorruptObjectError(`directory ${d.digest.hex} missing from the closure`)
    if (dir.size !== d.size) throw new CorruptObjectError(`directory ${d.digest.hex} has size ${dir.size}, its parent says ${d.size}`)
    return dir
  }

  // Files in NAR order, so their blobs can be fetched ahead of the encoder.
  const files: FileNode[] = []
  const collect = (n: Node): void => {
    if (n.kind === 'file') files.push(n)
    else if (n.kind === 'directory') for (const e of dirOf(n).entries()) collect(e.node)
  }
  collect(node)
  const prefetch = new Prefetcher(files, blobs, opts.readAheadFiles ?? 64, opts.readAheadBytes ?? 64 * 1024 * 1024)

  const enc = new NarEncoder({ chunkSize: opts.chunkSize ?? 1024 * 1024, passThrough: 256 * 1024 })
  try {
    // An explicit stack instead of recursion: generators cannot yield from nested closures.
    type Frame = { entries: readonly Entry[]; i: number }
    const stack: Frame[] = []
    let next: Node | undefined = node
    for (;;) {
      if (next !== undefined) {
        const n: Node = next
        next = undefined
        if (n.kind === 'symlink') enc.symlink(n.target)
        else if (n.kind === 'directory') { enc.directory(); stack.push({ entries: dirOf(n).entries(), i: 0 }) }
        else {
          opts.signal?.throwIfAborted()
          const size = Number(n.size)
          enc.regular(n.executable, size)
          const f = await prefetch.take()
          if (f.kind === 'bytes') {
            if (f.data.length !== size) throw sizeMismatch(n, f.data.length)
            if (size > 0) enc.contents(f.data)
          } else {
            if (f.reader.size !== size) throw sizeMismatch(n, f.reader.size)
            for await (const piece of f.reader.read()) {
              enc.contents(piece)
              for (const out of enc.takeFull()) yield out
            }
          }
        }
        for (const out of enc.takeFull()) yield out
      }
      const top = stack[stack.length - 1]
      if (top === undefined) break
      if (top.i < top.entries.length) {
        const e = top.entries[top.i++]!
        enc.entry(e.name)
        next = e.node
      } else {
        enc.directoryEnd()
        stack.pop()
      }
    }
    enc.end()
    for (const out of enc.take()) yield out
  } finally {
    prefetch.stop()
  }
}

function sizeMismatch(n: FileNode, got: number): CorruptObjectError {
  return new CorruptObjectError(`blob ${n.digest.hex} has ${got} bytes, but the file node says ${n.size}`)
}

/** Fetches blobs in order, a bounded window ahead of the consumer. */
class Prefetcher {
  private readonly queue: Array<Promise<Fetched>> = []
  private started = 0
  private taken = 0
  /** Bytes of small files fetched or being fetched and not yet taken. */
  private held = 0
  private stopped = false

  constructor(private readonly files: readonly FileNode[], private readonly blobs: BlobService,
    private readonly maxFiles: number, private readonly maxBytes: number) {
    this.pump()
  }

  async take(): Promise<Fetched> {
    const p = this.queue.shift()
    if (p === undefined) throw new CorruptObjectError('renderer asked for more files than the tree has')
    const n = this.files[this.taken++]!
    if (n.size <= BigInt(SMALL_FILE)) this.held -= Number(n.size)
    this.pump()
    return p
  }

  stop(): void { this.stopped = true }

  private pump(): void {
    while (!this.stopped && this.started < this.files.length && this.queue.length < this.maxFiles && this.held < this.maxBytes) {
      const n = this.files[this.started++]!
      const small = n.size <= BigInt(SMALL_FILE)
      if (small) this.held += Number(n.size)
      const p = this.fetch(n, small)
      p.catch(() => {}) // surfaced by take()
      this.queue.push(p)
    }
  }

  private async fetch(n: FileNode, small: boolean): Promise<Fetched> {
    if (small) {
      const data = await this.blobs.readAll(n.digest, { maxSize: SMALL_FILE, expectedSize: Number(n.size) })
      if (data === undefined) throw new NotFoundError(`blob ${n.digest.hex}`)
      return { kind: 'bytes', data }
    }
    const reader = await this.blobs.open(n.digest)
    if (reader === undefined) throw new NotFoundError(`blob ${n.digest.hex}`)
    return { kind: 'stream', reader }
  }
}

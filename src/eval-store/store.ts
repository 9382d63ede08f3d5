/**
 * The evaluator's store (`EvalStoreIO`, src/eval/io.ts) in three flavours:
 *
 * - `DummyEvalStore`: read-only, nothing is valid (C++ `dummy://`, and `nix-instantiate --eval`
 *   without `--read-write-mode`): source paths and `.drv` files only get their paths computed.
 * - `MemoryEvalStore`: keeps what is added in memory (tests, and what a real store would see).
 * - a store behind a synchronous bridge (bridge.ts) for the CLI.
 *
 * All share how a source path becomes a store path: NAR (or flat) SHA-256 through
 * `makeFixedOutputPath`, as C++ `fetchToStore` does.
 */
import { EvalError } from '../eval/errors.js'
import type { AddSourcePathRequest, EvalStoreIO } from '../eval/io.js'
import { type NixHash, StoreDir, type StorePath, makeFixedOutputPath } from '../store-path/index.js'
import { dumpSource, hashFlat } from './dump.js'
import { nodeSource, type SourceAccessor } from './source.js'
import type { StoreWorkerData } from './store-worker.js'
import { SyncCallError, SyncWorker, wt } from './sync-worker.js'

/** What a writable store receives for a source path. */
export interface SourceAddition {
  /** The store path we computed (the store computes it again from the dump). */
  readonly path: string
  readonly name: string
  readonly method: 'nar' | 'flat'
  /** The NAR (`nar`) or the file's bytes (`flat`). */
  readonly dump: readonly Uint8Array[]
}

export abstract class BaseEvalStore implements EvalStoreIO {
  readonly storeDir: StoreDir

  /** `storeDir`'s names are the evaluator's binary strings (StoreDir `binaryNames`). */
  constructor(storeDir: string, readonly source: SourceAccessor, readonly readOnly: boolean) {
    this.storeDir = new StoreDir(storeDir, { binaryNames: true })
  }

  addSourcePath(req: AddSourcePathRequest): string {
    return this.addSourcePathWithHash(req).path
  }

  addSourcePathWithHash(req: AddSourcePathRequest): { path: string; narHash: NixHash } {
    const src = req.followLinks === true ? this.source.resolveFull(req.path) : this.source.resolveAncestors(req.path)
    const keep = !this.readOnly || req.force === true
    const d = dumpSource(this.source, src, { filter: req.filter, keep })
    let dump: readonly Uint8Array[] | undefined = d.nar
    let caHash = d.narHash
    if (req.method === 'flat') {
      caHash = hashFlat(this.source, src)
      if (keep) dump = [this.source.readFile(src)]
    }
    const printed = this.storeDir.print(this.makePath(req.name, req.method, caHash))
    if (dump !== undefined && !this.isValidPath(printed)) this.writeSource({ path: printed, name: req.name, method: req.method, dump })
    return { path: printed, narHash: d.narHash }
  }

  private makePath(name: string, method: 'nar' | 'flat', hash: NixHash): StorePath {
    try {
      return makeFixedOutputPath(this.storeDir, name, method, hash)
    } catch (e) {
      throw new EvalError((e as Error).message)
    }
  }

  abstract isValidPath(path: string): boolean
  abstract queryReferences(path: string): readonly string[]
  abstract readDerivation(drvPath: string): string
  abstract addTextToStore(path: string, contents: Uint8Array, references: readonly string[]): void
  protected abstract writeSource(a: SourceAddition): void
}

const notValid = (p: string): EvalError => new EvalError(`path '${p}' is not valid`)

/** A build for import from derivation failed: exit status 100, as C++ (`BuildError`). */
export class BuildFailedError extends EvalError {
  readonly exitStatus = 100
}

/**
 * Empty, and nothing can be added (C++ `dummy://`). Read-only evaluation only computes paths;
 * with `readOnly = false` (instantiating against `dummy://`) writing fails as in C++.
 */
export class DummyEvalStore extends BaseEvalStore {
  constructor(storeDir = '/nix/store', source: SourceAccessor = nodeSource, readOnly = true) {
    super(storeDir, source, readOnly)
  }
  isValidPath(): boolean { return false }
  queryReferences(path: string): readonly string[] { throw notValid(path) }
  readDerivation(path: string): string { throw notValid(path) }
  addTextToStore(path: string): void {
    throw new EvalError(`operation '${path.endsWith('.drv') ? 'writeDerivation' : 'addToStore'}' is not supported by store 'dummy://'`)
  }
  protected writeSource(a: SourceAddition): void {
    // C++ adds NAR-hashed trees with addToStoreFromDump and flat files (fetchurl) with addToStore
    throw new EvalError(`operation '${a.method === 'nar' ? 'addToStoreFromDump' : 'addToStore'}' is not supported by store 'dummy://'`)
  }
}

export interface MemoryObject {
  readonly references: readonly string[]
  /** Text files (`toFile`, `.drv`) and flat sources: their bytes; NAR sources: their NAR. */
  readonly contents: Uint8Array
  readonly kind: 'text' | 'nar' | 'flat'
}

/** Everything added is kept in a map (tests; what a store would have received). */
export class MemoryEvalStore extends BaseEvalStore {
  readonly objects = new Map<string, MemoryObject>()
  /** Builds for import from derivation (tests): given `drv!out` targets, make their outputs valid. */
  builder: ((targets: readonly string[], store: MemoryEvalStore) => void) | undefined

  constructor(storeDir = '/nix/store', source: SourceAccessor = nodeSource) {
    super(storeDir, source, false)
  }

  isValidPath(path: string): boolean { return this.objects.has(path) }
  queryReferences(path: string): readonly string[] {
    const o = this.objects.get(path)
    if (o === undefined) throw notValid(path)
    return o.references
  }
  readDerivation(path: string): string {
    const o = this.objects.get(path)
    if (o === undefined || o.kind !== 'text') throw notValid(path)
    return Buffer.from(o.contents).toString('latin1')
  }
  addTextToStore(path: string, contents: Uint8Array, references: readonly string[]): void {
    this.objects.set(path, { references: [...references], contents, kind: 'text' })
  }
  buildPaths(targets: readonly string[]): void {
    if (this.builder === undefined) throw new EvalError(`cannot build '${targets[0] ?? ''}': this store has no builder`)
    this.builder(targets, this)
  }
  protected writeSource(a: SourceAddition): void {
    this.objects.set(a.path, { references: [], contents: Buffer.concat(a.dump), kind: a.method })
  }
}

/**
 * A real store (daemon or local) reached synchronously through a worker thread (sync-worker.ts,
 * store-worker.ts). What it adds also gets a temporary GC root for the worker's lifetime.
 *
 * Text files (`.drv` files above all: a large evaluation writes thousands) are not written one
 * round trip each: they are queued and sent in batches that the worker adds while evaluation
 * goes on (`LocalStore.addTextsToStore`: one lock round, one durability barrier, one
 * transaction per batch). Anything that reads the store first sends what is queued, and the
 * worker answers in order, so reads see every earlier write; `flush` waits for all of them
 * and reports a failed write (C++ would have failed at the write itself).
 */
export class BridgedEvalStore extends BaseEvalStore {
  private worker: SyncWorker | undefined
  private readonly valid = new Set<string>()
  /** Texts queued here, not yet sent. */
  private pending: TextToAdd[] = []
  private pendingBytes = 0
  /** Texts queued or sent, not yet known to be added. */
  private readonly queued = new Set<string>()

  /** The worker starts at the first call (read-only evaluation rarely needs the store). */
  constructor(private readonly data: StoreWorkerData, source: SourceAccessor = nodeSource, readOnly = false) {
    super(data.storeDir, source, readOnly)
  }

  private getWorker(): SyncWorker {
    return (this.worker ??= sharedStoreWorker(this.data))
  }

  private call<T>(op: string, ...args: unknown[]): T {
    try {
      const w = this.getWorker()
      this.sendQueued(w)
      const r = w.call<T>(op, ...args)
      this.settleQueued()
      return r
    } catch (e) {
      throw this.asEvalError(e, op)
    }
  }

  private asEvalError(e: unknown, op: string): EvalError {
    // the store's messages may carry terminal colours; C++ drops them when not on a terminal
    const msg = (e as Error).message.replace(/\x1b\[[0-9;]*[A-Za-z]/g, '')
    return ((e instanceof SyncCallError ? e.op : undefined) ?? op) === 'buildPaths' ? new BuildFailedError(msg) : new EvalError(msg)
  }

  isValidPath(path: string): boolean {
    if (this.valid.has(path)) return true
    const v = this.call<boolean>('isValidPath', path)
    if (v) this.valid.add(path)
    return v
  }
  queryReferences(path: string): readonly string[] {
    const r = this.call<string[] | null>('references', path)
    if (r === null) throw notValid(path)
    return r
  }
  readDerivation(path: string): string {
    return Buffer.from(this.call<Uint8Array>('readFile', path)).toString('latin1')
  }
  addTextToStore(path: string, contents: Uint8Array, references: readonly string[]): void {
    if (this.valid.has(path) || this.queued.has(path)) return
    this.queued.add(path)
    this.pending.push({ path, name: path.slice(this.storeDir.path.length + 1 + 33), references: [...references], contents })
    this.pendingBytes += contents.length
    if (this.pending.length >= TEXT_BATCH || this.pendingBytes >= TEXT_BATCH_BYTES) {
      try { this.sendQueued(this.getWorker()) } catch (e) { throw this.asEvalError(e, 'addTexts') }
    }
  }
  protected writeSource(a: SourceAddition): void {
    this.checkSame(a.path, this.call<string>('addToStore', a.name, a.method, [], a.dump))
  }
  buildPaths(paths: readonly string[]): void {
    this.call('buildPaths', [...paths])
  }
  /** Wait until every queued write is done; throws the first that failed. */
  flush(): void {
    if (this.worker === undefined && this.pending.length === 0) return
    try {
      const w = this.getWorker()
      this.sendQueued(w)
      w.flush()
      this.settleQueued()
    } catch (e) {
      throw this.asEvalError(e, 'addTexts')
    }
  }
  private sendQueued(w: SyncWorker): void {
    if (this.pending.length === 0) return
    const batch = this.pending
    this.pending = []
    this.pendingBytes = 0
    w.post('addTexts', batch)
    flushAtExit(this)
  }
  /** Everything sent before a successful call is done. */
  private settleQueued(): void {
    if (this.queued.size === 0 || this.pending.length > 0) return
    for (const p of this.queued) this.valid.add(p)
    this.queued.clear()
    unflushed.delete(this)
  }
  private checkSame(want: string, got: string): void {
    if (want !== got) throw new EvalError(`the store added '${got}' where the evaluator computed '${want}'`)
    this.valid.add(got)
  }
  /** Stop the worker (it is shared by every BridgedEvalStore of the same store in this process). */
  close(): void {
    if (this.worker === undefined && this.pending.length === 0) return
    try { this.flush() } finally {
      workers.delete(workerKey(this.data))
      this.worker?.close()
      this.worker = undefined
    }
  }
}

/** A text file for the store worker's `addTexts`: where the evaluator computed it goes, and what it is. */
export interface TextToAdd {
  readonly path: string
  readonly name: string
  readonly references: readonly string[]
  readonly contents: Uint8Array
}

/**
 * Stores with writes sent but not flushed. A process that ends without flushing still
 * completes them: the worker does not keep the process alive, but it keeps running while the
 * main thread waits in an exit handler.
 */
const unflushed = new Set<BridgedEvalStore>()
let exitHandler = false

function flushAtExit(s: BridgedEvalStore): void {
  unflushed.add(s)
  if (exitHandler || !wt().isMainThread) return
  exitHandler = true
  process.once('exit', () => {
    for (const u of [...unflushed]) {
      try { u.flush() } catch { /* the command reports failures when it flushes; too late here */ }
    }
  })
}

/** Texts are sent in batches of this many, or of this many bytes. */
const TEXT_BATCH = 256
const TEXT_BATCH_BYTES = 4 << 20

/**
 * One worker per store and process: opening a store (worker start, database, castore) costs
 * far more than an evaluation's queries, and in-process callers (tests, a REPL) evaluate often.
 */
const workers = new Map<string, SyncWorker>()
const workerKey = (d: StoreWorkerData): string => JSON.stringify([d.storeUrl, d.storeDir, d.isRoot, d.env])

function sharedStoreWorker(d: StoreWorkerData): SyncWorker {
  const key = workerKey(d)
  let w = workers.get(key)
  if (w === undefined) {
    w = new SyncWorker(new URL('./store-worker.js', import.meta.url), d)
    w.call('open')
    workers.set(key, w)
  }
  return w
}

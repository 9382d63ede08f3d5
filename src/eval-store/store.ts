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
import { type NixHash, StoreDir, type StorePath, makeFixedOutputPath, printContentAddress } from '../store-path/index.js'
import { dumpSource, hashFlat, type NarDump } from './dump.js'
import { nodeSource, type SourceAccessor } from './source.js'

/** What a writable store receives for a source path. */
export interface SourceAddition {
  readonly path: string
  readonly narHash: NixHash
  readonly narSize: number
  readonly nar: readonly Uint8Array[]
  /** The content address, e.g. `fixed:r:sha256:…`. */
  readonly ca: string
}

export abstract class BaseEvalStore implements EvalStoreIO {
  readonly storeDir: StoreDir

  constructor(storeDir: string | StoreDir, readonly source: SourceAccessor, readonly readOnly: boolean) {
    this.storeDir = typeof storeDir === 'string' ? new StoreDir(storeDir) : storeDir
  }

  addSourcePath(req: AddSourcePathRequest): string {
    const src = req.followLinks === true ? this.source.resolveFull(req.path) : this.source.resolveAncestors(req.path)
    const keep = !this.readOnly
    let dump: NarDump | undefined
    let caHash: NixHash
    if (req.method === 'nar') {
      dump = dumpSource(this.source, src, { filter: req.filter, keep })
      caHash = dump.narHash
    } else {
      caHash = hashFlat(this.source, src)
      if (keep) dump = dumpSource(this.source, src, { keep })
    }
    const sp = this.makePath(req.name, req.method, caHash)
    const printed = this.storeDir.print(sp)
    if (keep && dump?.nar !== undefined && !this.isValidPath(printed)) {
      this.writeSource({
        path: printed,
        narHash: dump.narHash,
        narSize: dump.narSize,
        nar: dump.nar,
        ca: printContentAddress({ method: req.method, hash: caHash }),
      })
    }
    return printed
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

/**
 * Empty, and nothing can be added (C++ `dummy://`). Read-only evaluation only computes paths;
 * with `readOnly = false` (instantiating against `dummy://`) writing fails as in C++.
 */
export class DummyEvalStore extends BaseEvalStore {
  constructor(storeDir: string | StoreDir = '/nix/store', source: SourceAccessor = nodeSource, readOnly = true) {
    super(storeDir, source, readOnly)
  }
  isValidPath(): boolean { return false }
  queryReferences(path: string): readonly string[] { throw notValid(path) }
  readDerivation(path: string): string { throw notValid(path) }
  addTextToStore(path: string): void {
    throw new EvalError(`operation '${path.endsWith('.drv') ? 'writeDerivation' : 'addToStore'}' is not supported by store 'dummy://'`)
  }
  protected writeSource(): void { throw new EvalError("operation 'addToStore' is not supported by store 'dummy://'") }
}

export interface MemoryObject {
  readonly references: readonly string[]
  /** Text files (`toFile`, `.drv`): their bytes; source paths: their NAR. */
  readonly contents: Uint8Array
  readonly kind: 'text' | 'nar'
  readonly ca?: string
}

/** Everything added is kept in a map (tests; what a store would have received). */
export class MemoryEvalStore extends BaseEvalStore {
  readonly objects = new Map<string, MemoryObject>()

  constructor(storeDir: string | StoreDir = '/nix/store', source: SourceAccessor = nodeSource) {
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
  protected writeSource(a: SourceAddition): void {
    const total = a.nar.reduce((n, p) => n + p.length, 0)
    const nar = new Uint8Array(total)
    let off = 0
    for (const p of a.nar) { nar.set(p, off); off += p.length }
    this.objects.set(a.path, { references: [], contents: nar, kind: 'nar', ca: a.ca })
  }
}

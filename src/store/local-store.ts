/**
 * LocalStore: the Store facade over castore (contents), pathinfo (metadata in Nix's own
 * database) and a materialised store directory that stock clients read directly
 * (worker-protocol.md §7.3). C++ counterpart: `LocalStore`.
 *
 * Adding a path: the NAR goes into castore (SHA-256 and size computed in the same pass), is
 * checked against what the caller stated, is materialised under a temporary name and renamed
 * into place (readers never see half a path), and only then registered as valid — so a crash at
 * any point leaves no partially registered path. Concurrent adds of one path are serialised by
 * `<path>.lock` files compatible with C++ Nix.
 */
import { randomBytes } from 'node:crypto'
import { closeSync, constants as fsConstants, lstatSync, openSync } from 'node:fs'
import { lstat, mkdir, readFile, readlink, rename, symlink } from 'node:fs/promises'
import { dirname } from 'node:path'
import { availableParallelism } from 'node:os'
import { Builder, type BuilderStore, type BuildRequestContext, DaemonRunners } from '../build/index.js'
import { decodeRootNode, DestinationExistsError, encodeRootNode, fileNode, linkFileSync, materialise, type BlobService, type DirectoryService, type Node } from '../castore/index.js'
import { type BasicDerivation, derivationStoreInfo, nameFromDrvPath, outputPaths, parseDerivation } from '../derivation/index.js'
import { type Logger, nullLogger, Verbosity } from '../logger.js'
import { dumpPath, narFileHead, narFileTail, readSmallFileAt } from '../nar/index.js'
import { PathLocks, syncDirs } from '../os/index.js'
import { NOTHING_REGISTERED, type PathInfoService, type RegisteredPaths, type ValidPathRegistration } from '../pathinfo/index.js'
import type { StoreLocations } from '../settings/index.js'
import { applySetting, type Settings } from '../settings/index.js'
import { countValidSignatures, isContentAddressed as isCaPathInfo, type PublicKeys } from '../signing/index.js'
import {
  type BuildResult,
  type ContentAddress,
  type ContentAddressMethodWithAlgo,
  type DerivedPath,
  type KeyedBuildResult,
  makeTextPath,
  NixHash,
  type PathInfo,
  parseDrvOutput,
  type Realisation,
  type StoreDir,
  type StorePath,
  storePathForContentAddress,
  encodeNix32,
  createHasher,
} from '../store-path/index.js'
import { HashMismatchError, InvalidStorePathError, NotPrivilegedError, StoreError, UnsupportedError, UntrustedPathError } from './errors.js'
import { collectGarbage, deletePathCounting, deletePathCountingSync, findPermanentRoots, findRuntimeRoots, type GCStore, type RootMap, type TempRoots } from './gc/index.js'
import { mapLimit } from './concurrency.js'
import { GroupCommit } from './group-commit.js'
import { ExportChunks } from './export-chunks.js'
import { decodeExportMarker, decodeExportTrailer, encodeExportTrailer } from './export-format.js'
import type { NarCastoreBridge, StagedNar } from './nar-bridge.js'
import { ByteSource } from '../wire/index.js'
import { spoolFlatDump } from './flat-dump.js'
import { readAll } from './nar-util.js'
import type { AddToStoreNarOptions, BuildMode, GCOptions, GCResults, MissingInfo, OpContext, Roots, Store, SubstitutablePathInfo } from './types.js'

/** A text path for `addTextsToStore`: its name, contents and references. */
export interface TextAddition {
  readonly name: string
  readonly text: Uint8Array
  readonly references: readonly StorePath[]
}

/** A path whose contents are in castore, ready to be made valid (`commitPaths`). */
interface CommitItem {
  readonly info: PathInfo
  readonly root: Node
  /** For a `.drv`: its outputs with known paths, when already known (else read from the store). */
  readonly derivationOutputs?: Map<string, StorePath> | undefined
  /** The path was computed here from `info.ca` (registration need not check it again). */
  readonly contentAddressChecked?: boolean | undefined
}

export interface LocalStoreDeps {
  readonly locations: StoreLocations
  readonly settings: Settings
  readonly pathInfo: PathInfoService
  readonly blobs: BlobService
  readonly dirs: DirectoryService
  readonly bridge: NarCastoreBridge
  readonly tempRoots: TempRoots
  /** Link targets for materialised files castore cannot lend its own file for. */
  readonly linkDir: string
  readonly trustedPublicKeys: PublicKeys
  /** Sweep castore objects no valid path refers to (after a GC deleted paths). */
  readonly castoreGc?: ((roots: AsyncIterable<Node>) => Promise<void>) | undefined
  /** Called when the store is closed (release locks, close databases). */
  readonly onClose?: (() => Promise<void>) | undefined
  /** Messages for the daemon's own log (not a client's). */
  readonly log?: Logger | undefined
}

/** Paths materialised at once within a batch. */
const MATERIALISE_CONCURRENCY = 8
/** Single-file paths up to this size are exported with one native read each (exportPaths). */
const SMALL_EXPORT_FILE = 64 * 1024
/** Paths (or NAR bytes) an import commits at once. */
const IMPORT_BATCH = 128
const IMPORT_BATCH_BYTES = 64 * 1024 * 1024

export class LocalStore implements Store {
  readonly storeDir: StoreDir
  readonly realStoreDir: string
  readonly stateDir: string
  private readonly deps: LocalStoreDeps

  constructor(deps: LocalStoreDeps) {
    this.deps = deps
    this.storeDir = deps.locations.storeDir
    this.realStoreDir = deps.locations.realStoreDir
    this.stateDir = deps.locations.stateDir
  }

  /** Where a store path's files are on disk. */
  realPath(p: StorePath): string { return `${this.realStoreDir}/${p.baseName}` }

  // ---- queries --------------------------------------------------------------------------------

  isValidPath(p: StorePath): Promise<boolean> { return this.deps.pathInfo.isValidPath(p) }
  queryPathInfo(p: StorePath): Promise<PathInfo | undefined> { return this.deps.pathInfo.queryPathInfo(p) }
  queryPathInfoNow(p: StorePath): PathInfo | undefined | Promise<PathInfo | undefined> {
    const pi = this.deps.pathInfo
    return pi.queryPathInfoNow ? pi.queryPathInfoNow(p) : pi.queryPathInfo(p)
  }
  async queryValidPaths(paths: readonly StorePath[]): Promise<StorePath[]> { return this.deps.pathInfo.queryValidPaths(paths) }
  queryAllValidPaths(): Promise<StorePath[]> { return this.deps.pathInfo.queryAllValidPaths() }
  queryReferrers(p: StorePath): Promise<StorePath[]> { return this.deps.pathInfo.queryReferrers(p) }
  queryValidDerivers(p: StorePath): Promise<StorePath[]> { return this.deps.pathInfo.queryValidDerivers(p) }
  queryPathFromHashPart(h: string): Promise<StorePath | undefined> { return this.deps.pathInfo.queryPathFromHashPart(h) }

  async queryDerivationOutputMap(drvPath: StorePath): Promise<Map<string, StorePath | undefined>> {
    if (!(await this.isValidPath(drvPath))) throw new InvalidStorePathError(`path '${this.storeDir.print(drvPath)}' is not valid`)
    const out = new Map<string, StorePath | undefined>()
    // Output names come from the derivation itself, so floating outputs show up as unknown.
    try {
      const drv = await this.readDerivation(drvPath)
      for (const name of drv.outputs.keys()) out.set(name, undefined)
    } catch { /* an unreadable .drv: fall back to what the database knows */ }
    for (const [name, p] of await this.deps.pathInfo.queryDerivationOutputs(drvPath)) out.set(name, p)
    // Floating outputs: what a build realised (C++ `queryPartialDerivationOutputMap`).
    if ([...out.values()].some(p => p === undefined)) {
      try {
        const ids = await this.builder.outputHashes(drvPath)
        for (const [name, p] of out) {
          if (p !== undefined) continue
          const id = ids.get(name)
          const r = id === undefined ? undefined : await this.deps.pathInfo.queryRealisation({ drvHash: id, outputName: name })
          if (r) out.set(name, r.outPath)
        }
      } catch { /* an unreadable input derivation: leave the output unknown */ }
    }
    return out
  }

  async querySubstitutablePaths(): Promise<StorePath[]> { return [] }
  async querySubstitutablePathInfos(): Promise<SubstitutablePathInfo[]> { return [] }

  async queryRealisation(id: string): Promise<Realisation | undefined> {
    return this.deps.pathInfo.queryRealisation(parseDrvOutput(id))
  }

  async queryMissing(_ctx: OpContext, targets: readonly DerivedPath[]): Promise<MissingInfo> {
    // Without substituters, anything not valid is either to be built (a derivation) or unknown.
    const willBuild: StorePath[] = []
    const unknown: StorePath[] = []
    const seen = new Set<string>()
    const visitDrv = async (drvPath: StorePath, wanted: 'all' | readonly string[]): Promise<void> => {
      const key = drvPath.baseName + '!' + (wanted === 'all' ? '*' : wanted.join(','))
      if (seen.has(key)) return
      seen.add(key)
      if (!(await this.isValidPath(drvPath))) { unknown.push(drvPath); return }
      const drv = await this.readDerivation(drvPath)
      // Static output paths, and floating outputs a build already realised.
      const paths = await this.queryDerivationOutputMap(drvPath).catch(() => outputPaths(this.storeDir, drv))
      const missing = [...paths].filter(([n]) => wanted === 'all' || wanted.includes(n))
      let anyMissing = false
      for (const [, p] of missing) if (!p || !(await this.isValidPath(p))) anyMissing = true
      if (!anyMissing) return
      if (!willBuild.some(p => p.equals(drvPath))) willBuild.push(drvPath)
      for (const input of drv.inputDrvs) await visitDrv(input.path, input.outputs)
      for (const src of drv.inputSrcs) if (!(await this.isValidPath(src)) && !unknown.some(u => u.equals(src))) unknown.push(src)
    }
    for (const t of targets) {
      if (t.kind === 'opaque') {
        if (!(await this.isValidPath(t.path)) && !unknown.some(u => u.equals(t.path))) unknown.push(t.path)
      } else await visitDrv(t.drvPath, t.outputs.kind === 'all' ? 'all' : t.outputs.names)
    }
    return { willBuild, willSubstitute: [], unknown, downloadSize: 0n, narSize: 0n }
  }

  /** Parse a valid `.drv` from the store. */
  async readDerivation(drvPath: StorePath) {
    const text = await readFile(this.realPath(drvPath))
    return parseDerivation(text, { name: nameFromDrvPath(drvPath), storeDir: this.storeDir })
  }

  // ---- adding -----------------------------------------------------------------------------------

  private pathInfoIsUntrusted(info: PathInfo): boolean {
    if (!this.deps.settings['require-sigs']) return false
    if (isCaPathInfo(this.storeDir, info)) return false
    return countValidSignatures(this.storeDir, info, this.deps.trustedPublicKeys) === 0
  }

  async addToStoreNar(ctx: OpContext, info: PathInfo, nar: AsyncIterable<Uint8Array>, opts: AddToStoreNarOptions): Promise<void> {
    let consumed = false
    try {
      const checkSigs = !(ctx.trusted && opts.dontCheckSigs)
      if (checkSigs && this.pathInfoIsUntrusted(info)) {
        throw new UntrustedPathError(`cannot add path '${this.storeDir.print(info.path)}' because it lacks a signature by a trusted key`)
      }
      // Repair is open to untrusted clients here, as in C++ (daemon.cc checks it only for
      // VerifyStore and builds): the contents are verified against the NAR hash regardless.
      await this.deps.tempRoots.add(ctx.clientId, info.path)
      if (!opts.repair && (await this.isValidPath(info.path))) return
      const lockPaths = [this.realPath(info.path)]
      // without waiting when the lock is free (the usual case): no async round for the lock
      const locks = PathLocks.tryAcquireSync(lockPaths) ?? (await PathLocks.acquire(lockPaths, { signal: ctx.signal }))!
      try {
        if (!opts.repair && (await this.isValidPath(info.path))) return
        consumed = true
        const staged = await this.deps.bridge.stageNar(nar, { signal: ctx.signal })
        const root = await staged.root
        this.checkStatedNar(info, staged)
        if (info.ca) await this.checkContentAddress(info, root, staged.narHash)
        await this.commitPaths([{ info, root }], opts.repair)
        locks.setDeletion(true)
      } finally {
        await locks.release()
      }
    } finally {
      if (!consumed) await drain(nar)
    }
  }

  /** The NAR received must be the one the caller described (C++ "hash mismatch importing path"). */
  private checkStatedNar(info: PathInfo, got: { narHash: NixHash; narSize: number }): void {
    const p = this.storeDir.print(info.path)
    if (!got.narHash.equals(info.narHash)) {
      throw new HashMismatchError(`hash mismatch importing path '${p}';\n  specified: ${info.narHash.format('nix32')}\n  got:       ${got.narHash.format('nix32')}`)
    }
    if (got.narSize !== info.narSize) {
      throw new HashMismatchError(`size mismatch importing path '${p}';\n  specified: ${info.narSize}\n  got:       ${got.narSize}`)
    }
  }

  /** The path a content address claims must match the contents (C++ "ca hash mismatch"). */
  private async checkContentAddress(info: PathInfo, root: Node, narHash: NixHash): Promise<void> {
    const ca = info.ca!
    const self = info.references.some(r => r.equals(info.path))
    let actual: NixHash
    if (ca.method === 'nar') {
      if (self) return // self-references are rewritten before hashing; checked by builders, not here
      actual = ca.hash.algo === 'sha256' ? narHash : await this.hashNar(root, ca.hash.algo)
    } else if (ca.method === 'flat' || ca.method === 'text') {
      if (root.kind !== 'file') throw new HashMismatchError(`path '${this.storeDir.print(info.path)}' claims to be content-addressed with a flat hash but is not a regular file`)
      actual = NixHash.of(ca.hash.algo, await readAll(this.blobStream(root)))
    } else {
      throw new UnsupportedError(`git content addresses are not supported (path '${this.storeDir.print(info.path)}')`)
    }
    if (!actual.equals(ca.hash)) {
      throw new HashMismatchError(`ca hash mismatch importing path '${this.storeDir.print(info.path)}';\n  specified: ${ca.hash.format('nix32')}\n  got:       ${actual.format('nix32')}`)
    }
  }

  private async hashNar(root: Node, algo: NixHash['algo']): Promise<NixHash> {
    const h = createHasher(algo)
    for await (const c of this.deps.bridge.renderNar(root)) h.update(c)
    return h.digest()
  }

  private async *blobStream(file: Node): AsyncGenerator<Uint8Array> {
    if (file.kind !== 'file') return
    const r = await this.deps.blobs.open(file.digest)
    if (!r) throw new StoreError('castore blob missing')
    yield* r.read()
  }

  async addToStore(ctx: OpContext, name: string, method: ContentAddressMethodWithAlgo, references: readonly StorePath[], dump: AsyncIterable<Uint8Array>, repair: boolean): Promise<PathInfo> {
    let staged: StagedNar
    let ca: ContentAddress
    if (method.method === 'nar') {
      const extra = method.algo === 'sha256' ? undefined : createHasher(method.algo)
      const tee = extra ? teeInto(dump, c => extra.update(c)) : dump
      staged = await this.deps.bridge.stageNar(tee, { signal: ctx.signal })
      ca = { method: 'nar', hash: extra ? extra.digest() : staged.narHash }
    } else if (method.method === 'flat' || method.method === 'text') {
      // Held in memory up to 32 MiB, spooled to a temporary file beyond (bounded memory per client).
      await mkdir(this.stateDir, { recursive: true })
      const body = await spoolFlatDump(dump, method.algo, { spillDir: this.stateDir })
      try {
        staged = await this.deps.bridge.stageNar(body.nar(), { signal: ctx.signal })
        ca = { method: method.method, hash: body.hash }
      } finally {
        await body.dispose()
      }
    } else {
      await drain(dump)
      throw new UnsupportedError("the 'git' ingestion method is not supported")
    }
    const root = await staged.root
    const refs = [...references]
    const path = ca.method === 'text'
      ? makeTextPath(this.storeDir, name, ca.hash, refs)
      : storePathForContentAddress(this.storeDir, name, ca, refs)
    const info: PathInfo = {
      path, deriver: undefined, narHash: staged.narHash, references: refs.sort(byBaseName),
      registrationTime: 0, narSize: staged.narSize, ultimate: false, sigs: [], ca,
    }
    await this.deps.tempRoots.add(ctx.clientId, path)
    let registered: PathInfo | undefined
    if (repair || !(await this.isValidPath(path))) {
      const lockPaths = [this.realPath(path)]
      const locks = PathLocks.tryAcquireSync(lockPaths) ?? (await PathLocks.acquire(lockPaths, { signal: ctx.signal }))!
      try {
        if (repair || !(await this.isValidPath(path))) registered = (await this.commitPaths([{ info, root, contentAddressChecked: true }], repair)).info(this.storeDir.print(path))
        locks.setDeletion(true)
      } finally {
        await locks.release()
      }
    }
    // A path this call made valid needs no second look-up (a repaired one kept its row: read it).
    return registered ?? (await this.queryPathInfo(path)) ?? info
  }

  /**
   * Text paths (`.drv` files, `builtins.toFile`) in one batch: what as many `addToStore(…, text)`
   * calls would add, with one lock round, one durability barrier and one transaction, and no
   * NAR streaming (a text path is one small regular file). The evaluator writes thousands of
   * `.drv` files this way. Each item's references must be valid or earlier in `items`. Returns
   * the paths, in order.
   */
  async addTextsToStore(ctx: OpContext, items: ReadonlyArray<TextAddition>, repair = false): Promise<StorePath[]> {
    const made = new Map<string, { info: PathInfo; text: Uint8Array }>()
    const paths = items.map(it => {
      const hash = NixHash.of('sha256', it.text)
      const references = [...it.references].sort(byBaseName)
      const path = makeTextPath(this.storeDir, it.name, hash, references)
      if (!made.has(path.baseName)) {
        const head = narFileHead(it.text.length)
        const tail = narFileTail(it.text.length)
        const narHash = createHasher('sha256').update(head).update(it.text).update(tail).digest()
        made.set(path.baseName, {
          text: it.text,
          info: {
            path, deriver: undefined, narHash, references, registrationTime: 0, narSize: head.length + it.text.length + tail.length,
            ultimate: false, sigs: [], ca: { method: 'text', hash },
          },
        })
      }
      return path
    })
    await this.deps.tempRoots.addAll(ctx.clientId, paths)
    const todo = async (): Promise<Array<{ info: PathInfo; text: Uint8Array }>> => {
      const all = [...made.values()]
      if (repair) return all
      const valid = new Set((await this.queryValidPaths(all.map(m => m.info.path))).map(p => p.baseName))
      return all.filter(m => !valid.has(m.info.path.baseName))
    }
    let fresh = await todo()
    if (fresh.length === 0) return paths
    // Locks and blobs by synchronous calls where possible: a few microseconds each, where a
    // thread-pool round trip costs tens (this runs on a thread that may block, or in batches
    // small enough not to hold up others).
    const lockPaths = fresh.map(m => this.realPath(m.info.path))
    const locks = PathLocks.tryAcquireSync(lockPaths) ?? (await PathLocks.acquire(lockPaths, { signal: ctx.signal }))!
    try {
      fresh = await todo()
      const blobs = this.deps.blobs
      const ready = await mapLimit(fresh, MATERIALISE_CONCURRENCY, async m => ({
        info: m.info,
        root: fileNode(blobs.putSync?.(m.text) ?? await blobs.put(m.text), m.text.length, false) as Node,
        derivationOutputs: m.info.path.isDerivation() ? this.derivationOutputsFromText(m.info.path, m.text) : undefined,
        contentAddressChecked: true, // made with makeTextPath above
      }))
      await this.commitPaths(ready, repair)
      locks.setDeletion(true)
    } finally {
      await locks.release()
    }
    return paths
  }

  private derivationOutputsFromText(path: StorePath, text: Uint8Array): Map<string, StorePath> {
    const drv = parseDerivation(text, { name: nameFromDrvPath(path), storeDir: this.storeDir })
    const out = new Map<string, StorePath>()
    for (const [name, p] of outputPaths(this.storeDir, drv)) if (p) out.set(name, p)
    return out
  }

  /** For a `.drv` being registered: its outputs with known paths (C++ `cacheDrvOutputMapping`). */
  private async derivationOutputsOf(path: StorePath): Promise<Map<string, StorePath> | undefined> {
    if (!path.isDerivation()) return undefined
    const drv = await this.readDerivation(path)
    const out = new Map<string, StorePath>()
    for (const [name, p] of outputPaths(this.storeDir, drv)) if (p) out.set(name, p)
    return out
  }

  /**
   * Make paths whose contents are stored in castore valid, as one batch; the caller holds
   * their locks, and every `root` has resolved. Each is materialised (a few at once), then the
   * batch joins a group commit: castore and the store directory are synced once and the group
   * is registered in one transaction — a path is valid only once its contents are durable, and
   * a crash leaves none of the batch registered.
   */
  private async commitPaths(items: ReadonlyArray<CommitItem>, repair: boolean): Promise<RegisteredPaths> {
    if (items.length === 0) return NOTHING_REGISTERED
    if (items.length === 1) await this.publish(items[0]!.info.path, items[0]!.root, repair)
    else await mapLimit(items, MATERIALISE_CONCURRENCY, it => this.publish(it.info.path, it.root, repair))
    const regs: ValidPathRegistration[] = []
    for (const it of items) {
      const derivationOutputs = it.derivationOutputs ?? (it.info.path.isDerivation() ? await this.derivationOutputsOf(it.info.path) : undefined)
      regs.push({ info: it.info, castoreRoot: encodeRootNode(it.info.path.baseName, it.root), derivationOutputs, contentAddressChecked: it.contentAddressChecked })
    }
    return this.commits.submit(regs)
  }

  /** Durability barrier and registration, shared by concurrent commits (group-commit.ts). */
  private readonly commits = new GroupCommit<ValidPathRegistration, RegisteredPaths>(async regs => {
    // Without fsync-store-paths castore's sync has nothing to do (its objects are not fsynced either).
    if (this.deps.settings['fsync-store-paths']) await Promise.all([this.deps.bridge.sync(), syncDirs([this.realStoreDir])])
    return this.register(regs)
  })

  /**
   * Materialise `root` at the path's real location. A leftover copy of an invalid path is
   * moved aside before it is deleted, and a valid one being repaired is swapped for the new
   * copy, so the final name never shows a half-written or half-deleted tree.
   */
  private async publish(path: StorePath, root: Node, replace: boolean): Promise<void> {
    const real = this.realPath(path)
    // The store directory itself is synced once per group commit.
    const opts = { hardLinks: true, linkDir: this.deps.linkDir, syncParent: false, fsync: this.deps.settings['fsync-store-paths'] }
    if (!replace) {
      // Usually nothing is there: materialise straight away (it refuses an existing name); a
      // single file by one synchronous link where it can be.
      try {
        if (root.kind === 'file' && linkFileSync(root, real, this.deps.blobs)) return
        await materialise(root, real, this.deps.blobs, this.deps.dirs, opts)
        return
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT' && lstatSync(this.realStoreDir, { throwIfNoEntry: false }) === undefined) {
          await mkdir(this.realStoreDir, { recursive: true }) // the store directory was removed
          await materialise(root, real, this.deps.blobs, this.deps.dirs, opts)
          return
        }
        if (!(e instanceof DestinationExistsError)) throw e
        if (await this.isValidPath(path)) return // valid meanwhile (another writer of a shared store)
      }
    } else if (lstatSync(real, { throwIfNoEntry: false }) === undefined) {
      await materialise(root, real, this.deps.blobs, this.deps.dirs, opts)
      return
    }
    // A leftover copy of an invalid path, or a valid one being repaired: swap in a new copy.
    const fresh = this.asideName(path, 'new')
    await materialise(root, fresh, this.deps.blobs, this.deps.dirs, opts)
    const old = this.asideName(path, 'old')
    await rename(real, old)
    await rename(fresh, real)
    await deletePathCounting(old)
  }

  /** Replace the materialised copy of a valid path with a fresh one from castore (repair). */
  async rematerialise(path: StorePath, root: Node): Promise<void> {
    const locks = (await PathLocks.acquire([this.realPath(path)]))!
    try {
      await this.publish(path, root, true)
      if (this.deps.settings['fsync-store-paths']) await syncDirs([this.realStoreDir])
      locks.setDeletion(true)
    } finally {
      await locks.release()
    }
  }

  /** A hidden sibling name for a path being replaced (cleaned up at open if a crash leaves it). */
  private asideName(path: StorePath, what: 'new' | 'old'): string {
    return `${this.realStoreDir}/.${path.baseName}.${what}-${randomBytes(6).toString('hex')}`
  }

  private register(regs: readonly ValidPathRegistration[]): Promise<RegisteredPaths> {
    return this.deps.pathInfo.registerValidPaths(regs)
  }

  // ---- export / import (C++ Store::exportPaths / importPaths) -------------------------------------

  /**
   * `nix-store --export`: the paths in Nix's export format, referenced paths first. A path whose
   * contents no longer match its NAR hash is refused (C++: "hash of path … has changed").
   */
  async *exportPaths(paths: readonly StorePath[]): AsyncGenerator<Uint8Array> {
    const infos = new Map<string, PathInfo>()
    for (const p of paths) {
      const info = await this.queryPathInfo(p)
      if (!info) throw new InvalidStorePathError(`path '${this.storeDir.print(p)}' is not valid`)
      infos.set(p.baseName, info)
    }
    const out = new ExportChunks()
    // Most paths are one small file: read with one native call relative to the store
    // directory (where lstat + open + read + close each look the whole path up) and encoded
    // straight into the output chunk. Anything else is dumped (or rendered) as before.
    let dirFd = -1
    try { dirFd = openSync(this.realStoreDir, fsConstants.O_RDONLY | fsConstants.O_DIRECTORY) } catch { /* dump every path */ }
    const scratch = dirFd >= 0 ? Buffer.allocUnsafeSlow(SMALL_EXPORT_FILE) : undefined
    try {
      for (const info of topoSortReferencesFirst([...infos.values()])) {
        out.marker(true)
        const file = scratch !== undefined ? readSmallFileAt(dirFd, Buffer.from(info.path.baseName, 'latin1'), scratch) : undefined
        let got: NixHash
        if (file !== undefined) {
          got = NixHash.of('sha256', out.narFile(file.executable, scratch!.subarray(0, file.size)))
        } else {
          yield* out.flush()
          const h = createHasher('sha256')
          for await (const c of this.narOf(info.path)) { h.update(c); yield c }
          got = h.digest()
        }
        if (!got.equals(info.narHash)) {
          yield* out.flush() // the NAR goes out before the error, as it always did
          throw new StoreError(`hash of path '${this.storeDir.print(info.path)}' has changed from '${info.narHash.format('nix32', true)}' to '${got.format('nix32', true)}'!`)
        }
        out.bytes(encodeExportTrailer(this.storeDir, info))
        yield* out.take()
      }
      out.marker(false)
      yield* out.flush()
    } finally {
      if (dirFd >= 0) closeSync(dirFd)
    }
  }

  /**
   * `nix-store --import`: add the paths of an export stream (signatures are not checked, as
   * `nix-store --import` does not), returning them in stream order. Paths already valid are
   * skipped. Decoding runs ahead of committing: paths are made valid in batches of up to
   * IMPORT_BATCH, each batch materialised, synced and registered at once, in stream order (so
   * references come first) — a failure leaves the failing batch and all later ones unregistered.
   */
  async importPaths(ctx: OpContext, src: AsyncIterable<Uint8Array>): Promise<StorePath[]> {
    const bs = new ByteSource(src)
    const out: StorePath[] = []
    let batch: Array<{ info: PathInfo; staged: StagedNar }> = []
    let committing: Promise<void> = Promise.resolve()
    const flush = (items: typeof batch): void => {
      const prev = committing
      committing = (async () => { await prev; await this.importBatch(ctx, items) })()
      committing.catch(() => {})
    }
    try {
      for (;;) {
        if (!(await bs.decode(r => decodeExportMarker(r), 'export marker'))) break
        const staged = await this.deps.bridge.stageNar(bs, { signal: ctx.signal })
        staged.root.catch(() => {})
        const t = await bs.decode(r => decodeExportTrailer(r, this.storeDir), 'export trailer')
        const info: PathInfo = {
          path: t.path, deriver: t.deriver, narHash: staged.narHash, narSize: staged.narSize,
          references: [...t.references].sort(byBaseName), registrationTime: 0, ultimate: false, sigs: [], ca: undefined,
        }
        batch.push({ info, staged })
        out.push(t.path)
        let stored = 0
        for (const b of batch) stored += b.staged.narSize
        if (batch.length >= IMPORT_BATCH || stored >= IMPORT_BATCH_BYTES) {
          await committing // at most one batch committing while the next is decoded
          flush(batch)
          batch = []
        }
      }
      flush(batch)
      await committing
    } catch (e) {
      await Promise.allSettled([committing, ...batch.map(b => b.staged.root)])
      throw e
    }
    return out
  }

  /** Commit one batch of an import: skip paths already valid (or repeated), lock the rest. */
  private async importBatch(ctx: OpContext, items: ReadonlyArray<{ info: PathInfo; staged: StagedNar }>): Promise<void> {
    const fresh = new Map<string, { info: PathInfo; staged: StagedNar }>()
    for (const it of items) if (!fresh.has(it.info.path.baseName)) fresh.set(it.info.path.baseName, it)
    await this.deps.tempRoots.addAll(ctx.clientId, [...fresh.values()].map(it => it.info.path)) // one append for the batch
    await Promise.all(items.map(it => it.staged.root)) // every upload done, even of skipped paths
    const pending = async () => {
      const valid = new Set((await this.queryValidPaths([...fresh.values()].map(it => it.info.path))).map(p => p.baseName))
      return [...fresh.values()].filter(it => !valid.has(it.info.path.baseName))
    }
    let todo = await pending()
    if (todo.length === 0) return
    const locks = (await PathLocks.acquire(todo.map(it => this.realPath(it.info.path)), { signal: ctx.signal }))!
    try {
      todo = await pending()
      const ready = await Promise.all(todo.map(async it => ({ info: it.info, root: await it.staged.root })))
      await this.commitPaths(ready, false)
      locks.setDeletion(true)
    } finally {
      await locks.release()
    }
  }

  async addSignatures(_ctx: OpContext, path: StorePath, sigs: readonly string[]): Promise<void> {
    await this.deps.pathInfo.addSignatures(path, sigs)
  }

  async registerDrvOutput(_ctx: OpContext, realisation: Realisation): Promise<void> {
    await this.deps.pathInfo.registerRealisation(realisation)
  }

  async addBuildLog(ctx: OpContext, drvPath: StorePath, log: AsyncIterable<Uint8Array>): Promise<void> {
    if (!ctx.trusted) { await drain(log); throw new NotPrivilegedError('you are not privileged to add logs') }
    const { writeBuildLog } = await import('./build-log.js')
    await writeBuildLog(this.deps.locations.logDir, drvPath, log)
  }

  // ---- contents ---------------------------------------------------------------------------------

  async *narFromPath(path: StorePath): AsyncIterable<Uint8Array> {
    if (!(await this.isValidPath(path))) throw new InvalidStorePathError(`path '${this.storeDir.print(path)}' is not valid`)
    const root = await this.castoreRoot(path)
    if (root && !(await lstat(this.realPath(path)).then(() => true, () => false))) {
      yield* this.deps.bridge.renderNar(root)
      return
    }
    // The materialised copy is the fast path (as C++ dumps from disk); castore backs it up.
    yield* dumpPath(this.realPath(path))
  }

  /**
   * The NAR of a path known to be valid: dumped from its materialised copy (as C++ does), or
   * rendered from castore when that copy is missing. Small output pieces: most paths are small,
   * and each dump allocates one piece up front.
   */
  private async *narOf(path: StorePath): AsyncGenerator<Uint8Array> {
    const real = this.realPath(path)
    if (lstatSync(real, { throwIfNoEntry: false }) === undefined) {
      const root = await this.castoreRoot(path)
      if (root) { yield* this.deps.bridge.renderNar(root); return }
    }
    yield* dumpPath(real, { chunkSize: 16 * 1024 })
  }

  /** The castore root of a valid path, adopting paths C++ Nix registered on first need. */
  async castoreRoot(path: StorePath): Promise<Node | undefined> {
    const bytes = await this.deps.pathInfo.queryCastoreRoot(path)
    if (bytes) return decodeRootNode(bytes).node
    return undefined
  }

  /**
   * Ingest a path registered by C++ Nix (present in the database and the store directory but
   * not in castore); returns its root node. The NAR hash must match the database.
   */
  async adopt(path: StorePath): Promise<Node> {
    const info = await this.queryPathInfo(path)
    if (!info) throw new InvalidStorePathError(`path '${this.storeDir.print(path)}' is not valid`)
    const existing = await this.castoreRoot(path)
    if (existing) return existing
    const ingested = await this.deps.bridge.ingestNar(dumpPath(this.realPath(path)))
    if (!ingested.narHash.equals(info.narHash)) {
      throw new HashMismatchError(`path '${this.storeDir.print(path)}' was modified! expected hash '${info.narHash.format('nix32')}', got '${ingested.narHash.format('nix32')}'`)
    }
    await this.deps.pathInfo.putCastoreRoot(path, encodeRootNode(path.baseName, ingested.root))
    return ingested.root
  }

  // ---- building (src/build) -------------------------------------------------------------------

  private builderInstance: Builder | undefined
  private runners: DaemonRunners | undefined

  /** The builder, created on first use (its runners start containers lazily too). */
  get builder(): Builder {
    if (!this.builderInstance) {
      this.runners = new DaemonRunners({ settings: this.deps.settings, stateDir: this.stateDir, realStoreDir: this.realStoreDir })
      this.builderInstance = new Builder({ store: this.builderView(), settings: this.deps.settings, runners: this.runners, log: this.deps.log })
    }
    return this.builderInstance
  }

  /** What the builder sees of this store. */
  private builderView(): BuilderStore {
    const pi = this.deps.pathInfo
    return {
      storeDir: this.storeDir,
      realStoreDir: this.realStoreDir,
      stateDir: this.stateDir,
      logDir: this.deps.locations.logDir,
      isValidPath: p => pi.isValidPath(p),
      queryPathInfo: p => pi.queryPathInfo(p),
      readDerivation: p => this.readDerivation(p),
      computeClosure: paths => pi.computeClosure(paths),
      queryDerivationOutputMap: p => this.queryDerivationOutputMap(p),
      queryRealisation: id => pi.queryRealisation(id),
      registerRealisation: r => pi.registerRealisation(r),
      registerBuiltOutputs: entries => this.importBuiltOutputs(entries),
      writeDerivation: async (clientId, drv) => {
        const { text, references } = derivationStoreInfo(drv, this.storeDir)
        const ctx: OpContext = { trusted: true, logger: nullLogger, clientId, settings: { keepFailed: false, keepGoing: false, tryFallback: false, maxBuildJobs: 1, maxSilentTime: 0, buildCores: 0, useSubstitutes: false, overrides: new Map() } }
        return (await this.addToStore(ctx, `${drv.name}.drv`, { method: 'text', algo: 'sha256' }, references, oneChunk(new TextEncoder().encode(text)), false)).path
      },
      addTempRoot: (clientId, p) => this.deps.tempRoots.add(clientId, p),
    }
  }

  /**
   * Register build outputs that are already materialised at their real path (renamed there
   * from the build's scratch area, canonical, hashed and scanned by the builder). They are
   * valid at once; ingesting them into castore follows in the background (`adopt`, which
   * checks the NAR hash again), so it is not part of a build's latency.
   */
  async importBuiltOutputs(entries: ReadonlyArray<{ readonly info: PathInfo }>): Promise<void> {
    await this.register(await Promise.all(entries.map(async e => ({
      info: e.info,
      derivationOutputs: await this.derivationOutputsOf(e.info.path).catch(() => undefined),
    }))))
    for (const e of entries) this.adoptLater(e.info.path)
  }

  private readonly adoptQueue: StorePath[] = []
  private adopting: Promise<void> | undefined
  private closing = false

  /** Ingest a valid path into castore soon, one path at a time. */
  private adoptLater(p: StorePath): void {
    this.adoptQueue.push(p)
    this.adopting ??= (async () => {
      while (this.adoptQueue.length > 0 && !this.closing) {
        const next = this.adoptQueue.shift()!
        try { if (await this.isValidPath(next)) await this.adopt(next) } catch (e) {
          this.deps.log?.warn(`cannot ingest '${this.storeDir.print(next)}' into castore: ${(e as Error).message}`)
        }
      }
    })().finally(() => { this.adopting = undefined })
  }

  /** Daemon settings with the client's SetOptions values and overrides (C++ applies them to its process). */
  buildContext(ctx: OpContext): BuildRequestContext {
    const settings = structuredClone(this.deps.settings)
    settings['keep-failed'] = ctx.settings.keepFailed
    settings['keep-going'] = ctx.settings.keepGoing
    settings['max-jobs'] = ctx.settings.maxBuildJobs
    settings['max-silent-time'] = ctx.settings.maxSilentTime
    settings.cores = ctx.settings.buildCores
    for (const [k, v] of ctx.settings.overrides) {
      try { applySetting(settings, k, v) } catch (e) { ctx.logger.warn((e as Error).message) }
    }
    return {
      logger: ctx.logger, settings, clientId: ctx.clientId, signal: ctx.signal,
      keepFailed: settings['keep-failed'], keepGoing: settings['keep-going'],
      maxJobs: settings['max-jobs'] < 0 ? availableParallelism() : settings['max-jobs'],
      cores: settings.cores, maxSilentTime: settings['max-silent-time'],
    }
  }

  async buildPaths(ctx: OpContext, targets: readonly DerivedPath[], mode: BuildMode): Promise<KeyedBuildResult[]> {
    if (mode === 'repair' && !ctx.trusted) throw new NotPrivilegedError('you are not privileged to repair paths')
    for (const t of targets) await this.deps.tempRoots.add(ctx.clientId, t.kind === 'opaque' ? t.path : t.drvPath)
    return this.builder.buildPaths(this.buildContext(ctx), targets, mode)
  }

  /** BuildDerivation: build a derivation sent by the client (remote builds, `nix-build --store ssh-ng://`). */
  async buildDerivation(ctx: OpContext, drvPath: StorePath, drv: BasicDerivation, mode: BuildMode): Promise<BuildResult> {
    return this.builder.buildDerivation(this.buildContext(ctx), drvPath, drv, mode)
  }

  async ensurePath(ctx: OpContext, path: StorePath): Promise<void> {
    await this.deps.tempRoots.add(ctx.clientId, path)
    if (!(await this.isValidPath(path))) throw new StoreError(`path '${this.storeDir.print(path)}' is required, but there is no substituter that can build it`)
  }

  // ---- roots and GC -----------------------------------------------------------------------------

  addTempRoot(ctx: OpContext, path: StorePath): Promise<void> { return this.deps.tempRoots.add(ctx.clientId, path) }
  releaseClient(clientId: string): Promise<void> { return this.deps.tempRoots.release(clientId) }

  /** C++ `addIndirectRoot`: `gcroots/auto/<nix32(sha1(path))>` → the client's symlink. */
  async addIndirectRoot(_ctx: OpContext, symlinkPath: string): Promise<void> {
    const name = encodeNix32(NixHash.of('sha1', symlinkPath).digest)
    const link = `${this.stateDir}/gcroots/auto/${name}`
    await mkdir(dirname(link), { recursive: true })
    await replaceSymlink(symlinkPath, link)
  }

  /** C++ `LocalFSStore::addPermRoot`. */
  async addPermRoot(ctx: OpContext, path: StorePath, gcRoot: string): Promise<string> {
    if (!ctx.trusted) throw new NotPrivilegedError('you are not privileged to create perm roots')
    const root = canonPath(gcRoot)
    if (root.startsWith(this.storeDir.path + '/')) {
      throw new StoreError(`creating a garbage collector root (${root}) in the Nix store is forbidden (are you running nix-build inside the store?)`)
    }
    const st = await lstat(root).catch(() => undefined)
    if (st && (!st.isSymbolicLink() || !(await readlink(root)).startsWith(this.storeDir.path + '/'))) {
      throw new StoreError(`cannot create symlink '${root}'; already exists`)
    }
    await replaceSymlink(this.storeDir.print(path), root)
    await this.addIndirectRoot(ctx, root)
    return root
  }

  async findRoots(_ctx: OpContext, censor: boolean): Promise<Roots> {
    const ctx = { storeDir: this.storeDir, realStoreDir: this.realStoreDir, stateDir: this.stateDir, isValidPath: (p: StorePath) => this.isValidPath(p) }
    const map: RootMap = new Map()
    await findPermanentRoots(ctx, map)
    await findRuntimeRoots(ctx, censor, map)
    const temp = [this.deps.tempRoots.ownRoots(), await this.deps.tempRoots.readOthers()]
    for (const m of temp) {
      for (const [printed, labels] of m) {
        let p: StorePath
        try { p = this.storeDir.parse(printed) } catch { continue }
        if (!(await this.isValidPath(p))) continue
        let e = map.get(p.baseName)
        if (!e) map.set(p.baseName, (e = { path: p, links: new Set() }))
        for (const l of labels) e.links.add(censor ? '{censored}' : l)
      }
    }
    const out = new Map<StorePath, readonly string[]>()
    for (const { path, links } of map.values()) out.set(path, [...links].sort())
    return out
  }

  async collectGarbage(ctx: OpContext, opts: GCOptions): Promise<GCResults> {
    if (opts.ignoreLiveness) throw new StoreError('you are not allowed to ignore liveness')
    return collectGarbage(this.gcView(), this.deps.tempRoots, opts, {
      keepOutputs: this.deps.settings['keep-outputs'],
      keepDerivations: this.deps.settings['keep-derivations'],
      // C++ prints its progress at the info level, and its daemon forwards it to the client
      info: m => ctx.logger.log(Verbosity.Info, m),
    })
  }

  private gcView(): GCStore {
    const pi = this.deps.pathInfo
    return {
      storeDir: this.storeDir,
      realStoreDir: this.realStoreDir,
      stateDir: this.stateDir,
      isValidPath: p => pi.isValidPath(p),
      queryReferrers: p => pi.queryReferrers(p),
      queryDeriver: async p => (await pi.queryPathInfo(p))?.deriver,
      queryValidDerivers: p => pi.queryValidDerivers(p),
      queryPartialDerivationOutputMap: async drv => new Map(await pi.queryDerivationOutputs(drv).catch(() => new Map<string, StorePath>())),
      computeFSClosure: (p, o) => pi.computeClosure([p], { includeOutputs: o.includeOutputs, includeDerivers: o.includeDerivers }),
      topoSortPaths: async paths => topoSortReferrersFirst(paths, p => pi.queryReferrers(p)),
      invalidatePathChecked: p => pi.invalidatePaths([p]),
      invalidatePaths: ps => pi.invalidatePaths(ps),
      deleteEntry: async base => deletePathCountingSync(`${this.realStoreDir}/${base}`),
      afterDeletion: async () => { if (this.deps.castoreGc) await this.deps.castoreGc(this.allCastoreRoots()) },
    }
  }

  private async *allCastoreRoots(): AsyncGenerator<Node> {
    for await (const info of this.deps.pathInfo.iteratePathInfos()) {
      const bytes = await this.deps.pathInfo.queryCastoreRoot(info.path)
      if (bytes) yield decodeRootNode(bytes).node
    }
  }

  // ---- maintenance ------------------------------------------------------------------------------

  async verifyStore(ctx: OpContext, checkContents: boolean, repair: boolean): Promise<boolean> {
    if (repair && !ctx.trusted) throw new NotPrivilegedError('you are not privileged to repair paths')
    const { verifyStore } = await import('./verify.js')
    return verifyStore(this, ctx, checkContents, repair)
  }

  async optimiseStore(ctx: OpContext): Promise<void> {
    const { optimiseStore } = await import('./optimise.js')
    await optimiseStore(this, ctx)
  }

  /** Internals for verify/optimise (same folder). */
  get internals() { return this.deps }

  async close(): Promise<void> {
    this.closing = true
    await this.adopting
    await this.runners?.close().catch(() => undefined)
    await this.deps.tempRoots.close()
    await this.deps.onClose?.()
  }
}


async function drain(src: AsyncIterable<Uint8Array>): Promise<void> {
  try { for await (const _ of src) { /* discard */ } } catch { /* the op's error is what matters */ }
}

async function* oneChunk(b: Uint8Array): AsyncGenerator<Uint8Array> { yield b }

async function* teeInto(src: AsyncIterable<Uint8Array>, f: (c: Uint8Array) => void): AsyncGenerator<Uint8Array> {
  for await (const c of src) { f(c); yield c }
}

/** Remove `.`/`..`/duplicate slashes (C++ `canonPath`, without following symlinks). */
function canonPath(p: string): string {
  if (!p.startsWith('/')) throw new StoreError(`not an absolute path: '${p}'`)
  const out: string[] = []
  for (const c of p.split('/')) {
    if (c === '' || c === '.') continue
    if (c === '..') out.pop()
    else out.push(c)
  }
  return '/' + out.join('/')
}

/** Point `link` at `target`, replacing what is there atomically. */
async function replaceSymlink(target: string, link: string): Promise<void> {
  const tmp = `${link}.tmp-${process.pid}-${Math.random().toString(36).slice(2)}`
  await symlink(target, tmp)
  const { rename } = await import('node:fs/promises')
  await rename(tmp, link)
}

/** C++ `topoSortPaths` restricted to `paths`: referrers before their references. */
async function topoSortReferrersFirst(paths: readonly StorePath[], referrers: (p: StorePath) => Promise<StorePath[]>): Promise<StorePath[]> {
  const inSet = new Map(paths.map(p => [p.baseName, p]))
  const done = new Set<string>()
  const out: StorePath[] = []
  const visit = async (p: StorePath, stack: Set<string>): Promise<void> => {
    if (done.has(p.baseName)) return
    if (stack.has(p.baseName)) throw new StoreError(`cycle detected in the references of '${p.baseName}'`)
    stack.add(p.baseName)
    for (const r of await referrers(p)) if (!r.equals(p) && inSet.has(r.baseName)) await visit(r, stack)
    stack.delete(p.baseName)
    done.add(p.baseName)
    out.push(p)
  }
  for (const p of paths) await visit(p, new Set())
  return out
}



function byBaseName(a: StorePath, b: StorePath): number {
  return a.baseName < b.baseName ? -1 : a.baseName > b.baseName ? 1 : 0
}

/**
 * The order `exportPaths` writes paths in, exactly as C++ (`topoSortPaths` reversed): a
 * depth-first post-order over the set in path order, references (within the set) in path order
 * — so every path comes after the paths it refers to.
 */
function topoSortReferencesFirst(infos: readonly PathInfo[]): PathInfo[] {
  const byName = new Map(infos.map(i => [i.path.baseName, i]))
  const done = new Set<string>()
  const active = new Set<string>()
  const out: PathInfo[] = []
  const visit = (info: PathInfo): void => {
    const name = info.path.baseName
    if (active.has(name)) throw new StoreError(`cycle detected in the references of '${name}'`)
    if (done.has(name)) return
    done.add(name)
    active.add(name)
    for (const r of [...info.references].sort(byBaseName)) {
      const ri = byName.get(r.baseName)
      if (ri && r.baseName !== name) visit(ri)
    }
    active.delete(name)
    out.push(info)
  }
  for (const i of [...infos].sort((a, b) => byBaseName(a.path, b.path))) visit(i)
  return out
}

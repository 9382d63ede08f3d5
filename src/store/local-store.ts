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
import { lstatSync, mkdirSync } from 'node:fs'
import { lstat, mkdir, readFile, rm, symlink, readlink } from 'node:fs/promises'
import { dirname } from 'node:path'
import { decodeRootNode, encodeRootNode, materialise, type BlobService, type DirectoryService, type Node } from '../castore/index.js'
import { nameFromDrvPath, outputPaths, parseDerivation } from '../derivation/index.js'
import type { Logger } from '../logger.js'
import { dumpPath } from '../nar/index.js'
import { PathLocks } from '../os/index.js'
import type { PathInfoService, ValidPathRegistration } from '../pathinfo/index.js'
import type { StoreLocations } from '../settings/index.js'
import type { Settings } from '../settings/index.js'
import { countValidSignatures, isContentAddressed as isCaPathInfo, type PublicKeys } from '../signing/index.js'
import {
  type ContentAddress,
  type ContentAddressMethodWithAlgo,
  type DerivedPath,
  type KeyedBuildResult,
  makeFixedOutputPath,
  makeTextPath,
  NixHash,
  type PathInfo,
  parseDrvOutput,
  type Realisation,
  type StoreDir,
  type StorePath,
  storePathForContentAddress,
  encodeNix32,
} from '../store-path/index.js'
import { HashMismatchError, InvalidStorePathError, NotPrivilegedError, StoreError, UnsupportedError, UntrustedPathError } from './errors.js'
import { collectGarbage, deletePathCounting, findPermanentRoots, findRuntimeRoots, type GCStore, type RootMap, type TempRoots } from './gc/index.js'
import type { NarCastoreBridge } from './nar-bridge.js'
import { spoolFlatDump } from './flat-dump.js'
import { readAll } from './nar-util.js'
import type { AddToStoreNarOptions, BuildMode, GCOptions, GCResults, MissingInfo, OpContext, Roots, Store, SubstitutablePathInfo } from './types.js'

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

export class LocalStore implements Store {
  readonly storeDir: StoreDir
  readonly realStoreDir: string
  readonly stateDir: string
  private readonly deps: LocalStoreDeps
  private storeDirMade = false

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
      const paths = outputPaths(this.storeDir, drv)
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
      const locks = (await PathLocks.acquire([this.realPath(info.path)], { signal: ctx.signal }))!
      try {
        if (!opts.repair && (await this.isValidPath(info.path))) return
        consumed = true
        const ingested = await this.deps.bridge.ingestNar(nar, { signal: ctx.signal })
        const p = this.storeDir.print(info.path)
        if (!ingested.narHash.equals(info.narHash)) {
          throw new HashMismatchError(`hash mismatch importing path '${p}';\n  specified: ${info.narHash.format('nix32')}\n  got:       ${ingested.narHash.format('nix32')}`)
        }
        if (ingested.narSize !== info.narSize) {
          throw new HashMismatchError(`size mismatch importing path '${p}';\n  specified: ${info.narSize}\n  got:       ${ingested.narSize}`)
        }
        if (info.ca) await this.checkContentAddress(info, ingested.root, ingested.narHash)
        await this.publish(info.path, ingested.root, opts.repair)
        await this.register([{ info, castoreRoot: encodeRootNode(info.path.baseName, ingested.root), derivationOutputs: await this.derivationOutputsOf(info.path) }])
        locks.setDeletion(true)
      } finally {
        await locks.release()
      }
    } finally {
      if (!consumed) await drain(nar)
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
    const { createHasher } = await import('../store-path/index.js')
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
    let root: Node
    let narHash: NixHash
    let narSize: number
    let ca: ContentAddress
    if (method.method === 'nar') {
      const { createHasher } = await import('../store-path/index.js')
      const extra = method.algo === 'sha256' ? undefined : createHasher(method.algo)
      const tee = extra ? teeInto(dump, c => extra.update(c)) : dump
      const ingested = await this.deps.bridge.ingestNar(tee, { signal: ctx.signal })
      root = ingested.root
      narHash = ingested.narHash
      narSize = ingested.narSize
      ca = { method: 'nar', hash: extra ? extra.digest() : narHash }
    } else if (method.method === 'flat' || method.method === 'text') {
      // held in memory up to 32 MiB, spooled to a temporary file beyond (bounded memory per client)
      await mkdir(this.stateDir, { recursive: true })
      const body = await spoolFlatDump(dump, method.algo, { spillDir: this.stateDir })
      try {
        const ingested = await this.deps.bridge.ingestNar(body.nar(), { signal: ctx.signal })
        root = ingested.root
        narHash = ingested.narHash
        narSize = ingested.narSize
        ca = { method: method.method, hash: body.hash }
      } finally {
        await body.dispose()
      }
    } else {
      await drain(dump)
      throw new UnsupportedError("the 'git' ingestion method is not supported")
    }
    const refs = [...references]
    const path = ca.method === 'text'
      ? makeTextPath(this.storeDir, name, ca.hash, refs)
      : storePathForContentAddress(this.storeDir, name, ca, refs)
    const info: PathInfo = {
      path, deriver: undefined, narHash, references: refs.sort((a, b) => (a.baseName < b.baseName ? -1 : a.baseName > b.baseName ? 1 : 0)),
      registrationTime: 0, narSize, ultimate: false, sigs: [], ca,
    }
    await this.deps.tempRoots.add(ctx.clientId, path)
    if (repair || !(await this.isValidPath(path))) {
      const locks = (await PathLocks.acquire([this.realPath(path)], { signal: ctx.signal }))!
      try {
        if (repair || !(await this.isValidPath(path))) {
          await this.publish(path, root, repair)
          await this.register([{ info, castoreRoot: encodeRootNode(path.baseName, root), derivationOutputs: await this.derivationOutputsOf(path) }])
        }
        locks.setDeletion(true)
      } finally {
        await locks.release()
      }
    }
    return (await this.queryPathInfo(path)) ?? info
  }

  /** For a `.drv` being registered: its outputs with known paths (C++ `cacheDrvOutputMapping`). */
  private async derivationOutputsOf(path: StorePath): Promise<Map<string, StorePath> | undefined> {
    if (!path.isDerivation()) return undefined
    const drv = await this.readDerivation(path)
    const out = new Map<string, StorePath>()
    for (const [name, p] of outputPaths(this.storeDir, drv)) if (p) out.set(name, p)
    return out
  }

  /** Materialise `root` at the path's real location, replacing a leftover (invalid) copy. */
  private async publish(path: StorePath, root: Node, replace: boolean): Promise<void> {
    const real = this.realPath(path)
    const exists = lstatExists(real)
    if (exists) {
      if (!replace && (await this.isValidPath(path))) return
      await deletePathCounting(real)
    }
    // once per store object (it is reopened when its directories vanish, see cli/daemon.ts)
    if (!this.storeDirMade) { mkdirSync(this.realStoreDir, { recursive: true }); this.storeDirMade = true }
    await materialise(root, real, this.deps.blobs, this.deps.dirs, { hardLinks: true, linkDir: this.deps.linkDir, fsync: this.deps.settings['fsync-store-paths'] })
  }

  private async register(regs: ValidPathRegistration[]): Promise<void> {
    await this.deps.pathInfo.registerValidPaths(regs)
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

  // ---- building (the builder is wired in later) -------------------------------------------------

  async buildPaths(_ctx: OpContext, targets: readonly DerivedPath[], _mode: BuildMode): Promise<KeyedBuildResult[]> {
    const results: KeyedBuildResult[] = []
    for (const t of targets) {
      if (t.kind === 'opaque') {
        if (!(await this.isValidPath(t.path))) throw new StoreError(`path '${this.storeDir.print(t.path)}' is required, but there is no substituter that can build it`)
        results.push(alreadyValid(t))
      } else {
        throw new UnsupportedError('building derivations is not available in this store')
      }
    }
    return results
  }

  async ensurePath(_ctx: OpContext, path: StorePath): Promise<void> {
    if (!(await this.isValidPath(path))) throw new StoreError(`path '${this.storeDir.print(path)}' does not exist and cannot be created`)
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
    void ctx
    return collectGarbage(this.gcView(), this.deps.tempRoots, opts, {
      keepOutputs: this.deps.settings['keep-outputs'],
      keepDerivations: this.deps.settings['keep-derivations'],
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
      deleteEntry: base => deletePathCounting(`${this.realStoreDir}/${base}`),
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
    await this.deps.tempRoots.close()
    await this.deps.onClose?.()
  }
}

/** Whether something is at `p` (synchronous: a metadata call on the add path, see os/file-lock.ts). */
function lstatExists(p: string): boolean {
  try { lstatSync(p); return true } catch { return false }
}

function alreadyValid(path: DerivedPath): KeyedBuildResult {
  return { path, status: 2, errorMsg: '', timesBuilt: 0, isNonDeterministic: false, startTime: 0, stopTime: 0, builtOutputs: new Map() }
}

async function drain(src: AsyncIterable<Uint8Array>): Promise<void> {
  try { for await (const _ of src) { /* discard */ } } catch { /* the op's error is what matters */ }
}

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



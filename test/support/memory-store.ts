/**
 * A Store held in memory: a test double for the op handlers and the daemon (the real store is
 * another engineer's). Paths, hashes and NARs follow Nix's rules (computed with store-path
 * helpers), so C++ clients accept what it answers; builds and substitution are not modelled.
 */
import { readlinkSync } from 'node:fs'
import { NixError } from '../../src/errors.js'
import { ActivityType, ResultType, Verbosity } from '../../src/logger.js'
import {
  BuildStatus, type ContentAddress, type ContentAddressMethodWithAlgo, type DerivedPath, type KeyedBuildResult, makeFixedOutputPath,
  makeTextPath, NixHash, type PathInfo, printDerivedPath, type Realisation, StoreDir, type StorePath,
} from '../../src/store-path/index.js'
import type { GCOptions, GCResults, MissingInfo, OpContext, Roots, Store, SubstitutablePathInfo } from '../../src/store/types.js'
import { WireWriter } from '../../src/wire/index.js'

class MemoryStoreError extends NixError { constructor(m: string) { super('ERR_MEMORY_STORE', m) } }

/** A NAR of one regular file. */
export function narOfFile(contents: Uint8Array): Uint8Array {
  const w = new WireWriter()
  for (const t of ['nix-archive-1', '(', 'type', 'regular', 'contents']) w.string(t)
  w.bytes(contents)
  w.string(')')
  return w.finish()
}

async function collect(src: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = []
  for await (const c of src) parts.push(c)
  const b = Buffer.concat(parts)
  return new Uint8Array(b.buffer, b.byteOffset, b.length)
}

export class MemoryStore implements Store {
  readonly storeDir = new StoreDir()
  readonly paths = new Map<string, { info: PathInfo; nar: Uint8Array }>()
  readonly tempRoots = new Map<string, Set<string>>()
  readonly indirectRoots = new Set<string>()
  readonly permRoots = new Map<string, StorePath>()
  readonly realisations = new Map<string, Realisation>()
  readonly logs = new Map<string, Uint8Array>()
  now = () => Math.floor(Date.now() / 1000)

  private get(p: StorePath) { return this.paths.get(p.baseName) }
  private notValid(p: StorePath) { return new MemoryStoreError(`path '${this.storeDir.print(p)}' is not valid`) }

  async isValidPath(p: StorePath) { return this.paths.has(p.baseName) }
  async queryPathInfo(p: StorePath) { return this.get(p)?.info }
  async queryValidPaths(ps: readonly StorePath[]) { return ps.filter(p => this.paths.has(p.baseName)) }
  async queryAllValidPaths() { return [...this.paths.values()].map(v => v.info.path) }
  async queryReferrers(p: StorePath) { return [...this.paths.values()].filter(v => v.info.references.some(r => r.equals(p))).map(v => v.info.path) }
  async queryValidDerivers(p: StorePath) { const d = this.get(p)?.info.deriver; return d && this.paths.has(d.baseName) ? [d] : [] }
  async queryPathFromHashPart(h: string) { return [...this.paths.values()].find(v => v.info.path.hashPart === h)?.info.path }
  async queryDerivationOutputMap(drv: StorePath) { if (!this.get(drv)) throw this.notValid(drv); return new Map<string, StorePath | undefined>() }
  async querySubstitutablePaths() { return [] }
  async querySubstitutablePathInfos(): Promise<SubstitutablePathInfo[]> { return [] }
  async queryMissing(ctx: OpContext, targets: readonly DerivedPath[]): Promise<MissingInfo> {
    const a = ctx.logger.startActivity(ActivityType.Unknown, Verbosity.Debug, 'querying info about missing paths')
    a.stop()
    const unknown = targets.flatMap(t => (t.kind === 'opaque' && !this.paths.has(t.path.baseName) ? [t.path] : []))
    return { willBuild: [], willSubstitute: [], unknown, downloadSize: 0n, narSize: 0n }
  }
  async queryRealisation(id: string) { return this.realisations.get(id) }

  async addToStore(_ctx: OpContext, name: string, m: ContentAddressMethodWithAlgo, references: readonly StorePath[], dump: AsyncIterable<Uint8Array>): Promise<PathInfo> {
    const bytes = await collect(dump)
    let nar: Uint8Array
    let ca: ContentAddress
    let path: StorePath
    if (m.method === 'text') {
      nar = narOfFile(bytes)
      ca = { method: 'text', hash: NixHash.of('sha256', bytes) }
      path = makeTextPath(this.storeDir, name, ca.hash, references)
    } else if (m.method === 'flat') {
      nar = narOfFile(bytes)
      ca = { method: 'flat', hash: NixHash.of(m.algo, bytes) }
      path = makeFixedOutputPath(this.storeDir, name, 'flat', ca.hash)
    } else if (m.method === 'nar') {
      if (bytes.length === 0) throw new MemoryStoreError('end of string reached')
      nar = bytes
      ca = { method: 'nar', hash: NixHash.of(m.algo, bytes) }
      path = makeFixedOutputPath(this.storeDir, name, 'nar', ca.hash, references)
    } else throw new MemoryStoreError('git hashing is not supported here')
    const existing = this.get(path)
    if (existing) return existing.info
    const info: PathInfo = {
      path, deriver: undefined, narHash: NixHash.of('sha256', nar), references: [...references], registrationTime: this.now(), narSize: nar.length,
      ultimate: false, sigs: [], ca,
    }
    this.paths.set(path.baseName, { info, nar })
    return info
  }

  async addToStoreNar(_ctx: OpContext, info: PathInfo, src: AsyncIterable<Uint8Array>): Promise<void> {
    const nar = await collect(src)
    if (!NixHash.of('sha256', nar).equals(info.narHash)) throw new MemoryStoreError(`hash mismatch importing path '${this.storeDir.print(info.path)}'`)
    if (!this.paths.has(info.path.baseName)) this.paths.set(info.path.baseName, { info: { ...info, registrationTime: info.registrationTime || this.now() }, nar })
  }

  async addSignatures(_ctx: OpContext, p: StorePath, sigs: readonly string[]) {
    const e = this.get(p)
    if (!e) throw this.notValid(p)
    e.info = { ...e.info, sigs: [...new Set([...e.info.sigs, ...sigs])] }
  }
  async registerDrvOutput(_ctx: OpContext, r: Realisation) { this.realisations.set(`${r.id.drvHash}!${r.id.outputName}`, r) }
  async addBuildLog(_ctx: OpContext, drv: StorePath, log: AsyncIterable<Uint8Array>) { this.logs.set(drv.baseName, await collect(log)) }
  async *narFromPath(p: StorePath): AsyncIterable<Uint8Array> {
    const e = this.get(p)
    if (!e) throw this.notValid(p)
    yield e.nar
  }

  async buildPaths(ctx: OpContext, targets: readonly DerivedPath[]): Promise<KeyedBuildResult[]> {
    const realise = ctx.logger.startActivity(ActivityType.Realise, Verbosity.Error, '')
    try {
      return targets.map(t => {
        const ok = t.kind === 'opaque' && this.paths.has(t.path.baseName)
        return {
          path: t, status: ok ? BuildStatus.AlreadyValid : BuildStatus.MiscFailure,
          errorMsg: ok ? '' : `cannot build '${printDerivedPath(this.storeDir, t)}' in a memory store`,
          timesBuilt: 0, isNonDeterministic: false, startTime: 0, stopTime: 0, builtOutputs: new Map(),
        }
      })
    } finally { realise.result(ResultType.Progress, [1, 1, 0, 0]); realise.stop() }
  }
  async ensurePath(_ctx: OpContext, p: StorePath) { if (!this.paths.has(p.baseName)) throw this.notValid(p) }

  async addTempRoot(ctx: OpContext, p: StorePath) {
    const s = this.tempRoots.get(ctx.clientId) ?? new Set()
    s.add(p.baseName)
    this.tempRoots.set(ctx.clientId, s)
  }
  async addIndirectRoot(_ctx: OpContext, link: string) { this.indirectRoots.add(link) }
  async addPermRoot(_ctx: OpContext, p: StorePath, gcRoot: string) { this.permRoots.set(gcRoot, p); return gcRoot }
  async findRoots(_ctx: OpContext, censor: boolean): Promise<Roots> {
    const byTarget = new Map<string, { p: StorePath; links: string[] }>()
    const add = (p: StorePath, link: string) => {
      const e = byTarget.get(p.baseName) ?? { p, links: [] }
      e.links.push(censor ? '{censored}' : link)
      byTarget.set(p.baseName, e)
    }
    for (const link of this.indirectRoots) {
      try { add(this.storeDir.parse(readlinkSync(link)), link) } catch { /* dangling */ }
    }
    for (const [link, p] of this.permRoots) add(p, link)
    for (const [client, set] of this.tempRoots) for (const b of set) { const e = this.paths.get(b); if (e) add(e.info.path, `{temp:${client}}`) }
    return new Map([...byTarget.values()].map(e => [e.p, e.links]))
  }

  private live(): Set<string> {
    const live = new Set<string>()
    const visit = (b: string) => {
      if (live.has(b)) return
      const e = this.paths.get(b)
      if (!e) return
      live.add(b)
      for (const r of e.info.references) visit(r.baseName)
    }
    for (const link of this.indirectRoots) { try { visit(this.storeDir.parse(readlinkSync(link)).baseName) } catch { /* dangling */ } }
    for (const p of this.permRoots.values()) visit(p.baseName)
    for (const s of this.tempRoots.values()) for (const b of s) visit(b)
    return live
  }

  async collectGarbage(_ctx: OpContext, o: GCOptions): Promise<GCResults> {
    const live = this.live()
    const all = [...this.paths.keys()]
    if (o.action === 'returnLive') return { paths: all.filter(b => live.has(b)).map(b => `${this.storeDir.path}/${b}`), bytesFreed: 0n }
    if (o.action === 'returnDead') return { paths: all.filter(b => !live.has(b)).map(b => `${this.storeDir.path}/${b}`), bytesFreed: 0n }
    const victims = o.action === 'deleteSpecific' ? o.pathsToDelete.map(p => p.baseName) : all.filter(b => !live.has(b))
    let freed = 0n
    const deleted: string[] = []
    for (const b of victims) {
      if (live.has(b)) throw new MemoryStoreError(`Cannot delete path '${this.storeDir.path}/${b}' since it is still alive. To find out why, use: nix-store --query --roots and nix-store --query --referrers`)
      const e = this.paths.get(b)
      if (!e) continue
      freed += BigInt(e.nar.length)
      this.paths.delete(b)
      deleted.push(`${this.storeDir.path}/${b}`)
    }
    return { paths: deleted, bytesFreed: freed }
  }

  async verifyStore() { return false }
  async optimiseStore(ctx: OpContext) { ctx.logger.startActivity(ActivityType.OptimiseStore, Verbosity.Error, '').stop() }
  async releaseClient(id: string) { this.tempRoots.delete(id) }
  async close() {}
}


/**
 * The garbage collector, following C++ Nix's algorithm (gc.cc `collectGarbage`) so that
 * `nix-store --gc`, `--delete`, `--print-dead/--print-live` and `nix-collect-garbage` behave
 * the same through tsnix:
 *
 * 1. take `gc.lock` exclusively (waiting), start the gc-socket server for roots that other
 *    processes add meanwhile;
 * 2. find permanent and runtime roots (unless ignoring liveness) and temporary roots;
 * 3. for each store entry (or each path to delete), walk its referrers closure (plus outputs
 *    with keep-derivations, plus derivers with keep-outputs); if it reaches a root the start
 *    and the closure of the live path are alive, otherwise the visited set is dead and is
 *    deleted referrers-first;
 * 4. stop after `maxFreed` bytes.
 *
 * Storage specifics (invalidating metadata, deleting files, castore sweeps) are behind
 * `GCStore`, so this module is about liveness only.
 */
import { mkdir, open, readdir, unlink } from 'node:fs/promises'
import { createServer, type Server } from 'node:net'
import { dirname } from 'node:path'
import { createInterface } from 'node:readline'
import { NixError } from '../../errors.js'
import type { StoreDir, StorePath } from '../../store-path/index.js'
import { lockFd, openLockFile, tryLockFd, turnsFor } from '../../os/index.js'
import type { GCOptions, GCResults } from '../types.js'
import { tempEntryOwner } from '../leftovers.js'
import { findPermanentRoots, findRuntimeRoots, type RootMap } from './roots.js'
import type { ActiveCollector, TempRoots } from './temp-roots.js'

export class GCError extends NixError {
  constructor(message: string) { super('ERR_GC', message) }
}

export interface GCStore {
  readonly storeDir: StoreDir
  readonly realStoreDir: string
  readonly stateDir: string
  isValidPath(p: StorePath): Promise<boolean>
  queryReferrers(p: StorePath): Promise<StorePath[]>
  queryDeriver(p: StorePath): Promise<StorePath | undefined>
  queryValidDerivers(p: StorePath): Promise<StorePath[]>
  queryPartialDerivationOutputMap(drv: StorePath): Promise<Map<string, StorePath | undefined>>
  /** Closure following references (and outputs / derivers when asked). */
  computeFSClosure(p: StorePath, opts: { includeOutputs: boolean; includeDerivers: boolean }): Promise<StorePath[]>
  /** Referrers before their references. */
  topoSortPaths(paths: readonly StorePath[]): Promise<StorePath[]>
  /** Remove the path from the metadata; fails if it still has live referrers. */
  invalidatePathChecked(p: StorePath): Promise<void>
  /**
   * The same for a set at once (referrers within the set are fine); invalid paths are skipped.
   * Optional: without it paths are invalidated one by one.
   */
  invalidatePaths?(paths: readonly StorePath[]): Promise<void>
  /** Remove the physical entry `<realStoreDir>/<baseName>` (and what only it used); bytes freed. */
  deleteEntry(baseName: string): Promise<bigint>
  /** After deletions: drop unreferenced shared data (castore objects, `.links`). */
  afterDeletion?(): Promise<void>
}

export interface GCSettings {
  readonly keepOutputs: boolean
  readonly keepDerivations: boolean
  info?(msg: string): void
}

class GCLimitReached extends Error {}

class Shared implements ActiveCollector {
  readonly tempRoots = new Set<string>()
  /** The path being examined (C++ `shared->pending`). */
  pending: string | undefined
  /** Paths found dead and queued for deletion (a batch not yet deleted). */
  readonly queued = new Set<string>()
  private waiters: Array<() => void> = []
  setPending(h: string | undefined): void {
    this.pending = h
    if (h === undefined) this.wake()
  }
  clearQueued(): void { this.queued.clear(); this.wake() }
  private wake(): void { const w = this.waiters; this.waiters = []; for (const f of w) f() }
  /** A root for a path being examined or queued waits until that is over (then it is gone). */
  async waitNotPending(h: string): Promise<void> {
    while (this.pending === h || this.queued.has(h)) await new Promise<void>(r => this.waiters.push(r))
  }
}

/** Dead paths are invalidated (one transaction) and deleted in batches of this many. */
const DELETE_BATCH = 512
/** Deletions between turns of the event loop (the file deletions are synchronous). */
const DELETIONS_PER_TURN = 64

/** Listen on gc-socket so other processes can add roots while we hold gc.lock. */
async function startRootsServer(path: string, shared: Shared): Promise<Server> {
  await mkdir(dirname(path), { recursive: true })
  await unlink(path).catch(() => undefined)
  const server = createServer(sock => {
    const lines = createInterface({ input: sock })
    lines.on('line', line => {
      void (async () => {
        const m = /\/([0-9a-df-np-sv-z]{32})-[^/]+$/.exec(line)
        if (m) {
          shared.tempRoots.add(m[1]!)
          await shared.waitNotPending(m[1]!)
        }
        sock.write('1')
      })()
    })
    sock.on('error', () => sock.destroy())
  })
  await new Promise<void>((resolve, reject) => { server.once('error', reject); server.listen(path, resolve) })
  const { chmod } = await import('node:fs/promises')
  await chmod(path, 0o666)
  return server
}

export async function collectGarbage(store: GCStore, tempRoots: TempRoots, options: GCOptions, settings: GCSettings): Promise<GCResults> {
  const shouldDelete = options.action === 'deleteDead' || options.action === 'deleteSpecific'
  let keepOutputs = settings.keepOutputs
  let keepDerivations = settings.keepDerivations
  const results = { paths: new Set<string>(), bytesFreed: 0n }
  if (options.action === 'deleteSpecific' && options.pathsToDelete.length === 0) return { paths: [], bytesFreed: 0n }
  if (options.action === 'deleteSpecific' && options.ignoreLiveness) { keepOutputs = false; keepDerivations = false }
  const info = settings.info ?? (() => {})

  await mkdir(store.stateDir, { recursive: true })
  const gcLock = (await openLockFile(tempRoots.gcLockPath, true))!
  const shared = new Shared()
  let server: Server | undefined
  let endTurn: (() => void) | undefined
  try {
    let told = false
    const onWait = () => { if (!told) info('waiting for the big garbage collector lock...'); told = true }
    // this process's collectors and verifiers in arrival order, then the lock against other processes
    endTurn = await turnsFor(tempRoots.gcLockPath).take('write', { onWait })
    await lockFd(gcLock.fd, 'write', { onWait })
    tempRoots.setCollector(shared)
    server = await startRootsServer(tempRoots.gcSocketPath, shared)

    info('finding garbage collector roots...')
    const roots = new Set<string>()
    if (!options.ignoreLiveness) {
      const rootMap: RootMap = new Map()
      await findPermanentRoots({ ...ctxOf(store), info }, rootMap)
      await findRuntimeRoots(ctxOf(store), true, rootMap)
      for (const k of rootMap.keys()) roots.add(k)
    }
    for (const m of [tempRoots.ownRoots(), await tempRoots.readOthers(info)]) {
      for (const printed of m.keys()) {
        try {
          const p = store.storeDir.parse(printed)
          shared.tempRoots.add(p.hashPart)
          roots.add(p.baseName)
        } catch { /* garbage in a temproots file */ }
      }
    }

    const alive = new Set<string>()
    const dead = new Set<string>()
    const referrersCache = new Map<string, StorePath[]>()
    const toDelete = new Set(options.pathsToDelete.map(p => p.baseName))

    const deleteFromStore = async (baseName: string): Promise<void> => {
      // A temporary build directory in use is locked by its owner: leave it alone.
      if (baseName.startsWith('tmp-')) {
        const fh = await open(`${store.realStoreDir}/${baseName}`, 'r').catch(() => undefined)
        if (!fh) return
        try { if (!tryLockFd(fh.fd, 'write')) return } finally { await fh.close() }
      }
      info(`deleting '${store.storeDir.path}/${baseName}'`)
      results.paths.add(`${store.storeDir.path}/${baseName}`)
      results.bytesFreed += await store.deleteEntry(baseName)
      if (results.bytesFreed > options.maxFreed) {
        info(`deleted more than ${options.maxFreed} bytes; stopping`)
        throw new GCLimitReached()
      }
    }

    const deleteReferrersClosure = async (start: StorePath): Promise<void> => {
      const visited = new Map<string, StorePath>()
      const todo: StorePath[] = []
      const enqueue = (p: StorePath) => { if (!visited.has(p.baseName)) { visited.set(p.baseName, p); todo.push(p) } }
      enqueue(start)
      try {
        while (todo.length > 0) {
          const path = todo.shift()!
          if (alive.has(path.baseName)) { alive.add(start.baseName); return }
          if (dead.has(path.baseName)) continue
          const markAlive = async () => {
            alive.add(path.baseName)
            alive.add(start.baseName)
            for (const p of await store.computeFSClosure(path, { includeOutputs: keepOutputs, includeDerivers: keepDerivations }).catch(() => [])) alive.add(p.baseName)
          }
          if (roots.has(path.baseName)) { info(`cannot delete '${store.storeDir.print(path)}' because it's a root`); return markAlive() }
          if (toDelete.size > 0 && !toDelete.has(path.baseName)) return
          if (shared.tempRoots.has(path.hashPart)) { info(`cannot delete '${store.storeDir.print(path)}' because it's a temporary root`); return markAlive() }
          shared.setPending(path.hashPart)
          if (await store.isValidPath(path)) {
            let refs = referrersCache.get(path.baseName)
            if (!refs) referrersCache.set(path.baseName, (refs = await store.queryReferrers(path)))
            for (const r of refs) enqueue(r)
            if (keepDerivations && path.isDerivation()) {
              for (const out of (await store.queryPartialDerivationOutputMap(path)).values()) {
                if (out && (await store.isValidPath(out)) && (await store.queryDeriver(out))?.equals(path)) enqueue(out)
              }
            }
            if (keepOutputs) for (const d of await store.queryValidDerivers(path)) enqueue(d)
          }
        }
        for (const path of await store.topoSortPaths([...visited.values()])) {
          if (dead.has(path.baseName)) continue
          dead.add(path.baseName)
          if (shouldDelete) {
            // Queued, referrers first; roots arriving for it wait until it is deleted.
            queue.push(path)
            shared.queued.add(path.hashPart)
            referrersCache.delete(path.baseName)
          }
        }
      } finally {
        shared.setPending(undefined)
      }
      if (queue.length >= DELETE_BATCH) await flush()
    }

    /**
     * Delete the queued dead paths: invalidate them in one transaction (C++ does one per path;
     * the set is closed under referrers, so the check is the same), then delete their files,
     * stopping once more than `maxFreed` bytes were freed.
     */
    const queue: StorePath[] = []
    const flush = async (): Promise<void> => {
      if (queue.length === 0) return
      const batch = queue.splice(0)
      try {
        if (store.invalidatePaths) await store.invalidatePaths(batch)
        else for (const p of batch) if (await store.isValidPath(p)) await store.invalidatePathChecked(p)
        for (const [i, p] of batch.entries()) {
          await deleteFromStore(p.baseName)
          if (i % DELETIONS_PER_TURN === DELETIONS_PER_TURN - 1) await new Promise(r => setImmediate(r))
        }
      } finally {
        shared.clearQueued()
      }
    }

    try {
      if (options.pathsToDelete.length > 0) {
        for (const p of options.pathsToDelete) {
          if (shouldDelete) await deleteReferrersClosure(p)
          if (options.action === 'deleteSpecific' && !dead.has(p.baseName)) {
            await flush()
            throw new GCError(`Cannot delete path '${store.storeDir.print(p)}' since it is still alive. To find out why, use: nix-store --query --roots`)
          }
        }
      } else if (options.maxFreed > 0n) {
        info(shouldDelete ? 'deleting garbage...' : 'determining live/dead paths...')
        let names: string[] = []
        try { names = await readdir(store.realStoreDir) } catch (e) {
          if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e
        }
        for (const name of names) {
          if (name === '.links') continue
          let sp: StorePath | undefined
          try { sp = store.storeDir.parse(`${store.storeDir.path}/${name}`) } catch { sp = undefined }
          if (sp) await deleteReferrersClosure(sp)
          else if (shouldDelete && !shared.tempRoots.has((tempEntryOwner(name) ?? name).slice(0, 32))) await deleteFromStore(name)
        }
      }
      await flush()
    } catch (e) {
      if (!(e instanceof GCLimitReached)) throw e
    }

    if (options.action === 'returnLive') return { paths: [...alive].map(b => `${store.storeDir.path}/${b}`).sort(), bytesFreed: 0n }
    if (options.action === 'returnDead') return { paths: [...dead].map(b => `${store.storeDir.path}/${b}`).sort(), bytesFreed: 0n }
    if (shouldDelete) await store.afterDeletion?.()
    return { paths: [...results.paths].sort(), bytesFreed: results.bytesFreed }
  } finally {
    tempRoots.setCollector(undefined)
    // after a failure too, roots waiting for a path to be deleted go on (the path stays), and
    // the roots server's connections end, which server.close waits for
    shared.setPending(undefined)
    shared.clearQueued()
    if (server) await new Promise<void>(r => server!.close(() => r()))
    await unlink(tempRoots.gcSocketPath).catch(() => undefined)
    await gcLock.close()
    endTurn?.()
  }
}

function ctxOf(store: GCStore) {
  return { storeDir: store.storeDir, realStoreDir: store.realStoreDir, stateDir: store.stateDir, isValidPath: (p: StorePath) => store.isValidPath(p) }
}

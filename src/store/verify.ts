/**
 * `nix-store --verify [--check-contents] [--repair]` (C++ `LocalStore::verifyStore`): every
 * valid path must exist in the store directory (a missing one without valid referrers is
 * invalidated, one with valid referrers is an error); with `checkContents` each path's NAR hash
 * is recomputed from disk. Messages are C++'s. Unlike C++, which needs a substituter, repair
 * restores a missing or modified path from castore (the source of truth), checking the
 * castore copy's NAR hash first.
 */
import { readdir } from 'node:fs/promises'
import { Verbosity } from '../logger.js'
import { hashPath } from '../nar/index.js'
import { openLockFile, lockFd, turnsFor } from '../os/index.js'
import type { StorePath } from '../store-path/index.js'
import type { LocalStore } from './local-store.js'
import type { OpContext } from './types.js'

export async function verifyStore(store: LocalStore, ctx: OpContext, checkContents: boolean, repair: boolean): Promise<boolean> {
  const log = ctx.logger
  const pi = store.internals.pathInfo
  log.log(Verbosity.Info, 'reading the Nix store...')
  // A consistent snapshot of existing and valid paths: no GC while we look (shared gc.lock).
  const lockPath = `${store.stateDir}/gc.lock`
  const gcLock = (await openLockFile(lockPath, true))!
  let endTurn: (() => void) | undefined
  try {
    let told = false
    const onWait = () => { if (!told) log.log(Verbosity.Error, 'waiting for the big garbage collector lock...'); told = true }
    endTurn = await turnsFor(lockPath).take('read', { onWait, signal: ctx.signal })
    await lockFd(gcLock.fd, 'read', { onWait, signal: ctx.signal })
    const inStoreDir = new Set<string>()
    let names: string[] = []
    try { names = await readdir(store.realStoreDir) } catch { /* empty store */ }
    for (const n of names) {
      try { inStoreDir.add(store.storeDir.parse(`${store.storeDir.path}/${n}`).baseName) } catch { /* not a store path */ }
    }
    log.log(Verbosity.Info, 'checking path existence...')
    let errors = false
    const done = new Set<string>()
    const valid = new Map<string, StorePath>()
    const verifyPath = async (path: StorePath): Promise<void> => {
      if (done.has(path.baseName)) return
      done.add(path.baseName)
      if (!inStoreDir.has(path.baseName)) {
        let canInvalidate = true
        for (const r of await pi.queryReferrers(path)) {
          if (r.equals(path)) continue
          await verifyPath(r)
          if (valid.has(r.baseName)) canInvalidate = false
        }
        const shown = store.storeDir.print(path)
        if (canInvalidate) {
          log.log(Verbosity.Info, `path '${shown}' disappeared, removing from database...`)
          await pi.invalidatePaths([path])
        } else {
          log.log(Verbosity.Error, `path '${shown}' disappeared, but it still has valid referrers!`)
          if (repair) {
            try { await repairPath(store, path); valid.set(path.baseName, path) } catch (e) { log.warn((e as Error).message); errors = true }
          } else errors = true
        }
        return
      }
      valid.set(path.baseName, path)
    }
    for (const p of await pi.queryAllValidPaths()) await verifyPath(p)

    if (checkContents) {
      log.log(Verbosity.Info, 'checking hashes...')
      for (const path of valid.values()) {
        try {
          const info = await pi.queryPathInfo(path)
          if (!info) continue
          log.log(Verbosity.Talkative, `checking contents of '${store.storeDir.print(path)}'`)
          const current = await hashPath(store.realPath(path), info.narHash.algo)
          if (!current.hash.equals(info.narHash)) {
            log.log(Verbosity.Error, `path '${store.storeDir.print(path)}' was modified! expected hash '${info.narHash.format('nix32')}', got '${current.hash.format('nix32')}'`)
            if (repair) await repairPath(store, path)
            else errors = true
          }
        } catch (e) {
          if (await pi.isValidPath(path)) log.log(Verbosity.Error, `error: ${(e as Error).message}`)
          else log.warn((e as Error).message)
          errors = true
        }
      }
    }
    return errors
  } finally {
    await gcLock.close()
    endTurn?.()
  }
}

/** Rebuild the materialised copy of a valid path from castore. */
export async function repairPath(store: LocalStore, path: StorePath): Promise<void> {
  const info = await store.internals.pathInfo.queryPathInfo(path)
  const root = await store.castoreRoot(path)
  const shown = store.storeDir.print(path)
  if (!info || !root) throw new Error(`cannot repair path '${shown}'`)
  const { createHasher } = await import('../store-path/index.js')
  const h = createHasher(info.narHash.algo)
  for await (const c of store.internals.bridge.renderNar(root)) h.update(c)
  if (!h.digest().equals(info.narHash)) throw new Error(`cannot repair path '${shown}': its castore copy does not match the recorded NAR hash`)
  await store.rematerialise(path, root)
}

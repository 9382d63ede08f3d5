/**
 * What the store-row profiling aids (`_small-add-profile`, `_large-add-profile`,
 * `_export-profile`) share: a trusted op context, a private store opened as the store bench
 * opens its own, its small-file workload, and the wall/CPU report. Not a bench module.
 */
import { spawnSync } from 'node:child_process'
import { rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { nullLogger } from '../src/logger.js'
import { dumpPath } from '../src/nar/index.js'
import { loadSettings } from '../src/settings/index.js'
import { type LocalStore, openLocalStore, type OpContext } from '../src/store/index.js'
import { mapLimit } from '../src/store/concurrency.js'
import type { StorePath } from '../src/store-path/index.js'

export const profileCtx: OpContext = {
  trusted: true, logger: nullLogger, clientId: 'bench',
  settings: { keepFailed: false, keepGoing: false, tryFallback: false, maxBuildJobs: 1, maxSilentTime: 0, buildCores: 1, useSubstitutes: false, overrides: new Map() },
}

/** A LocalStore on the chroot store `root` (`fsync`: keep `fsync-store-paths`, tsnix's default). */
export function openProfileStore(root: string, fsync: boolean): Promise<LocalStore> {
  const conf = `store = local?root=${root}\nrequire-sigs = false\n${fsync ? '' : 'fsync-store-paths = false\n'}`
  const { settings, locations } = loadSettings({ env: { NIX_CONFIG: conf }, isRoot: process.getuid?.() === 0, readFile: () => undefined })
  return openLocalStore({ locations, settings })
}

/** The store bench's small files: `n` files of 20–160 bytes in `dir`. */
export function writeSmallFiles(dir: string, n: number): string[] {
  const files: string[] = []
  for (let i = 0; i < n; i++) {
    const f = join(dir, `f${i}`)
    writeFileSync(f, `small file number ${i}\n`.repeat(1 + (i % 7)))
    files.push(f)
  }
  return files
}

/** Add `files`, 16 at a time, as the store bench's `add` row does; their store paths. */
export async function addSmallFiles(store: LocalStore, files: readonly string[]): Promise<StorePath[]> {
  const infos = await mapLimit(files, 16, f => store.addToStore(profileCtx, f.slice(f.lastIndexOf('/') + 1), { method: 'nar', algo: 'sha256' }, [], dumpPath(f, { chunkSize: 64 * 1024 }), false))
  return infos.map(i => i.path)
}

/** Run `fn`, then print its wall time and this process's CPU (all threads) under `label`. */
export async function reportWallCpu<T>(label: string, fn: () => Promise<T>): Promise<T> {
  const c0 = process.cpuUsage()
  const t0 = performance.now()
  const r = await fn()
  const s = (performance.now() - t0) / 1000
  const c = process.cpuUsage(c0)
  console.log(`${label}: wall ${s.toFixed(3)} s, user ${(c.user / 1e6).toFixed(3)} s, sys ${(c.system / 1e6).toFixed(3)} s`)
  return r
}

/** Remove a scratch tree the stores made read-only. */
export function wipe(p: string): void {
  spawnSync('chmod', ['-R', 'u+w', p])
  rmSync(p, { recursive: true, force: true })
}

/**
 * Adds one large random file with LocalStore.addToStore and prints the time and the CPU of all
 * threads (a profiling aid for the `large` store bench row: run under `node --cpu-prof
 * dist/bench/_large-add-profile.js` or `perf record`). Env: TSNIX_LARGE_MIB (default 512),
 * TSNIX_LARGE_DIR (default os.tmpdir()), TSNIX_LARGE_FILE (add this file instead),
 * TSNIX_LARGE_REPS (adds in one process, each into a fresh store), TSNIX_LARGE_FSYNC=1
 * (keep `fsync-store-paths`; default off).
 */
import { randomFillSync } from 'node:crypto'
import { closeSync, mkdtempSync, openSync, rmSync, statSync, writeSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { spawnSync } from 'node:child_process'
import { nullLogger } from '../src/logger.js'
import { dumpPath } from '../src/nar/index.js'
import { loadSettings } from '../src/settings/index.js'
import { openLocalStore, type OpContext } from '../src/store/index.js'

const size = process.env['TSNIX_LARGE_FILE'] !== undefined ? statSync(process.env['TSNIX_LARGE_FILE']).size : Number(process.env['TSNIX_LARGE_MIB'] ?? 512) * 1024 * 1024
const base = mkdtempSync(join(process.env['TSNIX_LARGE_DIR'] ?? tmpdir(), 'large-add-'))
try {
  // TSNIX_LARGE_FILE: an existing file to add instead (keeps its creation out of a profile).
  let file = process.env['TSNIX_LARGE_FILE']
  if (file === undefined) {
    file = join(base, 'big')
    const buf = Buffer.allocUnsafe(64 * 1024 * 1024)
    const fd = openSync(file, 'w')
    for (let off = 0; off < size; off += buf.length) { randomFillSync(buf); writeSync(fd, buf, 0, Math.min(buf.length, size - off)) }
    closeSync(fd)
  }
  // TSNIX_LARGE_REPS: adds in one process, each into a fresh store (as the bench row does).
  for (let rep = 0; rep < Number(process.env['TSNIX_LARGE_REPS'] ?? 1); rep++) {
    const conf = `store = local?root=${join(base, `root-${rep}`)}\nrequire-sigs = false\n${process.env['TSNIX_LARGE_FSYNC'] ? '' : 'fsync-store-paths = false\n'}`
    const { settings, locations } = loadSettings({ env: { NIX_CONFIG: conf }, isRoot: process.getuid?.() === 0, readFile: () => undefined })
    const store = await openLocalStore({ locations, settings })
    const ctx: OpContext = {
      trusted: true, logger: nullLogger, clientId: 'bench',
      settings: { keepFailed: false, keepGoing: false, tryFallback: false, maxBuildJobs: 1, maxSilentTime: 0, buildCores: 1, useSubstitutes: false, overrides: new Map() },
    }
    const c0 = process.cpuUsage()
    const t0 = performance.now()
    const info = await store.addToStore(ctx, 'big', { method: 'nar', algo: 'sha256' }, [], dumpPath(file), false)
    const s = (performance.now() - t0) / 1000
    const c = process.cpuUsage(c0)
    console.log(`${info.narHash.toString()} ${(size / 1048576 / s).toFixed(0)} MiB/s (${s.toFixed(3)} s; cpu ${(c.user / 1e6).toFixed(2)} user + ${(c.system / 1e6).toFixed(2)} sys, all threads)`)
    await store.close()
  }
} finally {
  spawnSync('chmod', ['-R', 'u+w', base])
  rmSync(base, { recursive: true, force: true })
}

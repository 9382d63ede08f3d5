/**
 * Adds one large random file with LocalStore.addToStore and prints the time and the CPU of all
 * threads (a profiling aid for the `large` store bench row: run under `node --cpu-prof
 * dist/bench/_large-add-profile.js` or `perf record`). Env: TSNIX_LARGE_MIB (default 512),
 * TSNIX_LARGE_DIR (default os.tmpdir()), TSNIX_LARGE_FILE (add this file instead),
 * TSNIX_LARGE_REPS (adds in one process, each into a fresh store), TSNIX_LARGE_FSYNC=1
 * (keep `fsync-store-paths`; default off).
 */
import { randomFillSync } from 'node:crypto'
import { closeSync, mkdtempSync, openSync, statSync, writeSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { dumpPath } from '../src/nar/index.js'
import { openProfileStore, profileCtx, wipe } from './_store-profile.js'

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
    const store = await openProfileStore(join(base, `root-${rep}`), Boolean(process.env['TSNIX_LARGE_FSYNC']))
    const c0 = process.cpuUsage()
    const t0 = performance.now()
    const info = await store.addToStore(profileCtx, 'big', { method: 'nar', algo: 'sha256' }, [], dumpPath(file), false)
    const s = (performance.now() - t0) / 1000
    const c = process.cpuUsage(c0)
    console.log(`${info.narHash.toString()} ${(size / 1048576 / s).toFixed(0)} MiB/s (${s.toFixed(3)} s; cpu ${(c.user / 1e6).toFixed(2)} user + ${(c.system / 1e6).toFixed(2)} sys, all threads)`)
    await store.close()
  }
} finally {
  wipe(base)
}

/**
 * Adds 1000 small files with LocalStore.addToStore, 16 at a time, as the `add` store bench row
 * does, and prints wall and CPU seconds (a profiling aid: `node --cpu-prof
 * dist/bench/_small-add-profile.js`). Env: TSNIX_SMALL_DIR (default os.tmpdir()),
 * TSNIX_SMALL_FSYNC=0 (`fsync-store-paths = false`), TSNIX_SMALL_REPS (default 3, a fresh store each).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { spawnSync } from 'node:child_process'
import { nullLogger } from '../src/logger.js'
import { dumpPath } from '../src/nar/index.js'
import { loadSettings } from '../src/settings/index.js'
import { openLocalStore, type OpContext } from '../src/store/index.js'
import { mapLimit } from '../src/store/concurrency.js'

const base = mkdtempSync(join(process.env['TSNIX_SMALL_DIR'] ?? tmpdir(), 'small-add-'))
const ctx: OpContext = {
  trusted: true, logger: nullLogger, clientId: 'bench',
  settings: { keepFailed: false, keepGoing: false, tryFallback: false, maxBuildJobs: 1, maxSilentTime: 0, buildCores: 1, useSubstitutes: false, overrides: new Map() },
}
try {
  const files: string[] = []
  for (let i = 0; i < 1000; i++) {
    const f = join(base, `f${i}`)
    writeFileSync(f, `small file number ${i}\n`.repeat(1 + (i % 7)))
    files.push(f)
  }
  for (let rep = 0; rep < Number(process.env['TSNIX_SMALL_REPS'] ?? 3); rep++) {
    const conf = `store = local?root=${join(base, `root-${rep}`)}\nrequire-sigs = false\n${process.env['TSNIX_SMALL_FSYNC'] === '0' ? 'fsync-store-paths = false\n' : ''}`
    const { settings, locations } = loadSettings({ env: { NIX_CONFIG: conf }, isRoot: process.getuid?.() === 0, readFile: () => undefined })
    const store = await openLocalStore({ locations, settings })
    const c0 = process.cpuUsage()
    const t0 = performance.now()
    await mapLimit(files, 16, f => store.addToStore(ctx, f.slice(f.lastIndexOf('/') + 1), { method: 'nar', algo: 'sha256' }, [], dumpPath(f, { chunkSize: 64 * 1024 }), false))
    const s = (performance.now() - t0) / 1000
    const c = process.cpuUsage(c0)
    console.log(`${s.toFixed(3)} s wall, ${((c.user + c.system) / 1e6).toFixed(3)} s cpu`)
    await store.close()
  }
} finally {
  spawnSync('chmod', ['-R', 'u+w', base])
  rmSync(base, { recursive: true, force: true })
}

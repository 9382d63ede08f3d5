/**
 * Export/import profiling aid for the `export` store bench rows: adds N small paths (as
 * bench/store.ts does) into a private store, then times exportPaths → file and importPaths of
 * that file into fresh stores, REPS times each, printing wall and CPU seconds per repetition.
 * Run under `node --cpu-prof dist/bench/_export-profile.js` to see where the time goes.
 * Env: TSNIX_EXP_N (1000), TSNIX_EXP_REPS (5), TSNIX_EXP_STEPS (export,import),
 * TSNIX_EXP_FSYNC=0 (fsync-store-paths = false), TSNIX_EXP_DIR (os.tmpdir()).
 */
import { closeSync, createReadStream, mkdtempSync, openSync, rmSync, writeFileSync, writeSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { spawnSync } from 'node:child_process'
import { nullLogger } from '../src/logger.js'
import { dumpPath } from '../src/nar/index.js'
import { loadSettings } from '../src/settings/index.js'
import { type LocalStore, openLocalStore, type OpContext } from '../src/store/index.js'
import { mapLimit } from '../src/store/concurrency.js'

const n = Number(process.env['TSNIX_EXP_N'] ?? 1000)
const reps = Number(process.env['TSNIX_EXP_REPS'] ?? 5)
const steps = (process.env['TSNIX_EXP_STEPS'] ?? 'export,import').split(',')
const fsync = process.env['TSNIX_EXP_FSYNC'] !== '0'
const base = mkdtempSync(join(process.env['TSNIX_EXP_DIR'] ?? tmpdir(), 'export-prof-'))
const ctx: OpContext = {
  trusted: true, logger: nullLogger, clientId: 'bench',
  settings: { keepFailed: false, keepGoing: false, tryFallback: false, maxBuildJobs: 1, maxSilentTime: 0, buildCores: 1, useSubstitutes: false, overrides: new Map() },
}
async function openAt(root: string): Promise<LocalStore> {
  const conf = `store = local?root=${root}\nrequire-sigs = false\n${fsync ? '' : 'fsync-store-paths = false\n'}`
  const { settings, locations } = loadSettings({ env: { NIX_CONFIG: conf }, isRoot: process.getuid?.() === 0, readFile: () => undefined })
  return openLocalStore({ locations, settings })
}
function wipe(p: string): void { spawnSync('chmod', ['-R', 'u+w', p]); rmSync(p, { recursive: true, force: true }) }
function report(what: string, t0: number, c0: NodeJS.CpuUsage): void {
  const c = process.cpuUsage(c0)
  console.log(`${what}: wall ${((performance.now() - t0) / 1000).toFixed(3)} s, user ${(c.user / 1e6).toFixed(3)} s, sys ${(c.system / 1e6).toFixed(3)} s`)
}
try {
  const files: string[] = []
  for (let i = 0; i < n; i++) { const f = join(base, `f${i}`); writeFileSync(f, `small file number ${i}\n`.repeat(1 + (i % 7))); files.push(f) }
  const store = await openAt(join(base, 'src'))
  const paths = (await mapLimit(files, 16, f => store.addToStore(ctx, f.slice(f.lastIndexOf('/') + 1), { method: 'nar', algo: 'sha256' }, [], dumpPath(f, { chunkSize: 64 * 1024 }), false))).map(i => i.path)
  const out = join(base, 'out.export')
  for (let rep = 0; rep < reps; rep++) {
    const t0 = performance.now(), c0 = process.cpuUsage()
    const fd = openSync(out, 'w')
    try { for await (const c of store.exportPaths(paths)) writeSync(fd, c) } finally { closeSync(fd) }
    if (steps.includes('export')) report(`export ${n}`, t0, c0)
  }
  await store.close()
  if (steps.includes('import')) {
    for (let rep = 0; rep < reps; rep++) {
      const root = join(base, `imp-${rep}`)
      const s2 = await openAt(root)
      const t0 = performance.now(), c0 = process.cpuUsage()
      await s2.importPaths(ctx, createReadStream(out, { highWaterMark: 1024 * 1024 }))
      report(`import ${n}`, t0, c0)
      await s2.close()
      wipe(root)
    }
  }
} finally {
  wipe(base)
}

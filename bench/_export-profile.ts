/**
 * Export/import profiling aid for the `export` store bench rows: adds N small paths (as
 * bench/store.ts does) into a private store, then times exportPaths → file and importPaths of
 * that file into fresh stores, REPS times each, printing wall and CPU seconds per repetition.
 * Run under `node --cpu-prof dist/bench/_export-profile.js` to see where the time goes
 * (`TSNIX_EXP_STEPS=import` for the import alone).
 * Env: TSNIX_EXP_N (1000), TSNIX_EXP_REPS (5), TSNIX_EXP_STEPS (export,import),
 * TSNIX_EXP_FSYNC=0 (fsync-store-paths = false), TSNIX_EXP_DIR (os.tmpdir()).
 */
import { closeSync, createReadStream, mkdtempSync, openSync, writeSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { addSmallFiles, openProfileStore, profileCtx, reportWallCpu, wipe, writeSmallFiles } from './_store-profile.js'

const n = Number(process.env['TSNIX_EXP_N'] ?? 1000)
const reps = Number(process.env['TSNIX_EXP_REPS'] ?? 5)
const steps = (process.env['TSNIX_EXP_STEPS'] ?? 'export,import').split(',')
const fsync = process.env['TSNIX_EXP_FSYNC'] !== '0'
const base = mkdtempSync(join(process.env['TSNIX_EXP_DIR'] ?? tmpdir(), 'export-prof-'))
try {
  const store = await openProfileStore(join(base, 'src'), fsync)
  const paths = await addSmallFiles(store, writeSmallFiles(base, n))
  const out = join(base, 'out.export')
  const exportOnce = async (): Promise<void> => {
    const fd = openSync(out, 'w')
    try { for await (const c of store.exportPaths(paths)) writeSync(fd, c) } finally { closeSync(fd) }
  }
  if (steps.includes('export')) for (let rep = 0; rep < reps; rep++) await reportWallCpu(`export ${n}`, exportOnce)
  else await exportOnce()
  await store.close()
  if (steps.includes('import')) {
    for (let rep = 0; rep < reps; rep++) {
      const root = join(base, `imp-${rep}`)
      const s2 = await openProfileStore(root, fsync)
      await reportWallCpu(`import ${n}`, () => s2.importPaths(profileCtx, createReadStream(out, { highWaterMark: 1024 * 1024 })))
      await s2.close()
      wipe(root)
    }
  }
} finally {
  wipe(base)
}

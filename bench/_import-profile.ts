/**
 * Imports an export of 1000 small paths (made once, untimed) into fresh stores, as the `export`
 * store bench row's import does, printing wall and CPU seconds (a profiling aid: `node
 * --cpu-prof dist/bench/_import-profile.js`). Env: TSNIX_IMPORT_DIR (default os.tmpdir()),
 * TSNIX_IMPORT_FSYNC=0 (`fsync-store-paths = false`), TSNIX_IMPORT_REPS (default 3).
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

const base = mkdtempSync(join(process.env['TSNIX_IMPORT_DIR'] ?? tmpdir(), 'import-'))
const ctx: OpContext = {
  trusted: true, logger: nullLogger, clientId: 'bench',
  settings: { keepFailed: false, keepGoing: false, tryFallback: false, maxBuildJobs: 1, maxSilentTime: 0, buildCores: 1, useSubstitutes: false, overrides: new Map() },
}
const open = (root: string, fsync: boolean): Promise<LocalStore> => {
  const conf = `store = local?root=${root}\nrequire-sigs = false\n${fsync ? '' : 'fsync-store-paths = false\n'}`
  const { settings, locations } = loadSettings({ env: { NIX_CONFIG: conf }, isRoot: process.getuid?.() === 0, readFile: () => undefined })
  return openLocalStore({ locations, settings })
}
try {
  const files: string[] = []
  for (let i = 0; i < 1000; i++) {
    const f = join(base, `f${i}`)
    writeFileSync(f, `small file number ${i}\n`.repeat(1 + (i % 7)))
    files.push(f)
  }
  const src = await open(join(base, 'src'), false)
  const paths = (await mapLimit(files, 16, f => src.addToStore(ctx, f.slice(f.lastIndexOf('/') + 1), { method: 'nar', algo: 'sha256' }, [], dumpPath(f), false))).map(i => i.path)
  const exportFile = join(base, 'export')
  const fd = openSync(exportFile, 'w')
  for await (const c of src.exportPaths(paths)) writeSync(fd, c)
  closeSync(fd)
  await src.close()
  for (let rep = 0; rep < Number(process.env['TSNIX_IMPORT_REPS'] ?? 3); rep++) {
    const store = await open(join(base, `root-${rep}`), process.env['TSNIX_IMPORT_FSYNC'] !== '0')
    const c0 = process.cpuUsage()
    const t0 = performance.now()
    await store.importPaths(ctx, createReadStream(exportFile, { highWaterMark: 1024 * 1024 }))
    const s = (performance.now() - t0) / 1000
    const c = process.cpuUsage(c0)
    console.log(`${s.toFixed(3)} s wall, ${((c.user + c.system) / 1e6).toFixed(3)} s cpu`)
    await store.close()
  }
} finally {
  spawnSync('chmod', ['-R', 'u+w', base])
  rmSync(base, { recursive: true, force: true })
}

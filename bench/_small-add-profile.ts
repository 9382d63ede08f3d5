/**
 * Adds 1000 small files with LocalStore.addToStore, 16 at a time, as the `add` store bench row
 * does, and prints wall and CPU seconds (a profiling aid: `node --cpu-prof
 * dist/bench/_small-add-profile.js`). Env: TSNIX_SMALL_DIR (default os.tmpdir()),
 * TSNIX_SMALL_FSYNC=0 (`fsync-store-paths = false`), TSNIX_SMALL_REPS (default 3, a fresh store each).
 */
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { addSmallFiles, openProfileStore, reportWallCpu, wipe, writeSmallFiles } from './_store-profile.js'

const base = mkdtempSync(join(process.env['TSNIX_SMALL_DIR'] ?? tmpdir(), 'small-add-'))
try {
  const files = writeSmallFiles(base, 1000)
  for (let rep = 0; rep < Number(process.env['TSNIX_SMALL_REPS'] ?? 3); rep++) {
    const store = await openProfileStore(join(base, `root-${rep}`), process.env['TSNIX_SMALL_FSYNC'] !== '0')
    await reportWallCpu(`add ${files.length}`, () => addSmallFiles(store, files))
    await store.close()
  }
} finally {
  wipe(base)
}

/**
 * Crash recovery: every container's work directory (`builds/<id>`, `slots/<id>`) holds an
 * `owner` file with the pid of the tsnix process that runs it. A runner starting on the same
 * root kills and deletes containers whose owner is gone and removes their directories, so a
 * crashed daemon leaves no builds running and no scratch behind.
 */
import { readdir, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { Runc } from './runc.js'
import { pidAlive } from './uid-pool.js'

export function writeOwner(workDir: string): Promise<void> {
  return writeFile(join(workDir, 'owner'), String(process.pid), { mode: 0o600 })
}

async function ownerAlive(dir: string): Promise<boolean> {
  try {
    const pid = Number(await readFile(join(dir, 'owner'), 'utf8'))
    return Number.isInteger(pid) && pid > 0 && (pid === process.pid || pidAlive(pid))
  } catch {
    // No owner file yet: a runner is between mkdir and writeOwner, unless the dir is old.
    try { return Date.now() - (await stat(dir)).mtimeMs < 60_000 } catch { return false }
  }
}

/** Remove containers and work dirs under `root` whose owner process is gone; returns their ids. */
export async function reapStale(root: string, runc: Runc): Promise<string[]> {
  const reaped: string[] = []
  for (const sub of ['builds', 'slots']) {
    let ids: string[]
    try { ids = await readdir(join(root, sub)) } catch { continue }
    for (const id of ids) {
      const dir = join(root, sub, id)
      if (await ownerAlive(dir)) continue
      await runc.destroy(id).catch(() => undefined)
      await rm(dir, { recursive: true, force: true })
      reaped.push(id)
    }
  }
  return reaped
}

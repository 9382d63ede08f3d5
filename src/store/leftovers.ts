/**
 * What a crash can leave behind, and cleaning it up when the store is opened. Writers never
 * put anything half-done under a final name: a path is materialised under a hidden sibling
 * (`.<base>.tmp-<hex>`, or `.<base>.new-<hex>` / `.<base>.old-<hex>` when a copy is replaced)
 * and castore objects under `<castore>/tmp/<pid>-<hex>`, then renamed. Those hidden names are
 * removed here once nobody can still be writing them: a store-directory entry when the lock of
 * the path it belongs to is free (writers hold it), a castore temp file when the process named
 * in it is gone.
 */
import { readdir, unlink } from 'node:fs/promises'
import { removeTree } from '../castore/index.js'
import { PathLocks } from '../os/index.js'

const TEMP_ENTRY = /^\.+([0-9a-df-np-sv-z]{32}-[^/]+?)\.(?:tmp|new|old)-[0-9a-f]+(?:\.tmp-[0-9a-f]+)?$/

/** The store path base name a hidden temporary entry of the store directory belongs to. */
export function tempEntryOwner(name: string): string | undefined {
  return TEMP_ENTRY.exec(name)?.[1]
}

export interface CleanupStats { storeEntries: number; castoreFiles: number }

/** Remove leftovers of crashed writers (see above); entries still in use are left alone. */
export async function cleanLeftovers(realStoreDir: string, castoreTmpDir: string | undefined): Promise<CleanupStats> {
  const stats: CleanupStats = { storeEntries: 0, castoreFiles: 0 }
  let names: string[] = []
  try { names = await readdir(realStoreDir) } catch { /* no store yet */ }
  for (const name of names) {
    const owner = tempEntryOwner(name)
    if (owner === undefined) continue
    const locks = await PathLocks.acquire([`${realStoreDir}/${owner}`], { wait: false })
    if (!locks) continue // being written right now
    try {
      await removeTree(`${realStoreDir}/${name}`)
      stats.storeEntries++
    } finally {
      await locks.release()
    }
  }
  if (castoreTmpDir !== undefined) {
    let tmp: string[] = []
    try { tmp = await readdir(castoreTmpDir) } catch { /* none */ }
    for (const name of tmp) {
      const pid = Number(/^([0-9]+)-/.exec(name)?.[1])
      if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid || alive(pid)) continue
      await unlink(`${castoreTmpDir}/${name}`).catch(() => undefined)
      stats.castoreFiles++
    }
  }
  return stats
}

function alive(pid: number): boolean {
  try { process.kill(pid, 0); return true } catch (e) { return (e as NodeJS.ErrnoException).code === 'EPERM' }
}

/**
 * Making directory entries durable: open, fsync and close each directory. Where the native
 * addon has `syncDirs`, all of them in one thread-pool task (node:fs takes three round trips
 * per directory); after a failure every one is synced again through node:fs, which meets the
 * error again and words it as ever. TSNIX_CASTORE_NATIVE=0 turns the native call off (it came
 * with the castore's object calls, whose switch it shares).
 */
import { open } from 'node:fs/promises'
import { nativeCalls } from './native.js'

let syncDirsCall: ((paths: readonly string[]) => Promise<number>) | null | undefined

/** fsync each of `dirs` (`native: false`: through node:fs only). */
export async function syncDirs(dirs: readonly string[], native = true): Promise<void> {
  if (dirs.length === 0) return
  if (native) {
    syncDirsCall ??= nativeCalls('TSNIX_CASTORE_NATIVE', 'syncDirs')?.syncDirs ?? null
    if (syncDirsCall !== null && (await syncDirsCall(dirs)) === 0) return
  }
  await Promise.all(dirs.map(async (dir) => {
    const fh = await open(dir, 'r')
    try { await fh.sync() } finally { await fh.close() }
  }))
}

/**
 * Remove a store path's files (the physical copy), returning the bytes freed the way C++ Nix
 * counts them (`deletePath`): regular files and symlinks with one or two links count their
 * size (two links = probably an optimised store's `.links` copy), more links count nothing.
 * Store directories are read-only (0555), so each is made writable before it is emptied.
 */
import { chmodSync, lstatSync, readdirSync, rmdirSync, unlinkSync } from 'node:fs'
import { chmod, lstat, readdir, rmdir, unlink } from 'node:fs/promises'

export async function deletePathCounting(path: string): Promise<bigint> {
  let st
  try { st = await lstat(path, { bigint: true }) } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return 0n
    throw e
  }
  let freed = 0n
  if (st.isDirectory()) {
    if ((st.mode & 0o200n) === 0n) await chmod(path, Number(st.mode & 0o7777n) | 0o700)
    for (const name of await readdir(path)) freed += await deletePathCounting(`${path}/${name}`)
    await rmdir(path)
  } else {
    if (st.nlink === 1n || st.nlink === 2n) freed += st.size
    await unlink(path)
  }
  return freed
}

/**
 * `deletePathCounting` with synchronous calls: the collector deletes many small paths in a
 * row, where a thread-pool round trip per lstat/unlink costs more than the calls themselves
 * (it yields to the event loop between batches of paths instead).
 */
export function deletePathCountingSync(path: string): bigint {
  const st = lstatSync(path, { bigint: true, throwIfNoEntry: false })
  if (st === undefined) return 0n
  let freed = 0n
  if (st.isDirectory()) {
    if ((st.mode & 0o200n) === 0n) chmodSync(path, Number(st.mode & 0o7777n) | 0o700)
    for (const name of readdirSync(path)) freed += deletePathCountingSync(`${path}/${name}`)
    rmdirSync(path)
  } else {
    if (st.nlink === 1n || st.nlink === 2n) freed += st.size
    unlinkSync(path)
  }
  return freed
}

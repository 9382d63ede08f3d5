/** Small filesystem helpers for moving build outputs around (adapters, no policy). */
import { chmod, lstat, readdir, rename, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'
import { canonicalise } from '../sandbox/index.js'
import { dumpPath, restorePath } from '../nar/index.js'
import { rewriteHashes } from '../store-path/index.js'

export async function exists(p: string): Promise<boolean> {
  try { await lstat(p); return true } catch { return false }
}

/** Delete a tree even where store canonicalisation made directories read-only. */
export async function deleteTree(p: string): Promise<void> {
  try {
    await rm(p, { recursive: true, force: true })
  } catch {
    await makeWritable(p)
    await rm(p, { recursive: true, force: true })
  }
}

async function makeWritable(p: string): Promise<void> {
  let st
  try { st = await lstat(p) } catch { return }
  if (!st.isDirectory()) return
  await chmod(p, 0o755).catch(() => undefined)
  for (const n of await readdir(p).catch(() => [] as string[])) await makeWritable(join(p, n))
}

/**
 * Move `from` to `to` (same filesystem: one rename, whatever the size). Directories need
 * to be writable to change their `..`, so a read-only directory is opened up for the
 * rename and closed again.
 */
export async function movePath(from: string, to: string): Promise<void> {
  const st = await lstat(from)
  const ro = st.isDirectory() && (st.mode & 0o200) === 0
  if (ro) await chmod(from, st.mode | 0o200)
  try {
    await rename(from, to)
  } finally {
    if (ro) await chmod(to, st.mode & 0o7777).catch(() => undefined)
  }
}

/**
 * Replace hash parts inside a tree (C++ `rewriteOutput`): the tree is dumped through the
 * rewriter and restored next to itself, then swapped in; the result is canonical again.
 */
export async function rewriteTree(path: string, rewrites: ReadonlyMap<string, string>): Promise<void> {
  const tmp = `${path}.rewrite-${randomBytes(4).toString('hex')}`
  await restorePath(tmp, rewriteHashes(dumpPath(path), rewrites))
  await canonicalise(tmp)
  await deleteTree(path)
  await movePath(tmp, path)
}

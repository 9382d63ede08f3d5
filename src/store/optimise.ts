/**
 * `nix-store --optimise` (C++ `LocalStore::optimiseStore`). tsnix materialises paths as hard
 * links into castore already, so there is usually nothing to gain; paths that are not linked
 * (adopted from C++ Nix, or materialised without links) are adopted into castore and their
 * files replaced one at a time (link to a temporary name, then rename over the file, so readers
 * never miss a file) with links to castore's copies.
 */
import { Verbosity } from '../logger.js'
import type { LocalStore } from './local-store.js'
import type { OpContext } from './types.js'
import { relinkTree } from './relink.js'

export async function optimiseStore(store: LocalStore, ctx: OpContext): Promise<void> {
  let bytesFreed = 0
  let filesLinked = 0
  for (const path of await store.queryAllValidPaths()) {
    ctx.signal?.throwIfAborted()
    let root
    try { root = (await store.castoreRoot(path)) ?? (await store.adopt(path)) } catch (e) {
      ctx.logger.warn(`skipping '${store.storeDir.print(path)}': ${(e as Error).message}`)
      continue
    }
    const r = await relinkTree(store.realPath(path), root, store.internals.blobs, store.internals.dirs, store.internals.linkDir)
    bytesFreed += r.bytesFreed
    filesLinked += r.filesLinked
  }
  ctx.logger.log(Verbosity.Info, `${(bytesFreed / (1024 * 1024)).toFixed(2)} MiB freed by hard-linking ${filesLinked} files`)
}

/**
 * Replace the regular files of a materialised path that are not hard links (nlink 1) with hard
 * links to castore's copies, one file at a time: link under a temporary name in the same
 * directory (castore's `materialise` of the single file node does that), then rename over the
 * file. The directory is made writable for the moment and restored to 0555 / mtime 1.
 */
import { chmod, lstat, rename, utimes } from 'node:fs/promises'
import { materialise, type BlobService, type DirectoryService, type Node } from '../castore/index.js'

const dec = new TextDecoder()

export async function relinkTree(realPath: string, root: Node, blobs: BlobService, dirs: DirectoryService, linkDir: string): Promise<{ bytesFreed: number; filesLinked: number }> {
  let bytesFreed = 0
  let filesLinked = 0
  const visit = async (path: string, node: Node, parentDir: string | undefined): Promise<void> => {
    if (node.kind === 'directory') {
      const dir = await dirs.get(node.digest)
      if (!dir) return
      for (const e of dir.entries()) await visit(`${path}/${dec.decode(e.name)}`, e.node, path)
      return
    }
    if (node.kind !== 'file' || parentDir === undefined) return
    const st = await lstat(path).catch(() => undefined)
    if (!st || !st.isFile() || st.nlink !== 1 || BigInt(st.size) !== node.size) return
    const tmp = `${parentDir}/.tmp-link-${process.pid}-${Math.random().toString(36).slice(2)}`
    const dst = await lstat(parentDir)
    await chmod(parentDir, 0o755)
    try {
      await materialise(node, tmp, blobs, dirs, { hardLinks: true, linkDir, fsync: false })
      const linked = await lstat(tmp)
      if (linked.nlink > 1) {
        await rename(tmp, path)
        bytesFreed += st.size
        filesLinked++
      } else {
        const { unlink } = await import('node:fs/promises')
        await unlink(tmp)
      }
    } finally {
      await chmod(parentDir, dst.mode & 0o7777)
      await utimes(parentDir, 1, 1)
    }
  }
  await visit(realPath, root, undefined)
  return { bytesFreed, filesLinked }
}

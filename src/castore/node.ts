import type { B3Digest } from './digest.js'
import { InvalidSizeError } from './errors.js'
import { toBytes, validateSymlinkTarget } from './names.js'

export const U64_MAX = (1n << 64n) - 1n

/** A child directory, by the digest of its `Directory` and that directory's `size`. */
export interface DirectoryNode { readonly kind: 'directory'; readonly digest: B3Digest; readonly size: bigint }
/** A regular file: the BLAKE3 of its contents, its length, and the executable bit. */
export interface FileNode { readonly kind: 'file'; readonly digest: B3Digest; readonly size: bigint; readonly executable: boolean }
/** A symlink and its target (1–4095 bytes, no NUL). */
export interface SymlinkNode { readonly kind: 'symlink'; readonly target: Uint8Array }

/** A castore node without its name (tvix `castore::Node`). */
export type Node = DirectoryNode | FileNode | SymlinkNode

/** A named node, as found in a Directory or as a root (tvix proto `Node` / snix `Entry`). */
export interface Entry<N extends Node = Node> { readonly name: Uint8Array; readonly node: N }

function checkU64(n: bigint | number, what: string): bigint {
  const v = BigInt(n)
  if (v < 0n || v > U64_MAX) throw new InvalidSizeError(what, v)
  return v
}

export function directoryNode(digest: B3Digest, size: bigint | number): DirectoryNode {
  return { kind: 'directory', digest, size: checkU64(size, 'directory size') }
}

export function fileNode(digest: B3Digest, size: bigint | number, executable = false): FileNode {
  return { kind: 'file', digest, size: checkU64(size, 'file size'), executable }
}

export function symlinkNode(target: string | Uint8Array): SymlinkNode {
  const t = toBytes(target)
  validateSymlinkTarget(t)
  return { kind: 'symlink', target: t }
}

export function nodesEqual(a: Node, b: Node): boolean {
  switch (a.kind) {
    case 'directory': return b.kind === 'directory' && a.digest.equals(b.digest) && a.size === b.size
    case 'file': return b.kind === 'file' && a.digest.equals(b.digest) && a.size === b.size && a.executable === b.executable
    case 'symlink': return b.kind === 'symlink' && Buffer.compare(a.target, b.target) === 0
  }
}

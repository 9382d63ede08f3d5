/**
 * Read access to the file system objects the evaluator copies into the store (C++
 * `SourceAccessor`): `lstat`, file contents, directory entries and symlink targets, by absolute
 * path. Paths are binary strings (one char per byte), as everywhere in the evaluator.
 *
 * `nodeSource` reads the real file system; `memorySource` serves an in-memory tree for tests.
 */
import { lstatSync, readdirSync, readFileSync, readlinkSync, realpathSync } from 'node:fs'
import { EvalError } from '../eval/errors.js'
import type { FileType } from '../eval/io.js'

export interface SourceStat {
  readonly type: FileType
  /** Regular files only: any executable bit set. */
  readonly executable: boolean
}

export interface SourceAccessor {
  /** Throws an EvalError "path '…' does not exist" when missing. */
  lstat(path: string): SourceStat
  readFile(path: string): Uint8Array
  /** Entry names (any order). */
  readDir(path: string): string[]
  readLink(path: string): string
  /** Resolve symlinks in every component but the last (C++ `SymlinkResolution::Ancestors`). */
  resolveAncestors(path: string): string
  /** Resolve symlinks in every component (C++ `SymlinkResolution::Full`). */
  resolveFull(path: string): string
}

const fsPath = (p: string): Buffer => Buffer.from(p, 'latin1')

function missing(path: string): EvalError {
  return new EvalError(`path '${path}' does not exist`)
}

function ioFailure(path: string, e: unknown): EvalError {
  const code = (e as { code?: string }).code
  if (code === 'ENOENT' || code === 'ENOTDIR') return missing(path)
  return new EvalError(`reading '${path}': ${(e as Error).message}`)
}

export const nodeSource: SourceAccessor = {
  lstat(path) {
    let st
    try { st = lstatSync(fsPath(path)) } catch (e) { throw ioFailure(path, e) }
    const type: FileType = st.isFile() ? 'regular' : st.isDirectory() ? 'directory' : st.isSymbolicLink() ? 'symlink' : 'unknown'
    // the owner's execute bit only, as C++ dumpPath (a file with mode 611 is not executable)
    return { type, executable: type === 'regular' && (st.mode & 0o100) !== 0 }
  },
  readFile(path) {
    try { return readFileSync(fsPath(path)) } catch (e) { throw ioFailure(path, e) }
  },
  readDir(path) {
    try { return readdirSync(fsPath(path), { encoding: 'buffer' }).map(b => b.toString('latin1')) } catch (e) { throw ioFailure(path, e) }
  },
  readLink(path) {
    try { return readlinkSync(fsPath(path), { encoding: 'buffer' }).toString('latin1') } catch (e) { throw ioFailure(path, e) }
  },
  resolveAncestors(path) {
    const i = path.lastIndexOf('/')
    if (i <= 0) return path
    try {
      const parent = realpathSync(fsPath(path.slice(0, i)), { encoding: 'buffer' }).toString('latin1')
      return (parent === '/' ? '' : parent) + path.slice(i)
    } catch {
      return path
    }
  },
  resolveFull(path) {
    try { return realpathSync(fsPath(path), { encoding: 'buffer' }).toString('latin1') } catch { return path }
  },
}

/** A node of an in-memory tree: file contents, `{ dir: … }`, `{ link: target }`, `{ exec: contents }`. */
export type MemoryNode = string | Uint8Array | { readonly exec: string | Uint8Array } | { readonly link: string } | { readonly dir: Record<string, MemoryNode> }

/** An in-memory tree mounted at absolute paths (tests). */
export function memorySource(mounts: Record<string, MemoryNode>): SourceAccessor {
  const find = (path: string): MemoryNode => {
    for (const [root, node] of Object.entries(mounts)) {
      if (path !== root && !path.startsWith(root === '/' ? '/' : root + '/')) continue
      let cur: MemoryNode = node
      for (const part of path.slice(root.length).split('/').filter(Boolean)) {
        if (typeof cur !== 'object' || !('dir' in cur)) throw missing(path)
        const next: MemoryNode | undefined = cur.dir[part]
        if (next === undefined) throw missing(path)
        cur = next
      }
      return cur
    }
    throw missing(path)
  }
  const bytes = (c: string | Uint8Array): Uint8Array => (typeof c === 'string' ? Buffer.from(c, 'latin1') : c)
  return {
    lstat(path) {
      const n = find(path)
      if (typeof n === 'string' || n instanceof Uint8Array) return { type: 'regular', executable: false }
      if ('exec' in n) return { type: 'regular', executable: true }
      if ('link' in n) return { type: 'symlink', executable: false }
      return { type: 'directory', executable: false }
    },
    readFile(path) {
      const n = find(path)
      if (typeof n === 'string' || n instanceof Uint8Array) return bytes(n)
      if ('exec' in n) return bytes(n.exec)
      throw new EvalError(`'${path}' is not a regular file`)
    },
    readDir(path) {
      const n = find(path)
      if (typeof n === 'object' && 'dir' in n) return Object.keys(n.dir)
      throw new EvalError(`'${path}' is not a directory`)
    },
    readLink(path) {
      const n = find(path)
      if (typeof n === 'object' && 'link' in n) return n.link
      throw new EvalError(`'${path}' is not a symlink`)
    },
    resolveAncestors: path => path,
    resolveFull(path) {
      let p = path
      for (let i = 0; i < 40; i++) {
        const n = find(p)
        if (typeof n !== 'object' || !('link' in n)) return p
        p = n.link.startsWith('/') ? n.link : `${p.slice(0, p.lastIndexOf('/')) || '/'}/${n.link}`
      }
      return p
    },
  }
}

/**
 * Nix's `canonicalisePathMetaData` (posix-fs-canonicalise.cc) for a build output left in the
 * scratch store: regular files, directories and symlinks only; mode 0444, or 0555 when the
 * owner could execute (setuid/setgid/sticky dropped); mtime 1 (atime kept); owned by us;
 * files owned by anyone but the builder are rejected unless they are hard links to an inode
 * already canonicalised in this build (`touch $out/a; ln $out/a $out/b`).
 *
 * Extended attributes: Node cannot list or remove them; the helper's `strip-xattrs` does it
 * when given. Sandboxed builders cannot create any (the seccomp filter answers ENOTSUP).
 */
import { execFile } from 'node:child_process'
import { chmod, lchown, lstat, lutimes, readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { CanonicaliseError } from './errors.js'

const execFileP = promisify(execFile)

/** The mtime Nix gives every store file. */
export const MTIME_STORE = 1

export interface CanonicaliseOptions {
  /** Host uid the builder ran as; files owned by another uid are rejected (Nix `uidRange`). */
  buildUid?: number
  /** Inodes already canonicalised in this build (share one set across a build's outputs). */
  inodesSeen?: Set<string>
  /** Owner to give everything (default: our effective uid/gid). */
  uid?: number
  gid?: number
  /** The sandbox helper binary, to strip extended attributes first. */
  helper?: string
}

export async function canonicalise(path: string, opts: CanonicaliseOptions = {}): Promise<void> {
  if (opts.helper) {
    try {
      await execFileP(opts.helper, ['strip-xattrs', path])
    } catch (e) {
      throw new CanonicaliseError(`cannot remove extended attributes under '${path}': ${(e as { stderr?: string }).stderr?.trim() || (e as Error).message}`)
    }
  }
  const uid = opts.uid ?? process.geteuid?.() ?? 0
  const gid = opts.gid ?? process.getegid?.() ?? 0
  await walk(path, opts.buildUid, opts.inodesSeen ?? new Set(), uid, gid)
}

async function walk(path: string, buildUid: number | undefined, seen: Set<string>, uid: number, gid: number): Promise<void> {
  const st = await lstat(path, { bigint: true })
  const isDir = st.isDirectory()
  const isLink = st.isSymbolicLink()
  if (!isDir && !isLink && !st.isFile()) throw new CanonicaliseError(`file '${path}' has an unsupported type`)
  const inode = `${st.dev}:${st.ino}`
  if (buildUid !== undefined && Number(st.uid) !== buildUid) {
    // Ours already (a hard link seen earlier in this build), or a foreign file: reject.
    if (isDir || !seen.has(inode)) throw new CanonicaliseError(`invalid ownership on file '${path}'`)
    return
  }
  seen.add(inode)
  if (!isLink) {
    const mode = Number(st.mode) & 0o7777
    if (mode !== 0o444 && mode !== 0o555) await chmod(path, 0o444 | (mode & 0o100 ? 0o111 : 0))
  }
  // Nix compares whole seconds only.
  if (st.mtimeMs / 1000n !== BigInt(MTIME_STORE)) {
    await lutimes(path, new Date(Number(st.atimeMs)), MTIME_STORE)
  }
  // Like Nix: only a foreign uid triggers the chown (which sets both ids).
  if (Number(st.uid) !== uid) await lchown(path, uid, gid)
  if (isDir) {
    for (const name of await readdir(path)) await walk(join(path, name), buildUid, seen, uid, gid)
  }
}

/**
 * Loads the native addon (native/tsnix.c): the system calls Node lacks. Absent addon → null,
 * and callers degrade explicitly (never by guessing).
 */
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { PeerCredentials } from './peer-credentials.js'

export interface NativeAddon {
  peercred(fd: number): PeerCredentials
  /** 0 unlock, 1 shared, 2 exclusive; non-blocking: false when held elsewhere. */
  flock(fd: number, op: 0 | 1 | 2): boolean
  /**
   * Copy `length` bytes of `inFd` from `position` to `outFd` in the kernel; bytes sent (fewer
   * if the file ended). Throws an Error with `code` (EINVAL: outFd does not take it; EAGAIN).
   * Optional: an addon built before it was added lacks it.
   */
  sendfile?(outFd: number, inFd: number, position: number, length: number): number
  /**
   * A NAR dump's per-file calls in one: open `name` in directory `dirFd` (no symlinks), fstat,
   * read the contents into `into` if they fit, close. size * 2 + 1 if the owner may execute;
   * -1 not a regular file or any error (look again the slow way); -2 shorter than its size.
   * Optional, as `sendfile`.
   */
  readFileAt?(dirFd: number, name: Uint8Array, into: Uint8Array): number
  /**
   * A NAR restore's per-file calls in one: create `name` in directory `dirFd` (O_EXCL, no
   * symlinks, 0666 less the umask), write `data`, add 0111 if `executable` (fstat + fchmod, as
   * C++), close. 0; -1 if it could not be created (nothing done: retry the slow way for the
   * error); with `keepOpen` the fd after writing `data`. Errors after creating throw.
   * Optional, as `sendfile`.
   */
  writeFileAt?(dirFd: number, name: Uint8Array, data: Uint8Array, executable: boolean, keepOpen: boolean): number
  /**
   * A NAR dump's directory walk on the thread pool (see native/tsnix.c): a handle for the
   * directory at `path` (nothing opened yet). Optional, as `sendfile`.
   */
  narWalkOpen?(path: Uint8Array): NativeWalkHandle
  /**
   * One fill: the directory's next entries framed as NAR into `out` (small files' contents and
   * symlink targets included — with `inlineBig` bigger files' too, across fills — anything else
   * left as a hole), described in `meta`; one task on the thread pool. `out` and `meta` must be
   * left alone until it has run. One at a time per handle (else it throws). With `outFd` (not
   * with `inlineBig`), a direct fill: the bytes are written to that fd as they come, up to the
   * directory's end or first hole (native/tsnix.c).
   */
  narWalkFill?(h: NativeWalkHandle, out: Uint8Array, meta: Int32Array, smallMax: number, inlineBig: boolean, outFd?: number): Promise<void>
  /** Whether the handle's fill has run; with `block`, wait until it has (then true). */
  narWalkWait?(h: NativeWalkHandle, block: boolean): boolean
  /** Wait for a running fill, then close the directory and free its listing. */
  narWalkClose?(h: NativeWalkHandle): void
  /**
   * A castore object write in one call: create `tmp` (O_EXCL, 0444 less the umask), write
   * `data`, fdatasync if `fsync`, close, rename onto `target` — making `target`'s directory
   * (mkdir, 0777 less the umask) if it is missing. 0; -1 if it made the directory; or the errno
   * of the step that failed, with `tmp` removed (nothing left: retry the slow way for the
   * error). Optional, as `sendfile`.
   */
  putObject?(tmp: string, target: string, data: Uint8Array, fsync: boolean): number
  /** `putObject` as one thread-pool task (`data` must not change until it settles). */
  putObjectAsync?(tmp: string, target: string, data: Uint8Array, fsync: boolean): Promise<number>
  /**
   * A castore object write that makes one directory entry: an unnamed file in `dir` (O_TMPFILE,
   * 0444 less the umask), `data` written, mtime `mtime` seconds if >= 0, fdatasync if `fsync`,
   * linked in as `target` (linkat refuses an existing name; `target`'s directory is made if
   * missing). 0 stored; -1 stored, its directory made; -2 `target` existed and was touched
   * (as touchObject) instead; or an errno, nothing stored (EOPNOTSUPP, EISDIR, EINVAL: no
   * O_TMPFILE on this filesystem). Optional.
   */
  putObjectAnon?(dir: string, target: string, data: Uint8Array, fsync: boolean, mtime: number): number
  /** `putObjectAnon` as one thread-pool task (`data` must not change until it settles). */
  putObjectAnonAsync?(dir: string, target: string, data: Uint8Array, fsync: boolean, mtime: number): Promise<number>
  /**
   * `putObjectAnon` for each of `targets`/`datas` in order, as one thread-pool task; `results[i]`
   * gets object i's answer (one failing does not stop the rest). Nothing may change until it settles.
   */
  putObjectsAnonAsync?(dir: string, targets: readonly string[], datas: readonly Uint8Array[], fsync: boolean, mtime: number, results: Int32Array): Promise<number>
  /** The first `length` bytes (≤ one page) of `path`, mapped shared and read-only (a WAL-index probe). */
  mapShared?(path: string, length: number): ArrayBuffer
  /** atime to now, mtime kept (ctime refreshed): 1 done, 0 no such file, -errno otherwise. Optional. */
  touchObject?(path: string): number
  /** open + fsync + close each directory in order, one thread-pool task: 0 or the first errno. Optional. */
  syncDirs?(paths: readonly string[]): Promise<number>
  /**
   * An incremental SHA-256 (OpenSSL's, from the running Node) whose updates run on the thread
   * pool. Optional: absent when the addon predates it or OpenSSL's symbols are not found.
   */
  sha256New?(): NativeSha256Handle
  /**
   * Hash `pieces` in order as one thread-pool task, uncopied: they must not change until it
   * settles; 0, or an errno once hashing failed. One at a time per handle (else it throws).
   */
  sha256UpdateAsync?(h: NativeSha256Handle, pieces: readonly Uint8Array[]): Promise<number>
  /** The digest (32 bytes); the handle is finished. Throws while an update runs. */
  sha256Final?(h: NativeSha256Handle): Uint8Array
  /**
   * A connection's next bytes without a turn of the event loop: waits in poll() up to
   * `budgetMs` for `fd` while the loop has nothing else to do, then reads once into `into`.
   * Bytes read; 0 end of input; below 0 not now: -1 another descriptor is ready, -2 the budget
   * passed, -3 the read failed (the stream will report it), -4 work is due now. Optional.
   */
  readWhenReady?(fd: number, into: Uint8Array, budgetMs: number): number
  /** One non-blocking write(): bytes written, or -errno. Optional. */
  writeSome?(fd: number, data: Uint8Array): number
  /** getrusage(RUSAGE_CHILDREN): [user, system] µs of the children reaped so far (benchmarks). Optional. */
  childrenCpu?(): [number, number]
}

/** An opaque native directory walk (narWalkOpen). */
export type NativeWalkHandle = { readonly __brand: 'NativeWalkHandle' }

/** An opaque native SHA-256 context. */
export type NativeSha256Handle = { readonly __brand: 'NativeSha256Handle' }

let addon: NativeAddon | null | undefined

export function nativeAddon(): NativeAddon | null {
  if (addon !== undefined) return addon
  // dist/src/os/native.js → <repo>/native/build/Release/tsnix.node
  const path = process.env['TSNIX_NATIVE_ADDON'] ?? join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'native', 'build', 'Release', 'tsnix.node')
  try {
    addon = createRequire(import.meta.url)(path) as NativeAddon
  } catch {
    addon = null
  }
  return addon
}

/** The addon's calls `names`, bound to it. */
export type NativeCalls<K extends keyof NativeAddon> = { [P in K]-?: NonNullable<NativeAddon[P]> }

/**
 * The optional calls `names`, bound, when the addon is built with all of them and the
 * environment variable `off` is not `0` (each family of native fast paths has such a switch);
 * otherwise null, and the caller takes its node:fs way.
 */
export function nativeCalls<K extends keyof NativeAddon>(off: string, ...names: K[]): NativeCalls<K> | null {
  const a = process.env[off] === '0' ? null : nativeAddon()
  if (a === null) return null
  const out: Partial<Record<K, unknown>> = {}
  for (const n of names) {
    const f = a[n]
    if (typeof f !== 'function') return null
    out[n] = (f as (...args: unknown[]) => unknown).bind(a)
  }
  return out as NativeCalls<K>
}

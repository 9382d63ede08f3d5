/**
 * File locks compatible with C++ Nix (flock(2) on `<path>.lock`, `gc.lock`, temproots), and
 * `PathLocks` with Nix's stale-lock protocol: a holder that deletes its lock file first unlinks
 * it and then writes one byte into it, so a waiter that acquires the lock on a non-empty file
 * knows the file is stale and retries on a fresh one (C++ `PathLocks::lockPaths`).
 *
 * flock() is called non-blocking and waited for by polling with backoff, so the event loop is
 * never blocked. PathLocks opens, checks, marks and removes its lock files with synchronous
 * calls: each is a few µs, where a promise-based call costs a thread-pool round trip (≈ 60 µs
 * idle, milliseconds on a loaded machine) and the daemon takes one lock per path it adds — the
 * lock was a fifth of an import's time. The price: a create or unlink stuck behind a busy
 * filesystem's journal briefly holds up the other connections too (C++ does the same calls,
 * synchronously, in a process per connection).
 */
import { closeSync, fstatSync, openSync, unlinkSync, writeSync } from 'node:fs'
import { open, type FileHandle } from 'node:fs/promises'
import { setTimeout as sleep } from 'node:timers/promises'
import { NixError } from '../errors.js'
import { nativeAddon } from './native.js'

export type LockType = 'none' | 'read' | 'write'
const OP = { none: 0, read: 1, write: 2 } as const

export class LockUnavailableError extends NixError {
  constructor(message: string) { super('ERR_LOCK_UNAVAILABLE', message) }
}

function addonOrThrow() {
  const a = nativeAddon()
  if (!a) throw new LockUnavailableError('file locking needs the native addon (run `node native/build.mjs`)')
  return a
}

/** Try once; true if the lock was taken (or released). */
export function tryLockFd(fd: number, type: LockType): boolean {
  return addonOrThrow().flock(fd, OP[type])
}

/** Take a lock, waiting as long as needed (or until the signal aborts). */
export async function lockFd(fd: number, type: LockType, opts: { signal?: AbortSignal | undefined; onWait?: () => void } = {}): Promise<void> {
  if (tryLockFd(fd, type)) return
  opts.onWait?.()
  let delay = 1
  for (;;) {
    opts.signal?.throwIfAborted()
    await sleep(delay)
    if (tryLockFd(fd, type)) return
    delay = Math.min(delay * 2, 50)
  }
}

export async function openLockFile(path: string, create: boolean): Promise<FileHandle | undefined> {
  try {
    return await open(path, create ? 'a+' : 'r+', 0o600)
  } catch (e) {
    if (!create && (e as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw e
  }
}

/**
 * Whether a freshly locked lock file may be kept: a non-empty one was deleted by its previous
 * holder (who wrote a byte to say so), so its descriptor is closed and the caller retries on a
 * fresh file.
 */
function keepIfFresh(fd: number): boolean {
  if (fstatSync(fd).size === 0) return true
  closeSync(fd)
  return false
}

/** Exclusive locks on `<path>.lock` for a set of paths, taken in sorted order (no deadlocks). */
export class PathLocks {
  private held: Array<{ lockPath: string; fd: number }> = []
  private deleteOnRelease = false

  /**
   * `acquire` without waiting and without the thread pool (a few synchronous calls per path):
   * for a thread that may block, locking many small paths at once. Undefined, holding nothing,
   * if any lock is taken by someone else (the caller then uses `acquire`).
   */
  static tryAcquireSync(paths: Iterable<string>): PathLocks | undefined {
    const locks = new PathLocks()
    try {
      for (const path of [...new Set(paths)].sort()) {
        const lockPath = `${path}.lock`
        for (;;) {
          const fd = openSync(lockPath, 'a+', 0o600)
          if (!tryLockFd(fd, 'write')) { closeSync(fd); locks.releaseSync(); return undefined }
          if (!keepIfFresh(fd)) continue
          locks.held.push({ lockPath, fd })
          break
        }
      }
      return locks
    } catch (e) {
      locks.releaseSync()
      throw e
    }
  }

  /** Lock all; with `wait: false` returns undefined instead of waiting if any is held. */
  static async acquire(paths: Iterable<string>, opts: { wait?: boolean; signal?: AbortSignal | undefined; onWait?: (path: string) => void } = {}): Promise<PathLocks | undefined> {
    if (opts.wait === false) return PathLocks.tryAcquireSync(paths)
    const locks = new PathLocks()
    try {
      for (const path of [...new Set(paths)].sort()) {
        const lockPath = `${path}.lock`
        for (;;) {
          // a plain descriptor (a FileHandle would close it again when collected)
          const fd = openSync(lockPath, 'a+', 0o600)
          if (!tryLockFd(fd, 'write')) {
            try {
              await lockFd(fd, 'write', { signal: opts.signal, onWait: () => opts.onWait?.(path) })
            } catch (e) { closeSync(fd); throw e }
          }
          if (!keepIfFresh(fd)) continue
          locks.held.push({ lockPath, fd })
          break
        }
      }
      return locks
    } catch (e) {
      locks.releaseSync()
      throw e
    }
  }

  /** Delete the lock files when releasing (after the paths became valid). */
  setDeletion(del: boolean): void { this.deleteOnRelease = del }

  async release(): Promise<void> { this.releaseSync() }

  /** `release`, synchronously (every step is a synchronous call). */
  releaseSync(): void {
    const held = this.held
    this.held = []
    for (const h of held) this.releaseOne(h)
  }

  private releaseOne(h: { lockPath: string; fd: number }): void {
    try {
      if (this.deleteOnRelease) {
        try { unlinkSync(h.lockPath) } catch { /* already gone */ }
        writeSync(h.fd, 'd')
      }
    } finally {
      closeSync(h.fd)
    }
  }
}

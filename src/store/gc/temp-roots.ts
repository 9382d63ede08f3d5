/**
 * Temporary GC roots, interoperable with C++ Nix processes sharing the store (gc.cc):
 *
 * - each process keeps `<state>/temproots/<pid>`, write-locked (flock) for its lifetime, with
 *   NUL-terminated store paths appended;
 * - adding a root first takes a *shared* lock on `<state>/gc.lock` without waiting; if that
 *   fails a collector is running, and the root is sent to it over `<state>/gc-socket/socket`
 *   (`"<path>\n"`, answered `"1"`);
 * - a collector reads every temproots file whose write lock it cannot take (the owner is
 *   alive); files it can lock belong to dead processes and are removed.
 *
 * The daemon is one process serving many clients, so this class also remembers which client
 * added which root, and rewrites its file when a client goes away (under the shared gc.lock,
 * so no collector reads it half-written). While *our own* collector runs, roots are handed to
 * it in memory, and adding a root that is being deleted waits for the deletion to finish
 * (C++ `shared->pending`).
 */
import { ftruncateSync, writeSync } from 'node:fs'
import { mkdir, open, readdir, unlink, type FileHandle } from 'node:fs/promises'
import { createConnection } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import type { StoreDir, StorePath } from '../../store-path/index.js'
import { lockFd, openLockFile, tryLockFd } from '../../os/index.js'

/** What a running in-process collector exposes to `TempRoots.add`. */
export interface ActiveCollector {
  readonly tempRoots: Set<string>
  /** Resolves when the hash part is not being deleted any more. */
  waitNotPending(hashPart: string): Promise<void>
}

let instances = 0

export class TempRoots {
  private fh: FileHandle | undefined
  private readonly byClient = new Map<string, Set<string>>()
  private collector: ActiveCollector | undefined
  private readonly fileName: string
  /** Our file's name: the pid, with a suffix for a second store opened by the same process. */
  private readonly name: string

  constructor(private readonly stateDir: string, private readonly storeDir: StoreDir, private readonly pid = process.pid) {
    // C++ collectors read every file and parse the leading number as the pid (`std::stoi`).
    const n = instances++
    this.name = n === 0 ? String(pid) : `${pid}-${n}`
    this.fileName = `${stateDir}/temproots/${this.name}`
  }

  get gcLockPath(): string { return `${this.stateDir}/gc.lock` }
  get gcSocketPath(): string { return `${this.stateDir}/gc-socket/socket` }

  private opening: Promise<FileHandle> | undefined

  /**
   * Our temproots file, created once: concurrent first calls share one creation (each would
   * otherwise unlink the file another had just created and locked, leaving roots in a file no
   * collector can see).
   */
  private ensureFile(): Promise<FileHandle> {
    if (this.fh) return Promise.resolve(this.fh)
    this.opening ??= this.createFile().finally(() => { this.opening = undefined })
    return this.opening
  }

  private async createFile(): Promise<FileHandle> {
    await mkdir(`${this.stateDir}/temproots`, { recursive: true })
    for (;;) {
      await unlink(this.fileName).catch(() => undefined) // a file with our pid must be stale
      const fh = (await openLockFile(this.fileName, true))!
      await lockFd(fh.fd, 'write')
      // A collector deleted the file between our open and our lock: try again.
      if ((await fh.stat()).size === 0) { this.fh = fh; return fh }
      await fh.close()
    }
  }

  /** Called by our collector while it holds gc.lock exclusively. */
  setCollector(c: ActiveCollector | undefined): void { this.collector = c }

  async add(clientId: string, path: StorePath): Promise<void> {
    const printed = this.storeDir.print(path)
    let set = this.byClient.get(clientId)
    if (!set) this.byClient.set(clientId, (set = new Set()))
    if (set.has(printed)) return // already in our file (or told to our collector): nothing to do
    set.add(printed)
    // The usual case (files open, no collector of ours, gc.lock free for sharing) without waiting.
    if (this.fh && !this.collector && this.tryHoldShared()) {
      try { writeSync(this.fh.fd, printed + '\0') } finally { this.releaseShared() }
      return
    }
    const fh = await this.ensureFile()
    if (this.collector) {
      this.collector.tempRoots.add(path.hashPart)
      await this.collector.waitNotPending(path.hashPart)
      writeSync(fh.fd, printed + '\0')
      return
    }
    const shared = await this.holdShared()
    try {
      if (!shared) await this.tellForeignCollector(printed)
      // Hold the shared lock until the root is in our file, so no collector misses it. A
      // synchronous append (a few µs) rather than a thread-pool round trip per added path.
      writeSync(fh.fd, printed + '\0')
    } finally {
      if (shared) this.releaseShared()
    }
  }

  /** `add` for many paths with one append (the evaluator's batches of `.drv` files). */
  async addAll(clientId: string, paths: readonly StorePath[]): Promise<void> {
    let set = this.byClient.get(clientId)
    if (!set) this.byClient.set(clientId, (set = new Set()))
    const fresh = new Set<string>()
    for (const p of paths) {
      const printed = this.storeDir.print(p)
      if (!set.has(printed)) fresh.add(printed)
    }
    if (fresh.size === 0) return
    const fh = await this.ensureFile()
    const shared = this.collector ? false : await this.holdShared()
    if (!shared) {
      // a collector is running (ours or another process's): tell it path by path
      for (const p of paths) await this.add(clientId, p)
      return
    }
    try {
      for (const p of fresh) set.add(p)
      writeSync(fh.fd, [...fresh].join('\0') + '\0')
    } finally {
      this.releaseShared()
    }
  }

  /** One gc.lock descriptor for all our adds, shared-locked while any add is in progress. */
  private gcFh: FileHandle | undefined
  private gcOpening: Promise<FileHandle> | undefined
  private sharedHolders = 0

  /** Take (or join) the shared lock on gc.lock without waiting; false if a collector holds it. */
  private async holdShared(): Promise<boolean> {
    if (!this.gcFh) {
      this.gcOpening ??= openLockFile(this.gcLockPath, true).then(f => f!)
      this.gcFh = await this.gcOpening
    }
    return this.tryHoldShared()
  }

  /** A share of gc.lock without waiting: true if gc.lock is open and free for sharing. */
  private tryHoldShared(): boolean {
    if (this.gcFh === undefined || !(this.sharedHolders > 0 || tryLockFd(this.gcFh.fd, 'read'))) return false
    this.sharedHolders++
    return true
  }

  private releaseShared(): void {
    if (--this.sharedHolders === 0 && this.gcFh) tryLockFd(this.gcFh.fd, 'none')
  }

  /** A collector in another process holds gc.lock: send it the root and wait for "1". */
  private async tellForeignCollector(printed: string): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        await new Promise<void>((resolve, reject) => {
          const sock = createConnection(this.gcSocketPath)
          sock.once('error', reject)
          sock.once('connect', () => sock.write(printed + '\n'))
          sock.once('data', d => { sock.destroy(); d[0] === 0x31 ? resolve() : reject(new Error('garbage collector sent an unexpected reply')) })
          sock.once('end', () => reject(Object.assign(new Error('gc socket closed'), { code: 'ECONNRESET' })))
        })
        return
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code
        if ((code === 'ECONNREFUSED' || code === 'ENOENT' || code === 'ECONNRESET') && attempt < 600) {
          await sleep(100) // the collector has not created its socket yet, or just exited
          // If it exited, the shared lock is free now and the caller's append suffices.
          const gc = (await openLockFile(this.gcLockPath, true))!
          const free = tryLockFd(gc.fd, 'read')
          await gc.close()
          if (free) return
          continue
        }
        throw e
      }
    }
  }

  /**
   * Forget a client's roots and rewrite our file without them — under the shared gc.lock, so
   * no collector reads it half-written. While a collector holds gc.lock the rewrite is retried
   * until it can run (keeping extra roots meanwhile is safe; keeping them forever is a leak).
   */
  async release(clientId: string): Promise<void> {
    if (!this.byClient.delete(clientId) || !this.fh) return
    await this.rewrite()
  }

  private rewriting = false
  private rewriteAgain = false
  private retryTimer: NodeJS.Timeout | undefined

  private async rewrite(): Promise<void> {
    if (this.rewriting || this.retryTimer) { this.rewriteAgain = true; return }
    this.rewriting = true
    try {
      do {
        this.rewriteAgain = false
        const fh = this.fh
        if (!fh) return
        if (!(await this.holdShared())) {
          // A collector is running: try again shortly (not blocking the caller).
          this.retryTimer = setTimeout(() => { this.retryTimer = undefined; void this.rewrite() }, 100)
          this.retryTimer.unref()
          return
        }
        try {
          // Synchronous, like the appends, so no append can land between the truncate and the write.
          const all = new Set<string>()
          for (const set of this.byClient.values()) for (const p of set) all.add(p)
          ftruncateSync(fh.fd, 0)
          const body = [...all].map(p => p + '\0').join('')
          if (body) writeSync(fh.fd, body)
        } finally {
          this.releaseShared()
        }
      } while (this.rewriteAgain)
    } finally {
      this.rewriting = false
    }
  }

  /** Our own roots (printed paths), for FindRoots. */
  ownRoots(): Map<string, string[]> {
    const out = new Map<string, string[]>()
    for (const s of this.byClient.values()) for (const p of s) {
      const l = out.get(p) ?? []
      l.push(`{temp:${this.pid}}`)
      out.set(p, l)
    }
    return out
  }

  /**
   * Roots of other processes from their temproots files (C++ `findTempRoots`): printed path →
   * `{temp:PID}` labels. Files of dead processes are removed.
   */
  async readOthers(info?: (m: string) => void): Promise<Map<string, string[]>> {
    const out = new Map<string, string[]>()
    const dir = `${this.stateDir}/temproots`
    let names: string[] = []
    try { names = await readdir(dir) } catch { return out }
    for (const name of names) {
      if (name.startsWith('.') || name === this.name) continue
      const path = `${dir}/${name}`
      let fh: FileHandle
      try { fh = await open(path, 'r+') } catch { continue }
      try {
        if (tryLockFd(fh.fd, 'write')) {
          info?.(`removing stale temporary roots file '${path}'`)
          await unlink(path).catch(() => undefined)
          await fh.write('d')
          continue
        }
        const text = (await fh.readFile()).toString('utf8')
        for (const p of text.split('\0')) {
          if (!p) continue
          const l = out.get(p) ?? []
          l.push(`{temp:${name}}`)
          out.set(p, l)
        }
      } finally {
        await fh.close()
      }
    }
    return out
  }

  async close(): Promise<void> {
    if (this.retryTimer) { clearTimeout(this.retryTimer); this.retryTimer = undefined }
    const gc = this.gcFh
    this.gcFh = undefined
    await gc?.close()
    if (this.fh) {
      await unlink(this.fileName).catch(() => undefined)
      await this.fh.close()
      this.fh = undefined
    }
  }
}

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
import { closeSync, openSync, writeSync } from 'node:fs'
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

export class TempRoots {
  private fh: FileHandle | undefined
  private readonly byClient = new Map<string, Set<string>>()
  private collector: ActiveCollector | undefined
  private readonly fileName: string

  constructor(private readonly stateDir: string, private readonly storeDir: StoreDir, private readonly pid = process.pid) {
    this.fileName = `${stateDir}/temproots/${pid}`
  }

  get gcLockPath(): string { return `${this.stateDir}/gc.lock` }
  get gcSocketPath(): string { return `${this.stateDir}/gc-socket/socket` }

  private async ensureFile(): Promise<FileHandle> {
    if (this.fh) return this.fh
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
    const isNew = !set.has(printed)
    set.add(printed)
    const fh = await this.ensureFile()
    if (this.collector) {
      this.collector.tempRoots.add(path.hashPart)
      await this.collector.waitNotPending(path.hashPart)
    } else {
      // Synchronous calls: a few µs each, where promise-based ones cost a thread-pool round trip
      // per call — and every path a client adds takes a temporary root.
      const gc = openSync(this.gcLockPath, 'a+', 0o600)
      try {
        if (!tryLockFd(gc, 'read')) await this.tellForeignCollector(printed)
        // Hold the shared lock until the root is in our file, so no collector misses it.
        if (isNew) writeSync(fh.fd, printed + '\0')
      } finally {
        closeSync(gc)
      }
      return
    }
    if (isNew) writeSync(fh.fd, printed + '\0')
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

  /** Forget a client's roots; rewrite our file without them when no collector is running. */
  async release(clientId: string): Promise<void> {
    if (!this.byClient.delete(clientId) || !this.fh || this.collector) return
    const gc = (await openLockFile(this.gcLockPath, true))!
    try {
      if (!tryLockFd(gc.fd, 'read')) return // a collector is reading; keeping extra roots is safe
      const all = new Set<string>()
      for (const s of this.byClient.values()) for (const p of s) all.add(p)
      await this.fh.truncate(0)
      const body = [...all].map(p => p + '\0').join('')
      if (body) await this.fh.write(body, 0)
    } finally {
      await gc.close()
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
      if (name.startsWith('.') || name === String(this.pid)) continue
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
    if (this.fh) {
      await unlink(this.fileName).catch(() => undefined)
      await this.fh.close()
      this.fh = undefined
    }
  }
}

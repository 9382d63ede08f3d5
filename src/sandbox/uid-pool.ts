/**
 * Host ids for builds: every concurrent build (cold run or warm slot) leases a slot, and a
 * slot owns two host uids and two host gids — one for the container's root (runc must map
 * uid 0) and one for the builder. No two live builds ever share an id (Nix's build users /
 * auto-allocate-uids play this role).
 *
 * Leases are lock files `<lockDir>/slot-<n>` created with O_EXCL and holding the owner's
 * pid, so several tsnix processes sharing a lock dir never hand out the same slot; a lock
 * whose pid is gone is taken over. The ids are machine-wide, so the default lock dir is too
 * (`defaultUidPoolDir()`): two daemons (or test runs) on one machine must share it.
 */
import { mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs'
import { accessSync, constants as fsc } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { SandboxRuntimeError } from './errors.js'
import type { IdMap } from './spec.js'

/** Default first host id: above Nix's auto-allocate-uids range start (0x34000000) by a wide margin. */
export const DEFAULT_ID_BASE = 0x3a000000

/**
 * The machine-wide lock dir for build ids: TSNIX_UIDPOOL_DIR, else /run/tsnix/uidpool where
 * /run is writable, else <tmpdir>/tsnix-uidpool.
 */
export function defaultUidPoolDir(): string {
  const env = process.env['TSNIX_UIDPOOL_DIR']
  if (env) return env
  try { accessSync('/run', fsc.W_OK); return '/run/tsnix/uidpool' } catch { return join(tmpdir(), 'tsnix-uidpool') }
}

export interface UidPoolOptions {
  lockDir: string
  /** First host id of the pool (slot n uses base + 2n and base + 2n + 1). */
  base?: number
  /** Number of slots, i.e. the maximum number of concurrent builds. */
  slots?: number
}

export interface UidLease {
  slot: number
  ids: IdMap
  release(): void
}

/** Whether a process with this pid exists (EPERM means it does, owned by someone else). */
export function pidAlive(pid: number): boolean {
  try { process.kill(pid, 0); return true } catch (e) { return (e as NodeJS.ErrnoException).code === 'EPERM' }
}

export class UidPool {
  readonly lockDir: string
  readonly base: number
  readonly slots: number
  private readonly held = new Set<number>()
  /** Every slot this pool leased in its lifetime (tests check what its builds left behind). */
  readonly leased = new Set<number>()

  constructor(opts: UidPoolOptions) {
    this.lockDir = opts.lockDir
    this.base = opts.base ?? DEFAULT_ID_BASE
    this.slots = opts.slots ?? 64
    // Parents stay searchable (runc's init walks through the work root); the locks do not.
    mkdirSync(dirname(this.lockDir), { recursive: true, mode: 0o755 })
    mkdirSync(this.lockDir, { recursive: true, mode: 0o700 })
  }

  /** The ids of slot n. */
  idsOf(slot: number): IdMap {
    const root = this.base + 2 * slot
    return { rootUid: root, rootGid: root, buildUid: root + 1, buildGid: root + 1 }
  }

  /** Take a free slot; throws when all are in use. */
  acquire(): UidLease {
    for (let n = 0; n < this.slots; n++) {
      if (this.held.has(n)) continue
      if (this.tryLock(n)) {
        this.held.add(n)
        this.leased.add(n)
        let released = false
        return {
          slot: n,
          ids: this.idsOf(n),
          release: () => {
            if (released) return
            released = true
            this.held.delete(n)
            try { unlinkSync(this.lockPath(n)) } catch { /* already gone */ }
          },
        }
      }
    }
    throw new SandboxRuntimeError(`no free build slot: all ${this.slots} are in use (lock dir ${this.lockDir})`)
  }

  private lockPath(n: number): string { return join(this.lockDir, `slot-${n}`) }

  private tryLock(n: number): boolean {
    const p = this.lockPath(n)
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        writeFileSync(p, String(process.pid), { flag: 'wx', mode: 0o600 })
        return true
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e
      }
      let owner = NaN
      try { owner = Number(readFileSync(p, 'utf8')) } catch { continue }
      // Our own pid in a lock we do not hold in memory: left over by an earlier pool object.
      if (Number.isInteger(owner) && owner > 0 && owner !== process.pid && pidAlive(owner)) return false
      if (owner === process.pid) return false
      try { unlinkSync(p) } catch { /* raced */ }
    }
    return false
  }
}

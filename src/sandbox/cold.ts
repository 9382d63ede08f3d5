/**
 * One container per build: bundle → `runc run` → outcome. The reference runner: simple,
 * every build gets a brand-new container (≈30–45 ms of runc per build on the test VM).
 */
import { randomBytes } from 'node:crypto'
import { lstat, mkdir, rm } from 'node:fs/promises'
import { join, posix } from 'node:path'
import { ensureRootfs, prepareScratch, resolveExtraMounts, rootfsMountPoints, writeBundle } from './bundle.js'
import { SandboxRuntimeError } from './errors.js'
import { ensureHelper } from './native.js'
import { findRunc, Runc, superviseRun } from './runc.js'
import { reapStale, writeOwner } from './stale.js'
import { EXEC_SHIM_TARGET, makeSpec } from './spec.js'
import type { BuildOutcome, BuildRequest, FinishedBuild, RunOptions, SandboxRunner } from './types.js'
import { UidPool } from './uid-pool.js'

export interface RunnerOptions {
  /**
   * Working root: `builds/` (per-build scratch), `rootfs/` (shared rootfs variants), `runc/`
   * (runc state), `userpool/` (slot locks). Put it on the filesystem of the real store so
   * outputs can be renamed into place. Every parent must be world-searchable (runc's init
   * runs as an unprivileged host id).
   */
  root: string
  /** runc binary; default: found on PATH. */
  runc?: string
  /** Helper binary; default: compiled on demand (native.ts); null: run without it. */
  helper?: string | null
  /** Share a uid pool between runners (default: one per runner under `root/userpool`). */
  pool?: UidPool
}

export async function outputsOf(req: BuildRequest, scratchStore: string): Promise<BuildOutcome['outputs']> {
  return Promise.all(req.outputs.map(async o => {
    const hostPath = join(scratchStore, posix.basename(o.path))
    let exists = true
    try { await lstat(hostPath) } catch { exists = false }
    return { name: o.name, path: o.path, hostPath, exists }
  }))
}

/** Map runc's status to exit code / signal: runc reports a killed init as 128 + signal. */
export function statusFromRunc(code: number | null, killed: boolean): { exitCode: number | null; signal: string | null } {
  if (killed) return { exitCode: null, signal: 'SIGKILL' }
  return { exitCode: code, signal: null }
}

export class ColdRunner implements SandboxRunner {
  readonly runc: Runc
  readonly pool: UidPool
  private helperPath: Promise<string | undefined>
  private readonly reaped: Promise<unknown>

  constructor(readonly opts: RunnerOptions) {
    const bin = opts.runc ?? findRunc()
    if (!bin) throw new SandboxRuntimeError('runc was not found on PATH')
    this.runc = new Runc(bin, join(opts.root, 'runc'))
    this.pool = opts.pool ?? new UidPool({ lockDir: join(opts.root, 'userpool') })
    this.helperPath = opts.helper === null ? Promise.resolve(undefined) : opts.helper !== undefined ? Promise.resolve(opts.helper) : ensureHelper()
    this.reaped = reapStale(opts.root, this.runc).catch(() => undefined)
  }

  async build(req: BuildRequest, options: RunOptions = {}): Promise<FinishedBuild> {
    await this.reaped
    const helper = await this.helperPath
    const id = `tsnix-${randomBytes(8).toString('hex')}`
    const workDir = join(this.opts.root, 'builds', id)
    await mkdir(join(this.opts.root, 'builds'), { recursive: true, mode: 0o755 })
    const lease = this.pool.acquire()
    try {
      const extra = await resolveExtraMounts(req.extraMounts)
      const scratch = await prepareScratch(req, workDir, lease.ids, extra)
      await writeOwner(workDir)
      const points = rootfsMountPoints(req, extra)
      if (helper) points.push({ path: EXEC_SHIM_TARGET, dir: false })
      const rootfs = await ensureRootfs(join(this.opts.root, 'rootfs'), req.etc, points)
      const config = makeSpec({ ...req, extraMounts: extra }, {
        rootfs,
        scratch: scratch.dirs,
        ids: lease.ids,
        ...(helper ? { execShim: helper } : {}),
      })
      const bundle = join(workDir, 'bundle')
      await writeBundle(bundle, config)
      const run = await superviseRun({
        runc: this.runc, bundle, id, limits: req.limits, onLog: options.onLog, signal: options.signal, stderrIsRuncOnly: helper !== undefined,
      })
      const setupError = run.runcError !== undefined && !run.killed ? run.runcError : null
      const outcome: BuildOutcome = {
        ...statusFromRunc(run.code, run.killed),
        limit: run.limit,
        setupError,
        startTime: run.startTime,
        stopTime: run.stopTime,
        logBytes: run.logBytes,
        outputs: await outputsOf(req, scratch.store),
        scratchStore: scratch.store,
        builderHostUid: lease.ids.buildUid,
        builderHostGid: lease.ids.buildGid,
      }
      return { outcome, cleanup: () => rm(workDir, { recursive: true, force: true }) }
    } catch (e) {
      await rm(workDir, { recursive: true, force: true })
      throw e
    } finally {
      // The container and every process of it are gone here; the outputs left behind are in
      // a directory no later build can reach, so the ids can go to the next build.
      lease.release()
    }
  }

  async close(): Promise<void> { /* nothing long-lived */ }
}

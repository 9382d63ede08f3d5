/**
 * Warm slots: the answer to runc's per-container cost. Each slot is one long-lived runc
 * container (own host uid/gid pair, cgroup, user namespace, seccomp filter, no_new_privs)
 * whose PID 1 is the helper's agent. A build is handed to an idle slot as a request file;
 * the agent clone3()s the builder into fresh mount/pid/ipc/uts/net namespaces, binds exactly
 * the build's inputs and scratch dirs into a fresh root, pivots, drops to uid 1000 and execs.
 * No runc process runs per build.
 *
 * Isolation per build is the same as a cold container's: fresh /build, /tmp, /dev/shm, store
 * view and network namespace, only the input closure visible, the builder is PID 1 of its
 * own PID namespace (nothing survives it), a new session keyring; builds never run
 * concurrently in one slot, and concurrent slots have distinct host ids.
 */
import { ChildProcess, spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdirSync } from 'node:fs'
import { chown, mkdir, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { AgentFrame, agentPlan, encodeRequest, FrameDecoder, NotExposedError } from './agent-protocol.js'
import { ensureRootfs, isWithin, prepareScratch, resolveExtraMounts, rootfsMountPoints, writeBundle } from './bundle.js'
import { ColdRunner, outputsOf, RunnerOptions } from './cold.js'
import { SandboxRuntimeError } from './errors.js'
import { BuildLimiter } from './limits.js'
import { ensureHelper } from './native.js'
import { findRunc, Runc } from './runc.js'
import { Exposure, makeSlotSpec } from './spec.js'
import type { BuildOutcome, BuildRequest, FinishedBuild, RunOptions, SandboxRunner } from './types.js'
import { defaultUidPoolDir, UidLease, UidPool } from './uid-pool.js'
import { reapStale, writeOwner } from './stale.js'

export interface WarmPoolOptions extends RunnerOptions {
  /** Maximum number of slots, i.e. of concurrent builds (default 2). */
  slots?: number
  /**
   * Host paths that builds may bind, besides the pool's own directories: the real store
   * directory, sandbox-path sources (a static busybox for /bin/sh), /etc files for network
   * builds. A request needing anything else runs on `fallback`.
   */
  expose: string[]
  /** Runner for requests a slot cannot serve (default: a ColdRunner sharing the uid pool). */
  fallback?: SandboxRunner
  /** The builder's uid/gid inside (fixed per slot; default 1000/100). */
  uid?: number
  gid?: number
  /** Seconds to wait for a killed build to be reported before the slot is destroyed. */
  killGraceSeconds?: number
}

const SLOT_ROOT = '/.tsnix'

type FrameHandler = (f: AgentFrame) => void | Promise<void>

class Slot {
  readonly id = `tsnix-slot-${randomBytes(6).toString('hex')}`
  readonly dir: string
  readonly work: string
  dead = false
  /** Finished builds whose scratch area has not been cleaned up yet. */
  private uncollected = 0
  private child: ChildProcess | undefined
  private handler: FrameHandler | undefined
  private onDeath: ((e: Error) => void) | undefined
  private reader: Promise<void> | undefined

  constructor(private readonly pool: WarmPool, readonly lease: UidLease, readonly exposures: Exposure[]) {
    this.dir = join(pool.opts.root, 'slots', this.id)
    this.work = join(this.dir, 'work')
  }

  /** Host path → path inside this slot, or undefined. */
  translate(host: string): string | undefined {
    for (const e of this.exposures) {
      if (isWithin(host, e.host)) return e.inside + host.slice(e.host.length)
    }
    return undefined
  }

  async start(helper: string, rootfs: string): Promise<void> {
    const { ids } = this.lease
    await mkdir(this.dir, { mode: 0o700 })
    await writeOwner(this.dir)
    await chown(this.dir, ids.rootUid, ids.rootGid)
    await mkdir(this.work, { mode: 0o700 })
    await chown(this.work, ids.rootUid, ids.rootGid)
    const spec = makeSlotSpec({ rootfs, helper, exposures: this.exposures, ids, uid: this.pool.uid, gid: this.pool.gid })
    await writeBundle(join(this.dir, 'bundle'), spec)
    // Foreground: runc stays as the agent's parent and relays its stdio. (With -d runc would
    // pass our pipes through, but Node closes a child's stdin when the child — runc — exits.)
    const child = spawn(this.pool.runc.binary, ['--root', this.pool.runc.stateRoot, 'run', '--bundle', join(this.dir, 'bundle'), this.id], {
      stdio: ['pipe', 'pipe', 'pipe'],
    })
    this.child = child
    let stderr = ''
    child.stderr!.on('data', (c: Buffer) => { if (stderr.length < 65536) stderr += c.toString('utf8') })
    const ready = new Promise<void>((resolve, reject) => {
      this.handler = f => { if (f.kind === 'ready') resolve(); else reject(new SandboxRuntimeError(`slot agent sent ${f.kind} before ready`)) }
      this.onDeath = e => reject(new SandboxRuntimeError(`slot ${this.id} did not start: ${stderr.trim() || e.message}`))
    })
    this.reader = this.readFrames()
    await ready
    this.handler = undefined
  }

  private async readFrames(): Promise<void> {
    const dec = new FrameDecoder()
    let err: Error = new SandboxRuntimeError('the slot agent exited')
    try {
      for await (const chunk of this.child!.stdout! as AsyncIterable<Buffer>) {
        for (const f of dec.push(chunk)) {
          const h = this.handler
          if (h) await h(f)
        }
      }
    } catch (e) {
      err = e as Error
    }
    this.dead = true
    this.onDeath?.(err)
  }

  /** Send a command line to the agent. */
  send(line: string): void {
    if (this.dead) return
    this.child!.stdin!.write(line + '\n')
  }

  /** Run one build; resolves when the agent reports it finished (or the slot died). */
  async run(req: BuildRequest, options: RunOptions): Promise<FinishedBuild> {
    const { ids } = this.lease
    const bid = randomBytes(8).toString('hex')
    const bdir = join(this.work, bid)
    const cleanup = (): Promise<void> => rm(bdir, { recursive: true, force: true })
    try {
      const extra = await resolveExtraMounts(req.extraMounts)
      const scratch = await prepareScratch(req, bdir, ids, extra)
      const rootfs = await ensureRootfs(join(this.pool.opts.root, 'rootfs'), req.etc, rootfsMountPoints(req, extra))
      const tokens = agentPlan({ ...req, extraMounts: extra }, { rootfs, translate: h => this.translate(h), scratch: scratch.dirs }, new Map(extra.map(m => [m.target, m.dir])))
      await writeFile(join(bdir, 'request'), encodeRequest(tokens), { mode: 0o644 })
      const outcome = await this.execute(req, options, join(SLOT_ROOT, 'work', bid, 'request'), scratch.store)
      outcome.outputs = await outputsOf(req, scratch.store)
      // The scratch area outlives the slot if need be: a slot destroyed now (crash, close)
      // must not delete outputs the glue is still collecting.
      this.uncollected++
      let done = false
      return {
        outcome,
        // The removal runs in the background (the pool's close waits for it): the directory
        // has a name of its own, and a recursive rm is a few ms of thread-pool round trips
        // that would otherwise sit between this build and the next one.
        cleanup: async () => {
          if (done) return
          done = true
          const removal = (async () => {
            await cleanup()
            if (--this.uncollected === 0 && this.dead) await rm(this.dir, { recursive: true, force: true })
          })()
          // once the pool is closed there is no next build to make way for
          if (!this.pool.track(removal)) await removal
        },
      }
    } catch (e) {
      await cleanup()
      throw e
    }
  }

  private execute(req: BuildRequest, options: RunOptions, requestPath: string, scratchStore: string): Promise<BuildOutcome> {
    return new Promise<BuildOutcome>((resolve, reject) => {
      const startTime = Date.now()
      let setupError: string | null = null
      let killed = false
      let graceTimer: NodeJS.Timeout | undefined
      const kill = (): void => {
        if (killed) return
        killed = true
        this.send('K')
        // A wedged agent must not hold the build: take the whole slot down.
        graceTimer = setTimeout(() => { void this.pool.discard(this) }, (this.pool.opts.killGraceSeconds ?? 5) * 1000)
      }
      const limiter = new BuildLimiter(req.limits, () => kill())
      const onAbort = (): void => kill()
      const finish = (exit: { code: number | null; signal: string | null }): void => {
        limiter.stop()
        clearTimeout(graceTimer)
        options.signal?.removeEventListener('abort', onAbort)
        this.handler = undefined
        this.onDeath = undefined
        resolve({
          exitCode: killed ? null : exit.code,
          signal: killed ? 'SIGKILL' : exit.signal,
          limit: limiter.limitHit,
          setupError,
          startTime,
          stopTime: Date.now(),
          logBytes: limiter.logBytes,
          outputs: [],
          scratchStore,
          builderHostUid: this.lease.ids.buildUid,
          builderHostGid: this.lease.ids.buildGid,
        })
      }
      this.handler = async f => {
        switch (f.kind) {
          case 'started':
            if (f.error !== null) setupError = f.error
            return
          case 'log':
            if (!limiter.output(f.data.length)) return
            if (options.onLog) await options.onLog(f.data)
            return
          case 'exit':
            finish({ code: f.code, signal: f.signal === null ? null : signalName(f.signal) })
            return
          case 'error':
            setupError = f.message
            finish({ code: null, signal: null })
            return
          case 'ready':
            return
        }
      }
      this.onDeath = e => {
        if (killed) finish({ code: null, signal: 'SIGKILL' })
        else {
          limiter.stop()
          clearTimeout(graceTimer)
          reject(new SandboxRuntimeError(`warm slot ${this.id} died during a build: ${e.message}`))
        }
      }
      options.signal?.addEventListener('abort', onAbort, { once: true })
      limiter.start()
      this.send(`B ${requestPath}`)
      if (options.signal?.aborted) kill()
    })
  }

  async destroy(): Promise<void> {
    this.dead = true
    this.child?.stdin?.end()
    await this.pool.runc.destroy(this.id).catch(() => undefined)
    await this.reader?.catch(() => undefined)
    // Builds whose outputs are not collected yet keep the directory; their cleanup removes it.
    if (this.uncollected === 0) await rm(this.dir, { recursive: true, force: true })
    else await rm(join(this.dir, 'bundle'), { recursive: true, force: true })
    // No process of this slot is left, and its scratch dirs are reachable by no other build.
    this.lease.release()
  }
}

const SIGNALS: Record<number, string> = { 1: 'SIGHUP', 2: 'SIGINT', 3: 'SIGQUIT', 4: 'SIGILL', 5: 'SIGTRAP', 6: 'SIGABRT', 7: 'SIGBUS', 8: 'SIGFPE', 9: 'SIGKILL', 10: 'SIGUSR1', 11: 'SIGSEGV', 12: 'SIGUSR2', 13: 'SIGPIPE', 14: 'SIGALRM', 15: 'SIGTERM' }
export function signalName(n: number): string { return SIGNALS[n] ?? `SIG${n}` }

export class WarmPool implements SandboxRunner {
  readonly runc: Runc
  readonly pool: UidPool
  readonly uid: number
  readonly gid: number
  private readonly maxSlots: number
  private readonly idle: Slot[] = []
  private readonly all = new Set<Slot>()
  private readonly waiters: Array<(s: Slot | undefined) => void> = []
  private starting = 0
  private closed = false
  private readonly fallback: SandboxRunner
  private readonly helper: Promise<string | undefined>
  private readonly reaped: Promise<unknown>

  constructor(readonly opts: WarmPoolOptions) {
    const bin = opts.runc ?? findRunc()
    if (!bin) throw new SandboxRuntimeError('runc was not found on PATH')
    mkdirSync(join(opts.root, 'slots'), { recursive: true, mode: 0o755 })
    this.runc = new Runc(bin, join(opts.root, 'runc'))
    this.pool = opts.pool ?? new UidPool({ lockDir: defaultUidPoolDir() })
    this.maxSlots = opts.slots ?? 2
    this.uid = opts.uid ?? 1000
    this.gid = opts.gid ?? 100
    this.helper = opts.helper === null ? Promise.resolve(undefined) : opts.helper !== undefined ? Promise.resolve(opts.helper) : ensureHelper()
    this.fallback = opts.fallback ?? new ColdRunner({ ...opts, pool: this.pool })
    this.reaped = reapStale(opts.root, this.runc).catch(() => undefined)
  }

  /** Start slots ahead of the first builds (optional; slots also start on demand). */
  async prestart(n: number = this.maxSlots): Promise<void> {
    const slots = await Promise.all(Array.from({ length: Math.min(n, this.maxSlots - this.all.size) }, () => this.newSlot()))
    for (const s of slots) this.release(s)
  }

  async build(req: BuildRequest, options: RunOptions = {}): Promise<FinishedBuild> {
    if (req.uid !== this.uid || req.gid !== this.gid) return this.fallback.build(req, options)
    const slot = await this.acquire()
    try {
      return await slot.run(req, options)
    } catch (e) {
      if (e instanceof NotExposedError) return this.fallback.build(req, options)
      throw e
    } finally {
      this.release(slot)
    }
  }

  private async newSlot(): Promise<Slot> {
    // Counted before the first await, so concurrent acquire() calls never overshoot maxSlots.
    this.starting++
    try {
      await this.reaped
      const helper = await this.helper
      if (!helper) throw new SandboxRuntimeError('warm slots need the sandbox helper binary (gcc missing and TSNIX_SANDBOX_HELPER unset)')
      const lease = this.pool.acquire()
      const root = this.opts.root
      const exposures: Exposure[] = []
      const slot = new Slot(this, lease, exposures)
      exposures.push({ host: slot.work, inside: `${SLOT_ROOT}/work`, writable: true })
      exposures.push({ host: join(root, 'rootfs'), inside: `${SLOT_ROOT}/rootfs`, writable: false })
      this.opts.expose.forEach((h, i) => exposures.push({ host: h, inside: `${SLOT_ROOT}/x${i}`, writable: false }))
      try {
        await mkdir(join(root, 'rootfs'), { recursive: true, mode: 0o755 })
        const points = [
          { path: '/proc', dir: true }, { path: '/dev', dir: true }, { path: `${SLOT_ROOT}/helper`, dir: false },
          { path: `${SLOT_ROOT}/newroot`, dir: true }, { path: `${SLOT_ROOT}/work`, dir: true }, { path: `${SLOT_ROOT}/rootfs`, dir: true },
          ...(await resolveExtraMounts(exposures.slice(2).map(e => ({ target: e.inside, source: e.host })))).map(m => ({ path: m.target, dir: m.dir })),
        ]
        const rootfs = await ensureRootfs(join(root, 'slot-rootfs'), { passwd: 'root:x:0:0:root:/:/noshell\n', group: 'root:x:0:\n' }, points)
        await slot.start(helper, rootfs)
        this.all.add(slot)
        return slot
      } catch (e) {
        await slot.destroy()
        throw e
      }
    } finally {
      this.starting--
    }
  }

  private acquire(): Promise<Slot> {
    if (this.closed) return Promise.reject(new SandboxRuntimeError('the warm pool is closed'))
    const s = this.idle.pop()
    if (s) return Promise.resolve(s)
    if (this.all.size + this.starting < this.maxSlots) return this.newSlot()
    return new Promise<Slot>((resolve, reject) => {
      this.waiters.push(slot => (slot ? resolve(slot) : this.acquire().then(resolve, reject)))
    })
  }

  private release(slot: Slot): void {
    if (slot.dead || this.closed) {
      void this.discard(slot)
      return
    }
    const w = this.waiters.shift()
    if (w) w(slot)
    else this.idle.push(slot)
  }

  /** Destroy a slot (dead, wedged, or pool closing); a waiter may then start a new one. */
  async discard(slot: Slot): Promise<void> {
    if (!this.all.delete(slot)) return
    const i = this.idle.indexOf(slot)
    if (i >= 0) this.idle.splice(i, 1)
    await slot.destroy()
    const w = this.waiters.shift()
    if (w) w(undefined)
  }

  /** Background removals of finished builds' directories, awaited by `close`. */
  private readonly removals = new Set<Promise<void>>()
  /** Track a removal for `close`; false once the pool is closed (the caller then waits itself). */
  track(removal: Promise<void>): boolean {
    if (this.closed) return false
    const p = removal.catch(() => undefined).finally(() => { this.removals.delete(p) })
    this.removals.add(p)
    return true
  }

  async close(): Promise<void> {
    this.closed = true
    await Promise.all(this.removals)
    await Promise.all([...this.all].map(s => this.discard(s)))
    for (const w of this.waiters.splice(0)) w(undefined)
    await this.fallback.close()
  }
}

/**
 * The runner a daemon should use: warm slots when the helper binary is available (prebuilt
 * or compiled with gcc), otherwise one `runc run` per build.
 */
export async function createRunner(opts: WarmPoolOptions): Promise<SandboxRunner> {
  const helper = opts.helper === null ? undefined : opts.helper ?? (await ensureHelper())
  if (!helper) return new ColdRunner({ ...opts, helper: null })
  return new WarmPool({ ...opts, helper })
}

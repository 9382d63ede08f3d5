/**
 * The scheduler (C++ `Worker` with its derivation goals): a request's targets and their input
 * derivations, built in dependency order, each derivation once per request, at most `max-jobs`
 * builds at a time. Before building, the outputs' `.lock` files are taken exactly as C++ Nix
 * takes them (so no output is built twice at once, also across clients and across a C++
 * daemon on the same store) and validity is checked again. Without `keep-going` the first
 * failure stops the request; a failed input makes its dependents fail with DependencyFailed.
 */
import { readFileSync } from 'node:fs'
import {
  type BasicDerivation, type Derivation, derivationOptions, derivationType, DrvHashCache, hashDerivationModuloAsync,
  type DrvHash, isBuiltin, outputPaths as drvOutputPaths, tryResolve, tryResolveOptions, type DerivationOptions,
} from '../derivation/index.js'
import { type Activity, ActivityType, type Logger, ResultType, Verbosity } from '../logger.js'
import { PathLocks } from '../os/index.js'
import type { Settings } from '../settings/index.js'
import { SecretKey } from '../signing/index.js'
import {
  BuildStatus, type BuildResult, type DerivedPath, type KeyedBuildResult, type Realisation, type StorePath,
} from '../store-path/index.js'
import type { BuildMode } from '../store/types.js'
import { buildOne, type Runners } from './derivation-builder.js'
import { BuildCancelledError, BuildError } from './errors.js'
import { cannotBuild, dependenciesFailed, hl, red } from './messages.js'
import { PhaseTimer } from './profile.js'
import { Semaphore } from './semaphore.js'
import type { BuilderStore, BuildRequestContext } from './types.js'

export interface BuilderOptions {
  readonly store: BuilderStore
  readonly settings: Settings
  readonly runners: Runners
  /** The daemon's own log. */
  readonly log?: Logger | undefined
}

type GoalOutcome =
  | { readonly ok: true; readonly status: BuildStatus; readonly outputs: ReadonlyMap<string, StorePath>; readonly startTime: number; readonly stopTime: number; readonly timesBuilt: number }
  | { readonly ok: false; readonly error: BuildError; readonly startTime: number; readonly stopTime: number; readonly timesBuilt: number }

/** C++ `logError` as the daemon sends it: the coloured `error:` prefix, continuation lines indented. */
export function errorLine(msg: string): string {
  return `\x1b[31;1merror:\x1b[0m ${msg.replace(/\n/g, '\n       ')}`
}

const nowSec = (): number => Math.floor(Date.now() / 1000)

export class Builder {
  private readonly store: BuilderStore
  private readonly runners: Runners
  private hashes: DrvHashCache
  private keys: SecretKey[] | undefined

  constructor(private readonly opts: BuilderOptions) {
    this.store = opts.store
    this.runners = opts.runners
    // Derivations are immutable: their hashes modulo can be cached for the daemon's life.
    this.hashes = new DrvHashCache(undefined, this.store.storeDir)
  }

  get settings(): Settings { return this.opts.settings }

  private signingKeys(settings: Settings): SecretKey[] {
    if (this.keys) return this.keys
    const keys: SecretKey[] = []
    for (const f of settings['secret-key-files']) {
      try { keys.push(SecretKey.parse(readFileSync(f, 'utf8').trim())) } catch (e) {
        this.opts.log?.warn(`cannot read secret key file '${f}': ${(e as Error).message}`)
      }
    }
    return (this.keys = keys)
  }

  /** BuildPaths / BuildPathsWithResults: one result per target. */
  async buildPaths(ctx: BuildRequestContext, targets: readonly DerivedPath[], mode: BuildMode): Promise<KeyedBuildResult[]> {
    const run = new Run(this, ctx)
    try {
      const results = await Promise.all(targets.map(async (t): Promise<KeyedBuildResult> => {
        if (t.kind === 'opaque') return { path: t, ...(await run.opaque(t.path)) }
        const wanted = t.outputs.kind === 'all' ? undefined : t.outputs.names
        const o = await run.goal(t.drvPath, wanted, mode, true)
        return { path: t, ...(await this.toResult(o, t.drvPath, undefined, wanted)) }
      }))
      return results
    } finally {
      run.finish()
    }
  }

  /**
   * BuildDerivation: build a derivation sent over the wire (its inputs must be valid
   * already; nothing else is built). `drvPath` names it in logs and realisations.
   */
  async buildDerivation(ctx: BuildRequestContext, drvPath: StorePath, drv: BasicDerivation, mode: BuildMode): Promise<BuildResult> {
    const run = new Run(this, ctx)
    try {
      const full: Derivation = { ...drv, inputDrvs: [] }
      const o = await run.goalFor(drvPath, full, undefined, mode, true)
      return this.toResult(o, drvPath, full, undefined)
    } finally {
      run.finish()
    }
  }

  private async drvHash(drvPath: StorePath, drv?: Derivation): Promise<DrvHash> {
    // Bounded: a long-running daemon sees many derivations; recomputing is cheap enough.
    if (this.hashes.size > 50_000) this.hashes = new DrvHashCache(undefined, this.store.storeDir)
    const read = (p: StorePath): Promise<Derivation> => this.store.readDerivation(p)
    const lookupAsync = async (p: StorePath): Promise<DrvHash> => {
      try { return this.hashes.lookup(p) } catch { /* not cached yet */ }
      const d = await read(p)
      const h = await hashDerivationModuloAsync(d, lookupAsync, { storeDir: this.store.storeDir })
      this.hashes.record(p, d)
      return h
    }
    const d = drv ?? (await read(drvPath))
    return hashDerivationModuloAsync(d, lookupAsync, { storeDir: this.store.storeDir, maskOutputs: true })
  }

  /** The realisation key of each output (`sha256:<hash modulo>`, C++ `DrvOutput::drvHash`). */
  async outputHashes(drvPath: StorePath, drv?: Derivation): Promise<Map<string, string>> {
    const h = await this.drvHash(drvPath, drv)
    return new Map([...h.hashes].map(([n, x]) => [n, `sha256:${x.toBase16()}`]))
  }

  /** Realisation ids for `builtOutputs`: `sha256:<hash modulo>!<output>`. */
  async realisations(drvPath: StorePath, outputs: ReadonlyMap<string, StorePath>, drv?: Derivation): Promise<Map<string, Realisation>> {
    const out = new Map<string, Realisation>()
    if (outputs.size === 0) return out
    const h = await this.drvHash(drvPath, drv)
    for (const [name, p] of outputs) {
      const hash = h.hashes.get(name)
      out.set(name, { id: { drvHash: hash ? `sha256:${hash.toBase16()}` : 'sha256:' + '0'.repeat(64), outputName: name }, outPath: p, signatures: [], dependentRealisations: new Map() })
    }
    return out
  }

  /**
   * The result as a client gets it. `timesBuilt` is 0 whatever happened, as C++ 2.34 reports
   * it (its per-output goal does not copy the count from the goal that built; 2.8 said 1).
   */
  private async toResult(o: GoalOutcome, drvPath: StorePath, drv: Derivation | undefined, wanted: readonly string[] | undefined): Promise<BuildResult> {
    if (!o.ok) {
      return { status: o.error.status, errorMsg: o.error.message, timesBuilt: 0, isNonDeterministic: o.error.status === BuildStatus.NotDeterministic, startTime: o.startTime, stopTime: o.stopTime, builtOutputs: new Map() }
    }
    const outs = new Map([...o.outputs].filter(([n]) => wanted === undefined || wanted.includes(n)))
    return { status: o.status, errorMsg: '', timesBuilt: 0, isNonDeterministic: false, startTime: o.startTime, stopTime: o.stopTime, builtOutputs: await this.realisations(drvPath, outs, drv) }
  }

  // ---- what a Run needs from the builder --------------------------------------------------

  /** @internal */ get _store(): BuilderStore { return this.store }
  /** @internal */ get _runners(): Runners { return this.runners }
  /** @internal */ _signingKeys(s: Settings): SecretKey[] { return this.signingKeys(s) }
}

/**
 * The progress activities C++'s `Worker` reports (the client's `[1/2/3 built]` bar):
 * Realise, Builds and CopyPaths, with `Progress` results (done, expected, running, failed)
 * and the expected download and NAR sizes (always 0 here: nothing is substituted).
 */
class Progress {
  private readonly realise: Activity
  private readonly builds: Activity
  private readonly copies: Activity
  done = 0
  expected = 0
  running = 0
  failed = 0

  constructor(logger: Logger) {
    this.realise = logger.startActivity(ActivityType.Realise, Verbosity.Error, '')
    this.builds = logger.startActivity(ActivityType.Builds, Verbosity.Error, '')
    this.copies = logger.startActivity(ActivityType.CopyPaths, Verbosity.Error, '')
    this.update()
  }

  update(): void {
    this.builds.result(ResultType.Progress, [this.done, this.expected, this.running, this.failed])
    this.copies.result(ResultType.Progress, [0, 0, 0, 0])
    this.realise.result(ResultType.SetExpected, [ActivityType.FileTransfer, 0])
    this.realise.result(ResultType.SetExpected, [ActivityType.CopyPath, 0])
  }

  stop(): void {
    this.copies.stop()
    this.builds.stop()
    this.realise.stop()
  }
}

/** One request: its goals, job slots and failure policy. */
class Run {
  private readonly goals = new Map<string, Promise<GoalOutcome>>()
  private readonly slots: Semaphore
  private readonly abort = new AbortController()
  private readonly store: BuilderStore
  private readonly progress: Progress
  readonly signal: AbortSignal

  constructor(private readonly builder: Builder, readonly ctx: BuildRequestContext) {
    this.store = builder._store
    this.progress = new Progress(ctx.logger)
    this.slots = new Semaphore(Math.max(1, ctx.maxJobs))
    this.signal = ctx.signal ? AbortSignal.any([ctx.signal, this.abort.signal]) : this.abort.signal
  }

  finish(): void { this.progress.stop() }

  /** An opaque target: valid or not (there are no substituters). */
  async opaque(p: StorePath): Promise<BuildResult> {
    const t = nowSec()
    if (await this.store.isValidPath(p)) {
      await this.store.addTempRoot(this.ctx.clientId, p)
      return { status: BuildStatus.AlreadyValid, errorMsg: '', timesBuilt: 0, isNonDeterministic: false, startTime: t, stopTime: t, builtOutputs: new Map() }
    }
    const msg = `path '${hl(this.store.storeDir.print(p))}' is required, but there is no substituter that can build it`
    this.fail()
    return { status: BuildStatus.NoSubstituters, errorMsg: msg, timesBuilt: 0, isNonDeterministic: false, startTime: t, stopTime: t, builtOutputs: new Map() }
  }

  /** Stop the request after a failure unless `keep-going`. */
  private fail(): void {
    if (!this.ctx.keepGoing) this.abort.abort(new BuildError(BuildStatus.MiscFailure, 'build cancelled after another build failed'))
  }

  goal(drvPath: StorePath, wanted: readonly string[] | undefined, mode: BuildMode, top: boolean): Promise<GoalOutcome> {
    const key = `${drvPath.baseName}!${wanted ? [...wanted].sort().join(',') : '*'}!${mode}`
    let g = this.goals.get(key)
    if (!g) {
      g = (async () => {
        let drv: Derivation
        try {
          if (!(await this.store.isValidPath(drvPath))) throw new BuildError(BuildStatus.MiscFailure, `path '${hl(this.store.storeDir.print(drvPath))}' is not valid`)
          drv = await this.store.readDerivation(drvPath)
        } catch (e) {
          return this.failed(e, top)
        }
        return this.goalFor(drvPath, drv, wanted, mode, top)
      })()
      this.goals.set(key, g)
    }
    return g
  }

  private failed(e: unknown, top: boolean, timesBuilt = 0, startTime = nowSec(), stopTime = nowSec()): GoalOutcome {
    // Stopped because another build failed (no keep-going): failed, but without an error of
    // its own (C++ cancels such goals; they count as failed and say nothing).
    if (this.abort.signal.aborted && !this.ctx.signal?.aborted && (e === this.abort.signal.reason || e instanceof BuildCancelledError)) {
      return { ok: false, error: new BuildError(BuildStatus.MiscFailure, ''), timesBuilt, startTime, stopTime }
    }
    const error = e instanceof BuildError ? e : new BuildError(BuildStatus.MiscFailure, (e as Error).message ?? String(e))
    // Failures of inputs are reported as they happen (C++ logs a failed goal that has waiters).
    if (!top) this.ctx.logger.log(Verbosity.Error, errorLine(error.message))
    this.fail()
    return { ok: false, error, timesBuilt, startTime, stopTime }
  }

  /** Known output paths, realised floating ones, and which are valid. */
  private async outputState(drvPath: StorePath, drv: Derivation): Promise<{ paths: Map<string, StorePath | undefined>; valid: Set<string> }> {
    const paths = drvOutputPaths(this.store.storeDir, drv)
    if ([...paths.values()].some(p => p === undefined)) {
      try {
        for (const [n, p] of await this.store.queryDerivationOutputMap(drvPath)) if (p && paths.get(n) === undefined) paths.set(n, p)
      } catch { /* BuildDerivation: the .drv need not be in the store */ }
    }
    const valid = new Set<string>()
    for (const [n, p] of paths) if (p && (await this.store.isValidPath(p))) valid.add(n)
    return { paths, valid }
  }

  async goalFor(drvPath: StorePath, drv: Derivation, wanted: readonly string[] | undefined, mode: BuildMode, top: boolean): Promise<GoalOutcome> {
    const sd = this.store.storeDir
    const drvPrinted = sd.print(drvPath)
    const want = wanted ?? [...drv.outputs.keys()]
    const timer = new PhaseTimer(drvPath.name)
    try {
      for (const w of want) {
        if (!drv.outputs.has(w)) throw new BuildError(BuildStatus.MiscFailure, `derivation '${hl(drvPrinted)}' does not have wanted outputs '${hl(w)}'`)
      }
      const state = await this.outputState(drvPath, drv)
      timer.mark('state')
      const alreadyValid = (): GoalOutcome | undefined => {
        if (mode !== 'normal' || !want.every(w => state.valid.has(w))) return undefined
        const t = nowSec()
        return { ok: true, status: BuildStatus.AlreadyValid, outputs: new Map(want.map(w => [w, state.paths.get(w)!])), startTime: t, stopTime: t, timesBuilt: 0 }
      }
      const early = alreadyValid()
      if (early) { await this.tempRoots(early); return early }
      if (mode === 'check' && !drv.outputs.size) throw new BuildError(BuildStatus.MiscFailure, 'nothing to check')
      if (mode === 'check' && ![...drv.outputs.keys()].every(n => state.valid.has(n))) {
        throw new BuildError(BuildStatus.MiscFailure, `some outputs of '${hl(drvPrinted)}' are not valid, so checking is not possible`)
      }

      // Inputs first (checked: normally built; repaired: repaired too).
      const inputMode: BuildMode = mode === 'repair' ? 'repair' : 'normal'
      const inputs = await Promise.all(drv.inputDrvs.map(async i => ({ i, o: await this.goal(i.path, i.outputs, inputMode, false) })))
      const nFailed = inputs.filter(x => !x.o.ok).length
      if (nFailed > 0) {
        const outs = [...state.paths.values()].filter((p): p is StorePath => p !== undefined).map(p => sd.print(p))
        throw new BuildError(BuildStatus.DependencyFailed, cannotBuild(drvPrinted, dependenciesFailed(nFailed), outs))
      }
      for (const src of drv.inputSrcs) {
        if (!(await this.store.isValidPath(src))) throw new BuildError(BuildStatus.MiscFailure, `path '${hl(sd.print(src))}' is required, but there is no substituter that can build it`)
      }

      timer.mark('inputs')
      // Resolve: input derivations → the paths their outputs were built at.
      const built = new Map(inputs.map(x => [x.i.path.baseName, x.o.ok ? x.o.outputs : new Map<string, StorePath>()]))
      const lookup = (p: { kind: 'opaque'; path: StorePath } | { kind: 'built' }, out: string): StorePath | undefined =>
        p.kind === 'opaque' ? built.get(p.path.baseName)?.get(out) : undefined
      const resolved = tryResolve(drv, lookup as Parameters<typeof tryResolve>[1], { storeDir: sd, caDerivations: this.caEnabled() })
      if (!resolved) throw new BuildError(BuildStatus.MiscFailure, `cannot resolve derivation '${drvPrinted}'`)
      let options: DerivationOptions = derivationOptions(drv, { storeDir: sd, caDerivations: this.caEnabled(), warn: m => this.ctx.logger.warn(m) })
      options = tryResolveOptions(options, lookup as Parameters<typeof tryResolveOptions>[1]) ?? options
      // Deferred outputs got their paths from resolution.
      for (const [n, o] of resolved.outputs) if (o.kind === 'inputAddressed' && state.paths.get(n) === undefined) state.paths.set(n, o.path)

      // C++ builds some derivations only in resolved form, as a derivation of their own:
      // deferred input-addressed ones, floating CA and impure ones with input derivations,
      // and (with ca-derivations) fixed-output ones with input derivations.
      const type = derivationType(drv)
      const mustResolve = drv.inputDrvs.length > 0 && (type.kind === 'inputAddressed' ? type.deferred : type.kind === 'impure' || !type.fixed || this.caEnabled())
      if (mustResolve) {
        const full: Derivation = { ...resolved, inputDrvs: [] }
        const resolvedPath = await this.store.writeDerivation(this.ctx.clientId, full)
        this.ctx.logger.startActivity(ActivityType.BuildWaiting, Verbosity.Info, `resolved derivation: '${drvPrinted}' -> '${sd.print(resolvedPath)}'`).stop()
        timer.report()
        const sub = await this.goalFor(resolvedPath, full, wanted, mode, top)
        if (!sub.ok) return sub
        // The original derivation's outputs are those of the resolved one (C++ registers
        // realisations under the original's hash modulo).
        if (this.caEnabled()) {
          const rs = await this.builder.realisations(drvPath, sub.outputs, drv)
          for (const r of rs.values()) await this.store.registerRealisation(r).catch(() => undefined)
        }
        return { ...sub, status: sub.status === BuildStatus.AlreadyValid ? BuildStatus.ResolvesToAlreadyValid : sub.status }
      }

      if (this.ctx.maxJobs === 0 && !isBuiltin(drv)) {
        throw new BuildError(BuildStatus.InputRejected,
          `Cannot build '${hl(drvPrinted)}'.\nReason: ${red('local builds are disabled')} (max-jobs = 0)\nHint: set 'max-jobs' to a non-zero value to enable local builds, or configure remote builders via 'builders'`)
      }

      // Output locks (as C++ names them), then validity again: someone may have beaten us.
      const lockPaths = [...drv.outputs.keys()].map(n => {
        const p = state.paths.get(n)
        return p ? `${this.store.realStoreDir}/${p.baseName}` : `${this.store.realStoreDir}/${drvPath.baseName}.${n}`
      })
      timer.mark('resolve')
      let waiting: ReturnType<Logger['startActivity']> | undefined
      const locks = await PathLocks.acquire(lockPaths, {
        signal: this.signal,
        onWait: () => { waiting ??= this.ctx.logger.startActivity(ActivityType.BuildWaiting, Verbosity.Warn, `waiting for lock on ${lockPaths.map(p => `'${hl(p)}'`).join(', ')}`) },
      })
      waiting?.stop()
      timer.mark('lock')
      try {
        const again = await this.outputState(drvPath, drv)
        for (const [n, p] of again.paths) if (p) state.paths.set(n, p)
        const st2 = { paths: state.paths, valid: again.valid }
        if (mode === 'normal' && want.every(w => st2.valid.has(w))) {
          const t = nowSec()
          const o: GoalOutcome = { ok: true, status: BuildStatus.AlreadyValid, outputs: new Map(want.map(w => [w, st2.paths.get(w)!])), startTime: t, stopTime: t, timesBuilt: 0 }
          await this.tempRoots(o)
          return o
        }
        this.progress.expected++
        this.progress.update()
        const release = await this.slots.acquire(this.signal)
        let ok = false
        this.progress.running++
        this.progress.update()
        try {
          if (this.signal.aborted) throw this.signal.reason
          const known = new Map<string, StorePath | undefined>()
          for (const [n, o] of resolved.outputs) known.set(n, o.kind === 'inputAddressed' ? o.path : o.kind === 'caFixed' ? st2.paths.get(n) : undefined)
          const ctx = this.signal === this.ctx.signal ? this.ctx : { ...this.ctx, signal: this.signal }
          timer.mark('slot')
          const r = await buildOne({
            store: this.store, runners: this.builder._runners, ctx, drvPath, drv: resolved, options,
            knownPaths: known, validOutputs: st2.valid, mode, signingKeys: this.builder._signingKeys(this.ctx.settings), timer,
          })
          const outcome: GoalOutcome = { ok: true, status: BuildStatus.Built, outputs: r.outputs, startTime: Math.floor(r.startTime / 1000), stopTime: Math.floor(r.stopTime / 1000), timesBuilt: 1 }
          await this.afterBuild(drvPath, drv, r.outputs)
          await this.tempRoots(outcome)
          timer.mark('after')
          ok = true
          if (want.length < r.outputs.size) return { ...outcome, outputs: new Map(want.map(w => [w, r.outputs.get(w)!])) }
          return outcome
        } finally {
          release()
          this.progress.running--
          if (ok) this.progress.done++
          else this.progress.failed++
          this.progress.update()
        }
      } finally {
        locks!.setDeletion(true)
        await locks!.release()
        timer.mark('unlock')
        timer.report()
      }
    } catch (e) {
      return this.failed(e, top, e instanceof BuildError && e.status !== BuildStatus.DependencyFailed && e.status !== BuildStatus.InputRejected ? 1 : 0)
    }
  }

  private caEnabled(): boolean { return this.ctx.settings['experimental-features'].includes('ca-derivations') }

  /** Realisations of content-addressed outputs (and of all outputs with `ca-derivations`). */
  private async afterBuild(drvPath: StorePath, drv: Derivation, outputs: ReadonlyMap<string, StorePath>): Promise<void> {
    const floating = [...drv.outputs].filter(([, o]) => o.kind === 'caFloating' || o.kind === 'impure').map(([n]) => n)
    const names = this.caEnabled() ? [...outputs.keys()] : floating.filter(n => outputs.has(n))
    if (names.length === 0) return
    const rs = await this.builder.realisations(drvPath, new Map(names.map(n => [n, outputs.get(n)!])), drv)
    for (const r of rs.values()) await this.store.registerRealisation(r)
  }

  private async tempRoots(o: GoalOutcome): Promise<void> {
    if (!o.ok) return
    for (const p of o.outputs.values()) await this.store.addTempRoot(this.ctx.clientId, p)
  }
}


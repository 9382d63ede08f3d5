/**
 * One build of one (resolved) derivation — C++ `DerivationBuilder`: the output paths the
 * builder writes (scratch paths), the input closure, the environment and sandbox request,
 * the run (runner or built-in builder) with its log going to the client and to the log
 * file, the outcome turned into C++'s status and message, and the outputs registered.
 * Locks, job slots and input goals are the worker's business (worker.ts).
 */
import { randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
import { mkdir, rm } from 'node:fs/promises'
import { availableParallelism } from 'node:os'
import { dirname, join } from 'node:path'
import {
  type BasicDerivation, type DerivationOptions, derivationType, hashPlaceholder, isBuiltin, isFixedOutput, isImpure,
  isSandboxed as drvIsSandboxed, type JsonValue,
} from '../derivation/index.js'
import { ActivityType, Verbosity } from '../logger.js'
import {
  defaultNetworkEtc, fromBasicDerivation, makeBuildRequest, parseSandboxPaths, renderValidityRegistration,
  type BuildOutcome, type FinishedBuild, type InputPath, type SandboxRunner,
} from '../sandbox/index.js'
import type { SecretKey } from '../signing/index.js'
import {
  BuildStatus, makeStorePath, NixHash, outputPathName, printContentAddress, type StorePath,
} from '../store-path/index.js'
import type { BuildMode } from '../store/types.js'
import { runBuiltin } from './builtins/index.js'
import { BuildCancelledError, BuildError, BuiltinBuilderError } from './errors.js'
import { BuildLog } from './log.js'
import { LogFile } from './log-file.js'
import { cannotBuild, exitReason, formatError, hl, red } from './messages.js'
import { registerOutputs, type ScratchOutput } from './outputs.js'
import { exists } from './fs-util.js'
import { PhaseTimer } from './profile.js'
import type { BuilderStore, BuildRequestContext } from './types.js'

/** Where builds run: the sandbox (runc) or directly on the host, chosen per build. */
export interface Runners {
  sandboxed(): SandboxRunner
  direct(): SandboxRunner
  /** Host uid/gid for an unsandboxed build (a build user, or the daemon's own ids). */
  acquireBuildUser(signal?: AbortSignal): Promise<{ uid: number; gid: number; release(): Promise<void> } | undefined>
  /** Root for scratch areas on the store's filesystem. */
  readonly workRoot: string
}

export interface BuildOneOptions {
  readonly store: BuilderStore
  readonly runners: Runners
  readonly ctx: BuildRequestContext
  readonly drvPath: StorePath
  /** The derivation to build, resolved (no input derivations left). */
  readonly drv: BasicDerivation
  readonly options: DerivationOptions
  /** Final output paths where known before the build. */
  readonly knownPaths: ReadonlyMap<string, StorePath | undefined>
  /** Outputs valid before the build. */
  readonly validOutputs: ReadonlySet<string>
  readonly mode: BuildMode
  readonly signingKeys: readonly SecretKey[]
  readonly timer?: PhaseTimer | undefined
}

export interface BuildOneResult {
  readonly outputs: Map<string, StorePath>
  readonly startTime: number
  readonly stopTime: number
}

/** C++ `makeFallbackPath(outputName)`: the scratch path of an output whose path is unknown. */
export function fallbackPath(store: BuilderStore, drvPath: StorePath, drvName: string, outputName: string): StorePath {
  return makeStorePath(store.storeDir, `rewrite:${drvPath.baseName}:name:${outputName}`, NixHash.fromDigest('sha256', new Uint8Array(32)), outputPathName(drvName, outputName))
}

export async function buildOne(o: BuildOneOptions): Promise<BuildOneResult> {
  const { store, ctx, drv, drvPath } = o
  const sd = store.storeDir
  const drvPrinted = sd.print(drvPath)
  const type = derivationType(drv)
  const settings = ctx.settings

  // Where the build may run at all (C++ `DerivationBuildingGoal::tryToBuild` checks).
  const system = settings.system
  const platforms = new Set([system, ...settings['extra-platforms']])
  const builtin = isBuiltin(drv)
  const required = [...o.options.requiredSystemFeatures]
  const features = new Set(settings['system-features'])
  if (!builtin && !platforms.has(drv.platform) && drv.platform !== 'builtin') {
    throw new BuildError(BuildStatus.InputRejected,
      `Cannot build '${hl(drvPrinted)}'.\nReason: ${red('platform mismatch')}\nRequired system: '${hl(drv.platform)}'\nCurrent system: '${hl(system)}'`)
  }
  // `ca-derivations` counts as a system feature when the experimental feature is on.
  if (settings['experimental-features'].includes('ca-derivations')) features.add('ca-derivations')
  const missing = required.filter(f => !features.has(f))
  if (missing.length > 0) {
    throw new BuildError(BuildStatus.InputRejected,
      `Cannot build '${hl(drvPrinted)}'.\nReason: ${red('missing system features')}\nRequired features: {${[...new Set(required)].sort().join(', ')}}\nAvailable features: {${[...features].sort().join(', ')}}`)
  }

  const sandboxMode = settings.sandbox
  const relocated = sd.path !== store.realStoreDir
  const sandboxed = !builtin && (relocated || sandboxMode === 'true' || (sandboxMode === 'relaxed' && drvIsSandboxed(type) && !o.options.noChroot))
  if (sandboxMode === 'true' && o.options.noChroot && !relocated) {
    throw new BuildError(BuildStatus.InputRejected, `derivation '${drvPrinted}' has '__noChroot' set, but that's not allowed when 'sandbox' is 'true'`)
  }

  // Output paths during the build (C++ `scratchOutputs`): the final path where that is safe;
  // unknown paths and, outside the sandbox, paths that exist and must not be overwritten get a
  // stand-in whose hash part is rewritten back afterwards.
  const scratch = new Map<string, StorePath>()
  const rewrites: Array<[string, string]> = []
  for (const name of drv.outputs.keys()) {
    const known = o.knownPaths.get(name)
    let p: StorePath
    if (!known) p = fallbackPath(store, drvPath, drv.name, name)
    else if (sandboxed || builtin || !(await exists(`${store.realStoreDir}/${known.baseName}`))) p = known
    else if (o.mode !== 'repair' && !(await store.isValidPath(known))) p = known
    else p = makeStorePath(sd, `rewrite:${drvPath.baseName}:${known.baseName}`, NixHash.fromDigest('sha256', new Uint8Array(32)), known.name)
    scratch.set(name, p)
    if (!known) rewrites.push([hashPlaceholder(name), sd.print(p)])
    else if (!p.equals(known)) rewrites.push([known.hashPart, p.hashPart])
  }

  // The input closure and what exportReferencesGraph needs from it.
  const inputClosure = await store.computeClosure([...drv.inputSrcs])
  const graph = await referencesGraphs(store, drv)
  const timer = o.timer ?? new PhaseTimer('')
  timer.mark('closure')

  const act = ctx.logger.startActivity(ActivityType.Build, Verbosity.Info,
    `${o.mode === 'repair' ? 'repairing outputs of' : o.mode === 'check' ? 'checking outputs of' : 'building'} '${drvPrinted}'`, [drvPrinted, '', 1, 1])
  const log = new BuildLog({ logger: ctx.logger, activity: act, logLines: settings['log-lines'] })
  let logFile: LogFile | undefined
  let finished: FinishedBuild | undefined
  let keep = false
  let buildUser: Awaited<ReturnType<Runners['acquireBuildUser']>>
  try {
    logFile = await LogFile.open(store.logDir, drvPath, settings['compress-build-log'])
    timer.mark('logfile')
    const onLog = (chunk: Uint8Array): void | Promise<void> => {
      log.push(chunk)
      return logFile!.write(chunk)
    }
    const limits = { timeoutSeconds: settings.timeout, maxSilentSeconds: ctx.maxSilentTime, maxLogBytes: settings['max-build-log-size'] }
    const cores = ctx.cores > 0 ? ctx.cores : availableParallelism()
    const impureEnv = impureEnvLookup(settings['impure-env'])
    let outcome: BuildOutcome
    let hostPaths: Map<string, string>
    let builderUid: number | undefined

    if (builtin) {
      const area = join(o.runners.workRoot, `builtin-${randomBytes(8).toString('hex')}`)
      await mkdir(area, { recursive: true, mode: 0o700 })
      hostPaths = new Map([...scratch].map(([n, p]) => [n, join(area, p.baseName)]))
      const startTime = Date.now()
      let exitCode = 0
      try {
        await runBuiltin(drv, { outputs: hostPaths, storeDir: sd, realStoreDir: store.realStoreDir, log: onLog, signal: ctx.signal, netrc: undefined, ctx })
      } catch (e) {
        // What C++'s forked builder prints before exiting with 1: the error with its traces.
        const traces = e instanceof BuiltinBuilderError ? e.traces : []
        await onLog(new TextEncoder().encode(formatError((e as Error).message, traces) + '\n'))
        exitCode = 1
      }
      outcome = {
        exitCode, signal: null, limit: null, setupError: null, startTime, stopTime: Date.now(), logBytes: 0,
        outputs: [...hostPaths].map(([name, hostPath]) => ({ name, path: sd.print(scratch.get(name)!), hostPath, exists: existsSync(hostPath) })),
        scratchStore: area, builderHostUid: null, builderHostGid: null,
      }
      finished = { outcome, cleanup: () => rm(area, { recursive: true, force: true }) }
    } else {
      const inputs: InputPath[] = inputClosure.map(p => ({ path: sd.print(p), hostPath: `${store.realStoreDir}/${p.baseName}` }))
      const envOpts = {
        storeDir: sd.path,
        cores,
        impureEnv,
        referencesGraphText: (paths: string[]) => graph.text(paths),
        referencesGraphJson: (paths: string[]) => graph.json(paths),
        rewrites,
      }
      const like = fromBasicDerivation(drv, new Map([...scratch].map(([n, p]) => [n, sd.print(p)])))
      let runner: SandboxRunner
      let req
      if (sandboxed) {
        req = makeBuildRequest(like, {
          ...envOpts, inputs, limits,
          buildDir: settings['sandbox-build-dir'],
          sandboxPaths: parseSandboxPaths(settings['sandbox-paths'].join(' ')),
          networkEtc: defaultNetworkEtc(existsSync),
        })
        runner = o.runners.sandboxed()
      } else {
        buildUser = await o.runners.acquireBuildUser(ctx.signal)
        const uid = buildUser?.uid ?? process.getuid?.() ?? 0
        const gid = buildUser?.gid ?? process.getgid?.() ?? 0
        const buildDir = join(o.runners.workRoot, `nix-build-${drv.name}-${randomBytes(4).toString('hex')}`)
        // Leftovers of an earlier, interrupted build of the same outputs.
        for (const p of scratch.values()) await rmTree(`${store.realStoreDir}/${p.baseName}`)
        req = makeBuildRequest(like, { ...envOpts, inputs, limits, buildDir, uid, gid })
        req = { ...req, storeDir: store.realStoreDir }
        runner = o.runners.direct()
      }
      timer.mark('request')
      try {
        finished = await runner.build(req, { onLog, ...(ctx.signal ? { signal: ctx.signal } : {}) })
      } catch (e) {
        // Unsandboxed, a builder that cannot be executed surfaces as a spawn error; report it
        // as Nix does: a failed build (exit 1) with the reason in its log.
        const code = (e as NodeJS.ErrnoException).code
        if (sandboxed || (code !== 'ENOENT' && code !== 'EACCES' && code !== 'ENOEXEC')) throw e
        await rmTree(req.buildDir)
        const reason = code === 'ENOENT' ? 'No such file or directory' : code === 'EACCES' ? 'Permission denied' : 'Exec format error'
        await onLog(new TextEncoder().encode(`${formatError(`executing '${hl(drv.builder)}': ${hl(reason)}`)}\n`))
        const t = Date.now()
        finished = {
          outcome: { exitCode: 1, signal: null, limit: null, setupError: null, startTime: t, stopTime: t, logBytes: 0, outputs: [], scratchStore: store.realStoreDir, builderHostUid: null, builderHostGid: null },
          cleanup: async () => {},
        }
      }
      timer.mark('run')
      outcome = finished.outcome
      hostPaths = new Map(outcome.outputs.map(x => [x.name, x.hostPath]))
      builderUid = outcome.builderHostUid ?? undefined
    }
    log.end()
    await logFile.close()
    logFile = undefined
    timer.mark('logclose')

    const outPaths = [...drv.outputs.keys()].map(n => sd.print(o.knownPaths.get(n) ?? scratch.get(n)!))
    if (outcome.setupError !== null) {
      throw new BuildError(BuildStatus.MiscFailure, `while setting up the build environment: ${outcome.setupError}`)
    }
    if (outcome.limit === 'timeout' || outcome.limit === 'max-silent-time') {
      const n = outcome.limit === 'timeout' ? settings.timeout : ctx.maxSilentTime
      // 2.34 words both limits the same way (2.8: "… timed out after N seconds [of silence]").
      throw new BuildError(BuildStatus.TimedOut, `timed out after ${hl(n)} seconds`)
    }
    if (outcome.limit === 'max-log-size') {
      throw new BuildError(BuildStatus.LogLimitExceeded, `${hl(`building derivation '${drvPrinted}'`)} killed after writing more than ${hl(settings['max-build-log-size'])} bytes of log output`)
    }
    if (ctx.signal?.aborted) throw new BuildCancelledError(`build of '${drvPrinted}' was interrupted`)
    if (outcome.exitCode !== 0) {
      const status = isFixedOutput(type) || isImpure(type) ? BuildStatus.TransientFailure : BuildStatus.PermanentFailure
      throw new BuildError(status, cannotBuild(drvPrinted, exitReason(outcome.exitCode, outcome.signal), outPaths, log.tail))
    }

    const outputs: ScratchOutput[] = [...drv.outputs].map(([name, output]) => ({
      name, output,
      scratchPath: scratch.get(name)!,
      knownPath: o.knownPaths.get(name),
      hostPath: hostPaths.get(name)!,
      alreadyValid: o.validOutputs.has(name),
    }))
    const finalPaths = await registerOutputs({
      store, drvPath, drvName: drv.name, outputs, inputClosure, options: o.options, mode: o.mode,
      keepFailed: ctx.keepFailed, builderUid, signingKeys: o.signingKeys, signal: ctx.signal,
    })
    timer.mark('register')
    return { outputs: finalPaths, startTime: outcome.startTime, stopTime: outcome.stopTime }
  } catch (e) {
    if (ctx.keepFailed && finished && e instanceof BuildError) {
      keep = true
      ctx.logger.log(Verbosity.Error, `note: keeping build directory ${JSON.stringify(join(dirname(finished.outcome.scratchStore), 'build'))}`)
    }
    throw e
  } finally {
    log.end()
    act.stop()
    await logFile?.close().catch(() => undefined)
    if (finished && !keep) await finished.cleanup().catch(() => undefined)
    // Unsandboxed, outputs are built in the real store: whatever is there and not valid now
    // (stand-ins, results of a failed build) goes.
    if (!sandboxed && !builtin) {
      for (const p of scratch.values()) {
        if (!(await store.isValidPath(p))) await rmTree(`${store.realStoreDir}/${p.baseName}`).catch(() => undefined)
      }
    }
    await buildUser?.release()
    timer.mark('cleanup')
  }
}

async function rmTree(p: string): Promise<void> {
  const { deleteTree } = await import('./fs-util.js')
  await deleteTree(p)
}

function impureEnvLookup(impureEnvSetting: readonly string[]): (name: string) => string | undefined {
  const fromSetting = new Map<string, string>()
  for (const kv of impureEnvSetting) {
    const eq = kv.indexOf('=')
    if (eq > 0) fromSetting.set(kv.slice(0, eq), kv.slice(eq + 1))
  }
  return name => fromSetting.get(name) ?? process.env[name]
}

/**
 * exportReferencesGraph: the closures the derivation asks for, looked up before the build
 * (the environment is computed synchronously). Text form: the validity registration; JSON
 * form (structured attrs): path infos as C++ 2.34 writes them into `.attrs.json`.
 */
async function referencesGraphs(store: BuilderStore, drv: BasicDerivation): Promise<{ text(paths: string[]): string; json(paths: string[]): JsonValue }> {
  const sd = store.storeDir
  const wanted: string[] = []
  const attrs = drv.structuredAttrs?.attrs
  if (attrs) {
    const e = attrs.get('exportReferencesGraph')
    if (e instanceof Map) for (const v of e.values()) for (const p of Array.isArray(v) ? v : [v]) if (typeof p === 'string') wanted.push(p)
  } else {
    const toks = (drv.env.get('exportReferencesGraph') ?? '').split(/[ \t\n\r]+/).filter(Boolean)
    for (let i = 1; i < toks.length; i += 2) wanted.push(toks[i]!)
  }
  const infos = new Map<string, { path: string; references: string[]; narHash: NixHash; narSize: number; ca: string | undefined; closure: string[] }>()
  const closures = new Map<string, string[]>()
  for (const w of wanted) {
    if (closures.has(w)) continue
    let start: StorePath
    try { start = sd.toStorePath(w).path } catch {
      throw new BuildError(BuildStatus.InputRejected, `path '${w}' is not in the Nix store`)
    }
    if (!drv.inputSrcs.some(s => s.equals(start))) {
      throw new BuildError(BuildStatus.InputRejected, `referenced path '${w}' is not in the derivation's inputs`)
    }
    const closure = await store.computeClosure([start])
    closures.set(w, closure.map(p => sd.print(p)))
    for (const p of closure) {
      const key = sd.print(p)
      if (infos.has(key)) continue
      const info = await store.queryPathInfo(p)
      if (!info) continue
      const own = await store.computeClosure([p])
      infos.set(key, { path: key, references: info.references.map(r => sd.print(r)), narHash: info.narHash, narSize: info.narSize, ca: info.ca ? printContentAddress(info.ca) : undefined, closure: own.map(x => sd.print(x)) })
    }
  }
  const closureOf = (paths: string[]): string[] => [...new Set(paths.flatMap(p => closures.get(p) ?? []))].sort()
  return {
    text: paths => renderValidityRegistration(closureOf(paths).map(p => ({ path: p, references: infos.get(p)?.references ?? [] }))),
    json: paths => closureOf(paths).map(p => {
      const i = infos.get(p)!
      const closureSize = i.closure.reduce((n, q) => n + (infos.get(q)?.narSize ?? 0), 0)
      const m = new Map<string, JsonValue>()
      if (i.ca !== undefined) m.set('ca', i.ca)
      m.set('closureSize', BigInt(closureSize))
      m.set('narHash', i.narHash.format('nix32', true))
      m.set('narSize', BigInt(i.narSize))
      m.set('path', i.path)
      m.set('references', [...i.references].sort())
      m.set('valid', true)
      return m as JsonValue
    }),
  }
}

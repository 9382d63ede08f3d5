/**
 * BuildResult and KeyedBuildResult (C++ `BuildResult`, worker-protocol.md §5.7), by version:
 *
 *   u64 status, string errorMsg
 *   ≥ 1.29  u64 timesBuilt, bool isNonDeterministic, u64 startTime, u64 stopTime
 *   ≥ 1.37  cpuUser, cpuSystem: tagged optional microseconds
 *   ≥ 1.28  builtOutputs: map<DrvOutput string, Realisation JSON>        (classic)
 *   feature builtOutputs: map<output name, UnkeyedRealisation>          (realisation-with-path-not-hash)
 */
import { NixHash, type StorePath } from '../../store-path/index.js'
import { LIMITS, type WireReader, type WireWriter } from '../../wire/index.js'
import { FEATURE_REALISATION_WITH_PATH } from '../version.js'
import { atLeast, type Codec, type CodecContext, hasFeature } from './context.js'
import { type DerivedPath, DerivedPathCodec } from './derived-path.js'
import { taggedOptional, Num, readEnum, writeEnum } from './primitives.js'
import { parseDrvOutput, printDrvOutput, realisationFromJson, realisationToJson, UnkeyedRealisationCodec } from './realisation.js'

/** C++ `BuildResult::Status`, in wire order. */
export const BUILD_STATUSES = [
  'Built', 'Substituted', 'AlreadyValid', 'PermanentFailure', 'InputRejected', 'OutputRejected',
  'TransientFailure', 'CachedFailure', 'TimedOut', 'MiscFailure', 'DependencyFailed', 'LogLimitExceeded',
  'NotDeterministic', 'ResolvesToAlreadyValid', 'NoSubstituters',
] as const
export type BuildStatus = (typeof BUILD_STATUSES)[number]

const SUCCESS: ReadonlySet<BuildStatus> = new Set(['Built', 'Substituted', 'AlreadyValid', 'ResolvesToAlreadyValid'])
export function isSuccess(s: BuildStatus): boolean { return SUCCESS.has(s) }

/** One built output as the build result reports it. */
export interface BuiltOutput {
  readonly outPath: StorePath
  readonly signatures: readonly string[]
  /**
   * The derivation's hash modulo (classic encoding's DrvOutput). Absent = unknown: sent as
   * all zeros, as master does for old clients, which only use the output name and outPath.
   */
  readonly drvHash?: NixHash
  /** Only ever non-empty in old CA stores. */
  readonly dependentRealisations?: ReadonlyMap<string, StorePath>
}

export interface BuildResult {
  readonly status: BuildStatus
  readonly errorMsg: string
  readonly timesBuilt: number
  readonly isNonDeterministic: boolean
  /** Seconds since the epoch (0 = unknown). */
  readonly startTime: number
  readonly stopTime: number
  /** Microseconds of CPU time, when known (≥ 1.37). */
  readonly cpuUser?: number
  readonly cpuSystem?: number
  /** Output name → output. */
  readonly builtOutputs: ReadonlyMap<string, BuiltOutput>
}

export type KeyedBuildResult = BuildResult & { readonly path: DerivedPath }

const ZERO_SHA256 = NixHash.fromDigest('sha256', new Uint8Array(32))
const Micros = taggedOptional(Num, 'optional microseconds tag')

function isZero(h: NixHash): boolean { return h.digest.every(b => b === 0) }

function readBuiltOutputs(r: WireReader, ctx: CodecContext): Map<string, BuiltOutput> {
  const out = new Map<string, BuiltOutput>()
  const n = r.count('built outputs')
  if (hasFeature(ctx, FEATURE_REALISATION_WITH_PATH)) {
    for (let i = 0; i < n; i++) {
      const name = r.string({ what: 'output name' })
      out.set(name, UnkeyedRealisationCodec.read(r, ctx))
    }
    return out
  }
  for (let i = 0; i < n; i++) {
    const id = parseDrvOutput(r.string({ what: 'derivation output id' }))
    const real = realisationFromJson(r.string({ max: LIMITS.text, what: 'realisation' }))
    const o: { -readonly [K in keyof BuiltOutput]: BuiltOutput[K] } = { outPath: real.outPath, signatures: real.signatures }
    if (!isZero(id.drvHash)) o.drvHash = id.drvHash
    if (real.dependentRealisations.size > 0) o.dependentRealisations = real.dependentRealisations
    out.set(id.outputName, o)
  }
  return out
}

function writeBuiltOutputs(w: WireWriter, ctx: CodecContext, m: ReadonlyMap<string, BuiltOutput>): void {
  w.u64(m.size)
  if (hasFeature(ctx, FEATURE_REALISATION_WITH_PATH)) {
    for (const [name, o] of m) { w.string(name); UnkeyedRealisationCodec.write(w, ctx, o) }
    return
  }
  for (const [name, o] of m) {
    const id = { drvHash: o.drvHash ?? ZERO_SHA256, outputName: name }
    w.string(printDrvOutput(id))
    w.string(realisationToJson(
      { id, outPath: o.outPath, signatures: o.signatures, dependentRealisations: o.dependentRealisations ?? new Map() },
      { compat: o.drvHash === undefined },
    ))
  }
}

export const BuildResultCodec: Codec<BuildResult> = {
  read(r, ctx) {
    const res: { -readonly [K in keyof BuildResult]: BuildResult[K] } = {
      status: readEnum(r, BUILD_STATUSES, 'build status'),
      errorMsg: r.string({ max: LIMITS.text, what: 'error message' }),
      timesBuilt: 0, isNonDeterministic: false, startTime: 0, stopTime: 0,
      builtOutputs: new Map(),
    }
    if (atLeast(ctx, 29)) {
      res.timesBuilt = r.u32('timesBuilt')
      res.isNonDeterministic = r.bool()
      res.startTime = r.num('startTime')
      res.stopTime = r.num('stopTime')
    }
    if (atLeast(ctx, 37)) {
      const u = Micros.read(r, ctx)
      const s = Micros.read(r, ctx)
      if (u !== undefined) res.cpuUser = u
      if (s !== undefined) res.cpuSystem = s
    }
    if (atLeast(ctx, 28) || hasFeature(ctx, FEATURE_REALISATION_WITH_PATH)) res.builtOutputs = readBuiltOutputs(r, ctx)
    return res
  },
  write(w, ctx, v) {
    writeEnum(w, BUILD_STATUSES, v.status, 'build status')
    w.string(v.errorMsg)
    if (atLeast(ctx, 29)) {
      w.u64(v.timesBuilt).bool(v.isNonDeterministic).u64(v.startTime).u64(v.stopTime)
    }
    if (atLeast(ctx, 37)) {
      Micros.write(w, ctx, v.cpuUser)
      Micros.write(w, ctx, v.cpuSystem)
    }
    if (atLeast(ctx, 28) || hasFeature(ctx, FEATURE_REALISATION_WITH_PATH)) writeBuiltOutputs(w, ctx, v.builtOutputs)
  },
}

/** DerivedPath then BuildResult (the same bytes as 2.8's path-first BuildResult at 1.34). */
export const KeyedBuildResultCodec: Codec<KeyedBuildResult> = {
  read(r, ctx) {
    const path = DerivedPathCodec.read(r, ctx)
    return { ...BuildResultCodec.read(r, ctx), path }
  },
  write(w, ctx, v) {
    DerivedPathCodec.write(w, ctx, v.path)
    BuildResultCodec.write(w, ctx, v)
  },
}

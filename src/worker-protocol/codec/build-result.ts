/**
 * BuildResult and KeyedBuildResult (the shared `store-path` types) on the wire
 * (worker-protocol.md §5.7), by version:
 *
 *   u64 status, string errorMsg
 *   ≥ 1.29  u64 timesBuilt, bool isNonDeterministic, u64 startTime, u64 stopTime
 *   ≥ 1.37  cpuUser, cpuSystem: tagged optional microseconds
 *   ≥ 1.28  builtOutputs: map<DrvOutput string, Realisation JSON>        (classic)
 *   feature builtOutputs: map<output name, UnkeyedRealisation>          (realisation-with-path-not-hash)
 *
 * A realisation whose drvHash is unknown carries ZERO_DRV_HASH: it is sent in master's compat
 * form (zero hash, only `id` and `outPath`), which is all old clients use.
 */
import { type BuildResult, BuildStatus, type KeyedBuildResult, printDrvOutput, type Realisation } from '../../store-path/index.js'
import { LIMITS, type WireReader, type WireWriter } from '../../wire/index.js'
import { InvalidWireValueError } from '../errors.js'
import { FEATURE_REALISATION_WITH_PATH } from '../version.js'
import { atLeast, type Codec, type CodecContext, hasFeature } from './context.js'
import { DerivedPathCodec } from './derived-path.js'
import { Num, taggedOptional } from './primitives.js'
import { parseDrvOutputChecked, realisationFromJson, realisationToJson, UnkeyedRealisationCodec, ZERO_DRV_HASH } from './realisation.js'

/** C++ names of `BuildResult::Status`, indexed by wire value. */
export const BUILD_STATUS_NAMES = [
  'Built', 'Substituted', 'AlreadyValid', 'PermanentFailure', 'InputRejected', 'OutputRejected',
  'TransientFailure', 'CachedFailure', 'TimedOut', 'MiscFailure', 'DependencyFailed', 'LogLimitExceeded',
  'NotDeterministic', 'ResolvesToAlreadyValid', 'NoSubstituters',
] as const

const Micros = taggedOptional(Num, 'optional microseconds tag')
const NO_DEPS: ReadonlyMap<string, import('../../store-path/index.js').StorePath> = new Map()

function readBuiltOutputs(r: WireReader, ctx: CodecContext): Map<string, Realisation> {
  const out = new Map<string, Realisation>()
  const n = r.count('built outputs')
  if (hasFeature(ctx, FEATURE_REALISATION_WITH_PATH)) {
    for (let i = 0; i < n; i++) {
      const outputName = r.string({ what: 'output name' })
      const u = UnkeyedRealisationCodec.read(r, ctx)
      out.set(outputName, { id: { drvHash: ZERO_DRV_HASH, outputName }, outPath: u.outPath, signatures: u.signatures, dependentRealisations: NO_DEPS })
    }
    return out
  }
  for (let i = 0; i < n; i++) {
    const id = parseDrvOutputChecked(r.string({ what: 'derivation output id' }))
    const real = realisationFromJson(r.string({ max: LIMITS.text, what: 'realisation' }))
    // the key is authoritative (C++ reads the map key and the JSON separately)
    out.set(id.outputName, { ...real, id })
  }
  return out
}

function writeBuiltOutputs(w: WireWriter, ctx: CodecContext, m: ReadonlyMap<string, Realisation>): void {
  w.u64(m.size)
  if (hasFeature(ctx, FEATURE_REALISATION_WITH_PATH)) {
    for (const [name, o] of m) { w.string(name); UnkeyedRealisationCodec.write(w, ctx, o) }
    return
  }
  for (const [name, o] of m) {
    const id = { drvHash: o.id.drvHash, outputName: name }
    w.string(printDrvOutput(id))
    w.string(realisationToJson({ ...o, id }))
  }
}

export const BuildResultCodec: Codec<BuildResult> = {
  read(r, ctx) {
    const status = r.u64()
    if (status > BigInt(BuildStatus.NoSubstituters)) throw new InvalidWireValueError('build status', status)
    const res: { -readonly [K in keyof BuildResult]: BuildResult[K] } = {
      status: Number(status) as BuildStatus,
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
    w.u64(v.status).string(v.errorMsg)
    if (atLeast(ctx, 29)) w.u64(v.timesBuilt).bool(v.isNonDeterministic).u64(v.startTime).u64(v.stopTime)
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

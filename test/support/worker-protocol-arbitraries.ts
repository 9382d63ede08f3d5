/**
 * fast-check arbitraries for the protocol's values, shared by the property tests of the codecs,
 * the connection and the client.
 */
import fc from 'fast-check'
import {
  type BuildResult, type BuildStatus, type ContentAddress, type DerivedPath, type HashAlgo, NixHash, NIX32_ALPHABET, type PathInfo,
  type Realisation, StorePath,
} from '../../src/store-path/index.js'
import {
  BUILD_MODES, type ClientSettings, type CodecContext, codecContext, FEATURE_DELETE_DEAD_SPECIFIC_REFERRERS, FEATURE_REALISATION_WITH_PATH,
  GC_ACTIONS, type GCRequest, type StderrFrame, ZERO_DRV_HASH,
} from '../../src/worker-protocol/index.js'
import type { BasicDerivation, DerivationOutput } from '../../src/derivation/index.js'

/** fc.record without null prototypes (deepStrictEqual compares prototypes). */
function rec<T>(model: { [K in keyof T]: fc.Arbitrary<T[K]> }, opts: { requiredKeys?: (keyof T)[] } = {}): fc.Arbitrary<T> {
  return fc.record(model, { ...opts, noNullPrototype: true } as never) as unknown as fc.Arbitrary<T>
}

const NAME_FIRST = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+_'.split('')
const NAME_REST = [...NAME_FIRST, '-', '.', '?', '=']

export const storePathName = fc.tuple(fc.constantFrom(...NAME_FIRST), fc.array(fc.constantFrom(...NAME_REST), { maxLength: 30 })).map(([a, b]) => a + b.join(''))
export const storePath: fc.Arbitrary<StorePath> = fc.tuple(fc.array(fc.constantFrom(...NIX32_ALPHABET.split('')), { minLength: 32, maxLength: 32 }), storePathName)
  .map(([h, n]) => StorePath.fromParts(h.join(''), n))
export const drvPath: fc.Arbitrary<StorePath> = storePath.map(p => StorePath.fromParts(p.hashPart, `${p.name}.drv`))

const SIZES: Record<HashAlgo, number> = { md5: 16, sha1: 20, sha256: 32, sha512: 64, blake3: 32 }
export const hashOf = (algo: HashAlgo): fc.Arbitrary<NixHash> => fc.uint8Array({ minLength: SIZES[algo], maxLength: SIZES[algo] }).map(d => NixHash.fromDigest(algo, d))
export const anyAlgo = fc.constantFrom<HashAlgo>('md5', 'sha1', 'sha256', 'sha512')
export const sha256 = hashOf('sha256')

export const contentAddress: fc.Arbitrary<ContentAddress> = fc.oneof(
  sha256.map(hash => ({ method: 'text' as const, hash })),
  anyAlgo.chain(a => hashOf(a)).map(hash => ({ method: 'flat' as const, hash })),
  anyAlgo.chain(a => hashOf(a)).map(hash => ({ method: 'nar' as const, hash })),
  fc.constantFrom<HashAlgo>('sha1', 'sha256').chain(a => hashOf(a)).map(hash => ({ method: 'git' as const, hash })),
)

const text = fc.string({ maxLength: 40 })
const outputName = storePathName
export const signature = fc.tuple(storePathName, fc.base64String({ minLength: 4, maxLength: 24 })).map(([k, s]) => `${k}:${s}`)

export const derivedPath: fc.Arbitrary<DerivedPath> = fc.oneof(
  storePath.map(path => ({ kind: 'opaque' as const, path })),
  fc.tuple(drvPath, fc.option(fc.uniqueArray(outputName, { minLength: 1, maxLength: 3 }), { nil: undefined }))
    .map(([drvPath, names]) => ({ kind: 'built' as const, drvPath, outputs: names ? { kind: 'names' as const, names } : { kind: 'all' as const } })),
)

export const pathInfo: fc.Arbitrary<PathInfo> = rec({
  path: storePath,
  deriver: fc.option(drvPath, { nil: undefined }),
  narHash: sha256,
  references: fc.array(storePath, { maxLength: 4 }),
  registrationTime: fc.nat(),
  narSize: fc.nat(),
  ultimate: fc.boolean(),
  sigs: fc.array(signature, { maxLength: 3 }),
  ca: fc.option(contentAddress, { nil: undefined }),
})

const micros = fc.option(fc.nat(), { nil: undefined })
const drvHashString = fc.oneof(sha256.map(h => h.format('base16', true)), fc.constant(ZERO_DRV_HASH))

/** A built output under `name`: with the feature only outPath and signatures travel. */
function builtOutput(name: string, feature: boolean): fc.Arbitrary<Realisation> {
  return rec({
    id: (feature ? fc.constant(ZERO_DRV_HASH) : drvHashString).map(drvHash => ({ drvHash, outputName: name })),
    outPath: storePath,
    signatures: fc.array(signature, { maxLength: 2 }),
    dependentRealisations: fc.constant(new Map<string, StorePath>()),
  })
}

export function buildResult(feature = false): fc.Arbitrary<BuildResult> {
  return rec({
    status: fc.integer({ min: 0, max: 14 }).map(n => n as BuildStatus),
    errorMsg: text,
    timesBuilt: fc.nat(1000),
    isNonDeterministic: fc.boolean(),
    startTime: fc.nat(),
    stopTime: fc.nat(),
    cpuUser: micros,
    cpuSystem: micros,
    builtOutputs: fc.uniqueArray(outputName, { maxLength: 3 }).chain(names => fc.tuple(...names.map(n => builtOutput(n, feature)))).map(es => new Map(es.map(e => [e.id.outputName, e]))),
  }).map(r => {
    const { cpuUser, cpuSystem, ...rest } = r
    return { ...rest, ...(cpuUser === undefined ? {} : { cpuUser }), ...(cpuSystem === undefined ? {} : { cpuSystem }) }
  })
}

export const realisation: fc.Arbitrary<Realisation> = rec({
  id: rec({ drvHash: sha256.map(h => h.format('base16', true)), outputName }),
  outPath: storePath,
  signatures: fc.array(signature, { maxLength: 2 }),
  dependentRealisations: fc.array(fc.tuple(rec({ drvHash: sha256, outputName }), storePath), { maxLength: 2 })
    .map(es => new Map(es.map(([id, p]) => [`${id.drvHash.format('base16', true)}!${id.outputName}`, p]))),
})

export function gcRequest(feature: boolean): fc.Arbitrary<GCRequest> {
  const specific = rec({ kind: fc.constant('specific' as const), paths: fc.array(storePath, { maxLength: 3 }), deleteReferrers: feature ? fc.boolean() : fc.constant(false) })
  return rec({
    action: fc.constantFrom(...GC_ACTIONS),
    pathsToDelete: feature ? fc.oneof(specific, fc.constant({ kind: 'wholeStore' as const })) : specific,
    ignoreLiveness: fc.boolean(),
    maxFreed: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
  })
}

export const clientSettings: fc.Arbitrary<ClientSettings> = rec({
  keepFailed: fc.boolean(), keepGoing: fc.boolean(), tryFallback: fc.boolean(), verbosity: fc.nat(7), maxBuildJobs: fc.nat(64),
  maxSilentTime: fc.nat(), useBuildHook: fc.boolean(), verboseBuild: fc.boolean(), logType: fc.nat(3), printBuildTrace: fc.nat(1),
  buildCores: fc.nat(64), useSubstitutes: fc.boolean(),
  overrides: fc.array(fc.tuple(storePathName, text), { maxLength: 4 }).map(es => new Map(es)),
})

const field = fc.oneof(fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), text)
const id = fc.bigInt({ min: 0n, max: (1n << 64n) - 1n })

/** Frames a daemon sends before STDERR_LAST (READ needs a client answer and is left out). */
export function stderrFrame(version: number): fc.Arbitrary<StderrFrame> {
  return fc.oneof(
    text.map(message => ({ kind: 'next' as const, message })),
    fc.uint8Array({ maxLength: 64 }).map(data => ({ kind: 'write' as const, data })),
    rec({ kind: fc.constant('startActivity' as const), id, level: fc.nat(7), type: fc.constantFrom(0, 100, 105, 108), text, fields: fc.array(field, { maxLength: 4 }), parent: id }),
    id.map(i => ({ kind: 'stopActivity' as const, id: i })),
    rec({ kind: fc.constant('result' as const), id, type: fc.constantFrom(101, 104, 105, 106), fields: fc.array(field, { maxLength: 4 }) }),
    rec({ message: text, level: fc.nat(7), traces: fc.array(text, { maxLength: 2 }), exitStatus: fc.nat(255) })
      .map(e => ({ kind: 'error' as const, error: version >= 0x11a ? { ...e, exitStatus: 1 } : { ...e, level: 0, traces: [] } })),
  )
}

const derivationOutput: fc.Arbitrary<DerivationOutput> = fc.oneof(
  storePath.map(path => ({ kind: 'inputAddressed' as const, path })),
  contentAddress.filter(ca => ca.method !== 'git').map(ca => ({ kind: 'caFixed' as const, ca })),
  fc.constantFrom('nar' as const, 'flat' as const).map(method => ({ kind: 'caFloating' as const, method, hashAlgo: 'sha256' as const })),
  fc.constant({ kind: 'deferred' as const }),
  fc.constant({ kind: 'impure' as const, method: 'nar' as const, hashAlgo: 'sha256' as const }),
)

/** A BuildDerivation request body (name from a drv path; input sources sorted as C++ sends them). */
export const buildDerivationRequest = fc.tuple(drvPath, fc.array(fc.tuple(outputName, derivationOutput), { minLength: 1, maxLength: 3 }),
  fc.uniqueArray(storePath, { maxLength: 3, selector: p => p.baseName }), fc.array(text, { maxLength: 3 }), fc.array(fc.tuple(storePathName, text), { maxLength: 4 }))
  .map(([p, outs, srcs, args, env]) => {
    const drv: BasicDerivation = {
      name: p.name.slice(0, -4), outputs: new Map(outs), inputSrcs: srcs.sort((a, b) => (a.baseName < b.baseName ? -1 : 1)), platform: 'x86_64-linux',
      builder: '/bin/sh', args, env: new Map(env),
    }
    return { drvPath: p, drv, mode: 'normal' as const }
  })

export const buildMode = fc.constantFrom(...BUILD_MODES)

/** A negotiated context: any version 1.18 … 1.38, features only at 1.38. */
export const context: fc.Arbitrary<CodecContext> = fc.integer({ min: 18, max: 38 }).chain(minor =>
  (minor === 38 ? fc.subarray([FEATURE_REALISATION_WITH_PATH, FEATURE_DELETE_DEAD_SPECIFIC_REFERRERS]) : fc.constant([] as string[]))
    .map(features => codecContext({ version: 0x100 | minor, features })))

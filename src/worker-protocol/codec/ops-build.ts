/**
 * Codecs of the build, GC, settings and realisation operations.
 */
import type { BuildResult, DerivedPath, DrvOutput, KeyedBuildResult, Realisation, StorePath } from '../../store-path/index.js'
import { InvalidWireValueError, UnsupportedByProtocolError } from '../errors.js'
import { FEATURE_REALISATION_WITH_PATH } from '../version.js'
import { readBasicDerivation, writeBasicDerivation } from './basic-derivation.js'
import { type BasicDerivation, nameFromDrvPath } from '../../derivation/index.js'
import { BuildResultCodec, KeyedBuildResultCodec } from './build-result.js'
import { atLeast, type Codec, type CodecContext, hasFeature } from './context.js'
import { DerivedPathCodec, type SingleDerivedPath, SingleDerivedPathCodec } from './derived-path.js'
import { GCRequestCodec, GCResultsCodec } from './gc.js'
import { type BuildMode, BuildModeCodec, MissingInfoCodec } from './misc.js'
import { Ack, defineOp, NoReply } from './op-def.js'
import { BaseNameStorePathCodec, listOf, StorePathCodec, StorePathList } from './primitives.js'
import {
  DrvOutputByPathCodec, DrvOutputCodec, type DrvOutputByPath, type KeyedRealisation, KeyedRealisationCodec,
  RealisationJsonCodec, type UnkeyedRealisation, UnkeyedRealisationCodec,
} from './realisation.js'
import { ClientSettingsCodec } from './set-options.js'

const DerivedPaths = listOf(DerivedPathCodec, 'derived paths')

export interface BuildPathsRequest {
  readonly paths: readonly DerivedPath[]
  readonly mode: BuildMode
}

/** BuildPaths sends the mode from 1.15; BuildPathsWithResults always does. */
function buildPathsRequest(modeSince: number): Codec<BuildPathsRequest> {
  return {
    read: (r, ctx) => ({ paths: DerivedPaths.read(r, ctx), mode: atLeast(ctx, modeSince) ? BuildModeCodec.read(r, ctx) : 'normal' }),
    write(w, ctx, v) {
      DerivedPaths.write(w, ctx, v.paths)
      if (atLeast(ctx, modeSince)) BuildModeCodec.write(w, ctx, v.mode)
      else if (v.mode !== 'normal') throw new UnsupportedByProtocolError('build modes need protocol 1.15')
    },
  }
}

export const BuildPaths = defineOp('BuildPaths', 0, buildPathsRequest(15), Ack)
export const BuildPathsWithResults = defineOp<BuildPathsRequest, KeyedBuildResult[]>('BuildPathsWithResults', 34, buildPathsRequest(0), listOf(KeyedBuildResultCodec, 'build results'))
export const QueryMissing = defineOp('QueryMissing', 19, {
  read: (r, ctx) => ({ targets: DerivedPaths.read(r, ctx) }),
  write: (w, ctx, v: { readonly targets: readonly DerivedPath[] }) => { DerivedPaths.write(w, ctx, v.targets) },
}, MissingInfoCodec)

export interface BuildDerivationRequest {
  readonly drvPath: StorePath
  readonly drv: BasicDerivation
  readonly mode: BuildMode
}

export const BuildDerivation = defineOp<BuildDerivationRequest, BuildResult>('BuildDerivation', 14, {
  read(r, ctx) {
    const drvPath = StorePathCodec.read(r, ctx)
    const drv = readBasicDerivation(r, ctx, nameFromDrvPath(drvPath))
    return { drvPath, drv, mode: BuildModeCodec.read(r, ctx) }
  },
  write(w, ctx, v) {
    StorePathCodec.write(w, ctx, v.drvPath)
    writeBasicDerivation(w, ctx, v.drv)
    BuildModeCodec.write(w, ctx, v.mode)
  },
}, BuildResultCodec)

export const SetOptions = defineOp('SetOptions', 0, ClientSettingsCodec, NoReply)
export const CollectGarbage = defineOp('CollectGarbage', 2, GCRequestCodec, GCResultsCodec)

/**
 * RegisterDrvOutput: < 1.31 DrvOutput string + out path **base name**; ≥ 1.31 Realisation JSON;
 * feature: DrvOutput (drv path, output) + UnkeyedRealisation.
 */
export type RegisterDrvOutputRequest =
  | { readonly kind: 'legacy'; readonly id: DrvOutput; readonly outPath: StorePath }
  | { readonly kind: 'json'; readonly realisation: Realisation }
  | { readonly kind: 'keyed'; readonly realisation: KeyedRealisation }

function requestKind(ctx: CodecContext): RegisterDrvOutputRequest['kind'] {
  return hasFeature(ctx, FEATURE_REALISATION_WITH_PATH) ? 'keyed' : atLeast(ctx, 31) ? 'json' : 'legacy'
}

function mismatch(op: string, kind: string, ctx: CodecContext): UnsupportedByProtocolError {
  return new UnsupportedByProtocolError(`a ${op} of kind '${kind}' cannot be sent at protocol ${ctx.version >> 8}.${ctx.version & 0xff}${ctx.features.size ? ` with features ${[...ctx.features].join(',')}` : ''}`)
}

export const RegisterDrvOutput = defineOp<RegisterDrvOutputRequest, undefined>('RegisterDrvOutput', 27, {
  read(r, ctx) {
    switch (requestKind(ctx)) {
      case 'keyed': return { kind: 'keyed', realisation: KeyedRealisationCodec.read(r, ctx) }
      case 'json': return { kind: 'json', realisation: RealisationJsonCodec.read(r, ctx) }
      case 'legacy': return { kind: 'legacy', id: DrvOutputCodec.read(r, ctx), outPath: BaseNameStorePathCodec.read(r, ctx) }
    }
  },
  write(w, ctx, v) {
    if (v.kind !== requestKind(ctx)) throw mismatch('RegisterDrvOutput', v.kind, ctx)
    if (v.kind === 'keyed') KeyedRealisationCodec.write(w, ctx, v.realisation)
    else if (v.kind === 'json') RealisationJsonCodec.write(w, ctx, v.realisation)
    else { DrvOutputCodec.write(w, ctx, v.id); BaseNameStorePathCodec.write(w, ctx, v.outPath) }
  },
}, NoReply, { readsRequestAfterStartWork: true })

export type QueryRealisationRequest =
  | { readonly kind: 'hash'; readonly id: DrvOutput }
  | { readonly kind: 'path'; readonly id: DrvOutputByPath }

/**
 * Reply: < 1.31 a set of out paths (0 or 1); ≥ 1.31 a set of Realisation JSON strings (0 or 1);
 * feature: a tagged optional UnkeyedRealisation.
 */
export type QueryRealisationReply =
  | { readonly kind: 'paths'; readonly paths: readonly StorePath[] }
  | { readonly kind: 'realisations'; readonly realisations: readonly Realisation[] }
  | { readonly kind: 'unkeyed'; readonly realisation: UnkeyedRealisation | undefined }

const Realisations = listOf(RealisationJsonCodec, 'realisations')

export const QueryRealisation = defineOp<QueryRealisationRequest, QueryRealisationReply>('QueryRealisation', 27, {
  read(r, ctx) {
    if (hasFeature(ctx, FEATURE_REALISATION_WITH_PATH)) return { kind: 'path', id: DrvOutputByPathCodec.read(r, ctx) }
    return { kind: 'hash', id: DrvOutputCodec.read(r, ctx) }
  },
  write(w, ctx, v) {
    if ((v.kind === 'path') !== hasFeature(ctx, FEATURE_REALISATION_WITH_PATH)) throw mismatch('QueryRealisation', v.kind, ctx)
    if (v.kind === 'path') DrvOutputByPathCodec.write(w, ctx, v.id)
    else DrvOutputCodec.write(w, ctx, v.id)
  },
}, {
  read(r, ctx) {
    if (hasFeature(ctx, FEATURE_REALISATION_WITH_PATH)) {
      const tag = r.u8('optional realisation tag')
      if (tag > 1) throw new InvalidWireValueError('optional build trace tag', tag)
      return { kind: 'unkeyed', realisation: tag === 1 ? UnkeyedRealisationCodec.read(r, ctx) : undefined }
    }
    if (atLeast(ctx, 31)) return { kind: 'realisations', realisations: Realisations.read(r, ctx) }
    return { kind: 'paths', paths: StorePathList.read(r, ctx) }
  },
  write(w, ctx, v) {
    const want = hasFeature(ctx, FEATURE_REALISATION_WITH_PATH) ? 'unkeyed' : atLeast(ctx, 31) ? 'realisations' : 'paths'
    if (v.kind !== want) throw mismatch('QueryRealisation reply', v.kind, ctx)
    if (v.kind === 'unkeyed') {
      if (v.realisation === undefined) w.u64(0)
      else { w.u64(1); UnkeyedRealisationCodec.write(w, ctx, v.realisation) }
    } else if (v.kind === 'realisations') Realisations.write(w, ctx, v.realisations)
    else StorePathList.write(w, ctx, v.paths)
  },
}, { readsRequestAfterStartWork: true })

/** Master, builder-rpc only. */
export const SubmitOutput = defineOp('SubmitOutput', 38, {
  read: (r, ctx) => ({ path: SingleDerivedPathCodec.read(r, ctx), output: r.string({ what: 'output name' }) }),
  write(w, ctx, v: { readonly path: SingleDerivedPath; readonly output: string }) { SingleDerivedPathCodec.write(w, ctx, v.path); w.string(v.output) },
}, Ack)

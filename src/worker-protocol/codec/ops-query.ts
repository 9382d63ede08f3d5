/**
 * Codecs of the query operations: requests that name paths and replies that describe them.
 */
import { type ContentAddress, NixHash, type StorePath, type UnkeyedPathInfo } from '../../store-path/index.js'
import { LIMITS } from '../../wire/index.js'
import { atLeast, type Codec } from './context.js'
import { OutputMapCodec, type SubstitutablePathInfo, UnkeyedSubstitutablePathInfoCodec, SubstitutablePathInfosCodec, StorePathCAMapCodec, RootsCodec } from './misc.js'
import { Ack, defineOp, Empty, PathRequestCodec } from './op-def.js'
import { Bool, OptStorePathCodec, StorePathList, StringList } from './primitives.js'
import { UnkeyedValidPathInfoCodec, writeUnkeyedValidPathInfoMemo } from './path-info.js'

const NarHashReply: Codec<NixHash> = {
  read: r => NixHash.parseAny(r.string({ what: 'nar hash' }), 'sha256'),
  write: (w, _c, h) => { w.string(h.toBase16()) },
}

export const IsValidPath = defineOp('IsValidPath', 0, PathRequestCodec, Bool)
export const HasSubstitutes = defineOp('HasSubstitutes', 0, PathRequestCodec, Bool)
export const QueryPathHash = defineOp('QueryPathHash', 0, PathRequestCodec, NarHashReply)
export const QueryReferences = defineOp('QueryReferences', 0, PathRequestCodec, StorePathList)
export const QueryReferrers = defineOp('QueryReferrers', 0, PathRequestCodec, StorePathList)
export const QueryDeriver = defineOp('QueryDeriver', 0, PathRequestCodec, OptStorePathCodec)
export const QueryDerivationOutputs = defineOp('QueryDerivationOutputs', 5, PathRequestCodec, StorePathList)
export const QueryAllValidPaths = defineOp('QueryAllValidPaths', 5, Empty, StorePathList)
export const QueryDerivationOutputNames = defineOp('QueryDerivationOutputNames', 8, PathRequestCodec, StringList)
export const QueryValidDerivers = defineOp('QueryValidDerivers', 13, PathRequestCodec, StorePathList)
export const QueryDerivationOutputMap = defineOp('QueryDerivationOutputMap', 22, PathRequestCodec, OutputMapCodec)
export const FindRoots = defineOp('FindRoots', 0, Empty, RootsCodec)
export const QuerySubstitutablePaths = defineOp('QuerySubstitutablePaths', 12, {
  read: (r, ctx) => ({ paths: StorePathList.read(r, ctx) }),
  write: (w, ctx, v: { readonly paths: readonly StorePath[] }) => { StorePathList.write(w, ctx, v.paths) },
}, StorePathList)

/** ≥ 1.17: bool valid, then the info; older daemons report an invalid path as an error. */
export const QueryPathInfo = defineOp<{ readonly path: StorePath }, UnkeyedPathInfo | undefined>('QueryPathInfo', 6, PathRequestCodec, {
  read(r, ctx) {
    if (atLeast(ctx, 17) && !r.bool()) return undefined
    return UnkeyedValidPathInfoCodec.read(r, ctx)
  },
  write(w, ctx, v) {
    if (atLeast(ctx, 17)) {
      w.bool(v !== undefined)
      if (v === undefined) return
    } else if (v === undefined) throw new RangeError('an invalid path is an error below protocol 1.17')
    writeUnkeyedValidPathInfoMemo(w, ctx, v)
  },
})

export const QueryPathFromHashPart = defineOp('QueryPathFromHashPart', 11, {
  read: r => ({ hashPart: r.string({ max: LIMITS.path, what: 'hash part' }) }),
  write: (w, _c, v: { readonly hashPart: string }) => { w.string(v.hashPart) },
}, OptStorePathCodec)

export interface QueryValidPathsRequest {
  readonly paths: readonly StorePath[]
  /** ≥ 1.27: substitute missing paths first. */
  readonly substitute: boolean
}

export const QueryValidPaths = defineOp<QueryValidPathsRequest, StorePath[]>('QueryValidPaths', 12, {
  read(r, ctx) {
    const paths = StorePathList.read(r, ctx)
    return { paths, substitute: atLeast(ctx, 27) ? r.u32('substitute flag') !== 0 : false }
  },
  write(w, ctx, v) {
    StorePathList.write(w, ctx, v.paths)
    if (atLeast(ctx, 27)) w.bool(v.substitute)
  },
}, StorePathList)

/** Reply: bool found, then deriver, references, downloadSize, narSize. */
export const QuerySubstitutablePathInfo = defineOp<{ readonly path: StorePath }, Omit<SubstitutablePathInfo, 'path'> | undefined>('QuerySubstitutablePathInfo', 2, PathRequestCodec, {
  read: (r, ctx) => (r.bool() ? UnkeyedSubstitutablePathInfoCodec.read(r, ctx) : undefined),
  write(w, ctx, v) {
    w.bool(v !== undefined)
    if (v !== undefined) UnkeyedSubstitutablePathInfoCodec.write(w, ctx, v)
  },
})

/** Request: < 1.22 a list of paths; from 1.22 a map path → optional content address. */
export const QuerySubstitutablePathInfos = defineOp<{ readonly paths: ReadonlyMap<StorePath, ContentAddress | undefined> }, SubstitutablePathInfo[], { readonly paths: ReadonlyMap<StorePath, ContentAddress | undefined> }, readonly SubstitutablePathInfo[]>('QuerySubstitutablePathInfos', 12, {
  read(r, ctx) {
    if (atLeast(ctx, 22)) return { paths: StorePathCAMapCodec.read(r, ctx) }
    return { paths: new Map(StorePathList.read(r, ctx).map(p => [p, undefined])) }
  },
  write(w, ctx, v) {
    if (atLeast(ctx, 22)) StorePathCAMapCodec.write(w, ctx, v.paths)
    else StorePathList.write(w, ctx, [...v.paths.keys()])
  },
}, SubstitutablePathInfosCodec)

export const EnsurePath = defineOp('EnsurePath', 0, PathRequestCodec, Ack)
export const AddTempRoot = defineOp('AddTempRoot', 0, PathRequestCodec, Ack)
export const AddIndirectRoot = defineOp('AddIndirectRoot', 0, {
  read: r => ({ path: r.string({ max: LIMITS.path, what: 'root path' }) }),
  write: (w, _c, v: { readonly path: string }) => { w.string(v.path) },
}, Ack)
export const AddPermRoot = defineOp('AddPermRoot', 36, {
  read: (r, ctx) => ({ path: PathRequestCodec.read(r, ctx).path, gcRoot: r.string({ max: LIMITS.path, what: 'root path' }) }),
  write(w, ctx, v: { readonly path: StorePath; readonly gcRoot: string }) { PathRequestCodec.write(w, ctx, v); w.string(v.gcRoot) },
}, {
  read: r => r.string({ max: LIMITS.path, what: 'root path' }),
  write: (w, _c, v: string) => { w.string(v) },
})
export const SyncWithGC = defineOp('SyncWithGC', 0, Empty, Ack)
export const OptimiseStore = defineOp('OptimiseStore', 14, Empty, Ack)
export const VerifyStore = defineOp('VerifyStore', 14, {
  read: r => ({ checkContents: r.bool(), repair: r.bool() }),
  write: (w, _c, v: { readonly checkContents: boolean; readonly repair: boolean }) => { w.bool(v.checkContents).bool(v.repair) },
}, Bool)
export const AddSignatures = defineOp('AddSignatures', 16, {
  read: (r, ctx) => ({ path: PathRequestCodec.read(r, ctx).path, sigs: StringList.read(r, ctx) }),
  write(w, ctx, v: { readonly path: StorePath; readonly sigs: readonly string[] }) { PathRequestCodec.write(w, ctx, v); StringList.write(w, ctx, v.sigs) },
}, Ack)

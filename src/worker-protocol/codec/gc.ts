/**
 * CollectGarbage request and reply (worker-protocol.md §5.12).
 *
 * Request: u64 action, pathsToDelete, bool ignoreLiveness, u64 maxFreed, 3 × u64 obsolete (0).
 * pathsToDelete is a list of store paths, or with the feature `delete-dead-specific-referrers`
 * a tagged GCPaths: u64 0 + list + bool deleteReferrers, or u64 1 (whole store).
 * Reply: list of path strings, u64 bytesFreed, u64 obsolete (0).
 */
import type { StorePath } from '../../store-path/index.js'
import type { GCAction, GCResults } from '../../store/types.js'
import { UnsupportedByProtocolError, InvalidWireValueError } from '../errors.js'
import { FEATURE_DELETE_DEAD_SPECIFIC_REFERRERS } from '../version.js'
import { type Codec, hasFeature } from './context.js'
import { readEnum, StorePathList, StringList, writeEnum } from './primitives.js'

/** C++ `GCOptions::GCAction`, in wire order. */
export const GC_ACTIONS: readonly GCAction[] = ['returnLive', 'returnDead', 'deleteDead', 'deleteSpecific']

export type { GCAction, GCResults }

export type GCPaths =
  | { readonly kind: 'specific'; readonly paths: readonly StorePath[]; readonly deleteReferrers: boolean }
  | { readonly kind: 'wholeStore' }

/** The CollectGarbage request (the store's GCOptions plus the feature's GCPaths form). */
export interface GCRequest {
  readonly action: GCAction
  /**
   * Without the feature the wire has only a list: it decodes as `specific` with
   * deleteReferrers false (an empty list with DeleteDead means the whole store, as before).
   */
  readonly pathsToDelete: GCPaths
  /** Always refused by the daemon. */
  readonly ignoreLiveness: boolean
  /** Bytes; 2^64-1 = no limit (what clients send by default). */
  readonly maxFreed: bigint
}

export const GCActionCodec: Codec<GCAction> = {
  read: r => readEnum(r, GC_ACTIONS, 'GC action'),
  write: (w, _c, v) => { writeEnum(w, GC_ACTIONS, v, 'GC action') },
}

export const GCPathsCodec: Codec<GCPaths> = {
  read(r, ctx) {
    if (!hasFeature(ctx, FEATURE_DELETE_DEAD_SPECIFIC_REFERRERS)) {
      return { kind: 'specific', paths: StorePathList.read(r, ctx), deleteReferrers: false }
    }
    const tag = r.u64()
    if (tag === 0n) return { kind: 'specific', paths: StorePathList.read(r, ctx), deleteReferrers: r.bool() }
    if (tag === 1n) return { kind: 'wholeStore' }
    throw new InvalidWireValueError('whole store indicator', tag)
  },
  write(w, ctx, v) {
    if (!hasFeature(ctx, FEATURE_DELETE_DEAD_SPECIFIC_REFERRERS)) {
      if (v.kind === 'wholeStore') { w.u64(0); return }
      if (v.deleteReferrers) throw new UnsupportedByProtocolError(`deleting referrers needs the protocol feature '${FEATURE_DELETE_DEAD_SPECIFIC_REFERRERS}'`)
      StorePathList.write(w, ctx, v.paths)
      return
    }
    if (v.kind === 'wholeStore') { w.u64(1); return }
    w.u64(0)
    StorePathList.write(w, ctx, v.paths)
    w.bool(v.deleteReferrers)
  },
}

export const GCRequestCodec: Codec<GCRequest> = {
  read(r, ctx) {
    const action = GCActionCodec.read(r, ctx)
    const pathsToDelete = GCPathsCodec.read(r, ctx)
    const ignoreLiveness = r.bool()
    const maxFreed = r.u64()
    // Three removed options, read with C++ readInt.
    r.u32('obsolete GC option'); r.u32('obsolete GC option'); r.u32('obsolete GC option')
    return { action, pathsToDelete, ignoreLiveness, maxFreed }
  },
  write(w, ctx, v) {
    GCActionCodec.write(w, ctx, v.action)
    GCPathsCodec.write(w, ctx, v.pathsToDelete)
    w.bool(v.ignoreLiveness).u64(v.maxFreed).u64(0).u64(0).u64(0)
  },
}

export const GCResultsCodec: Codec<GCResults> = {
  read(r, ctx) {
    const paths: readonly string[] = StringList.read(r, ctx)
    const bytesFreed = r.u64()
    r.u64() // obsolete
    return { paths, bytesFreed }
  },
  write(w, ctx, v) {
    StringList.write(w, ctx, v.paths)
    w.u64(v.bytesFreed).u64(0)
  },
}

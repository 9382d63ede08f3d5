/**
 * Codecs of the operations that move file data: AddToStore (both formats), AddTextToStore,
 * AddToStoreNar, AddMultipleToStore, AddBuildLog, AddToStoreScanning, NarFromPath and the old
 * export/import pair. The data itself travels outside these codecs (see `upload`/`download`).
 */
import { type ContentAddressMethodWithAlgo, type PathInfo, type StorePath } from '../../store-path/index.js'
import { UnsupportedByProtocolError } from '../errors.js'
import { atLeast, type Codec, withVersion } from './context.js'
import { ContentAddressMethodWithAlgoCodec } from './content-address.js'
import { Ack, defineOp, Empty, NoReply, PathRequestCodec } from './op-def.js'
import { BaseNameStorePathCodec, Bytes, StorePathCodec, StorePathList } from './primitives.js'
import { ValidPathInfoCodec } from './path-info.js'

/**
 * AddToStore request. From 1.25: name, method with algorithm, references, repair, then a framed
 * dump. Before: base name, `fixed`, `recursive` (0 flat, 1 NAR), algorithm, then a raw NAR
 * (also for flat files); clients send fixed = 0 exactly for sha256 + NAR.
 */
export type AddToStoreRequest =
  | {
    readonly kind: 'ca'
    readonly name: string
    readonly method: ContentAddressMethodWithAlgo
    readonly references: readonly StorePath[]
    readonly repair: boolean
  }
  | { readonly kind: 'legacy'; readonly name: string; readonly fixed: boolean; readonly recursive: number; readonly hashAlgo: string }

/** From 1.25 the daemon answers with the whole path info, before with the path only. */
export type AddToStoreReply = { readonly kind: 'info'; readonly info: PathInfo } | { readonly kind: 'path'; readonly path: StorePath }

export const AddToStore = defineOp<AddToStoreRequest, AddToStoreReply>('AddToStore', 0, {
  read(r, ctx) {
    if (atLeast(ctx, 25)) {
      const name = r.string({ what: 'name' })
      const method = ContentAddressMethodWithAlgoCodec.read(r, ctx)
      const references = StorePathList.read(r, ctx)
      return { kind: 'ca', name, method, references, repair: r.bool() }
    }
    const name = r.string({ what: 'name' })
    const fixed = r.bool()
    const recursive = r.u8('recursive flag')
    return { kind: 'legacy', name, fixed, recursive, hashAlgo: r.string({ what: 'hash algorithm' }) }
  },
  write(w, ctx, v) {
    if (atLeast(ctx, 25) !== (v.kind === 'ca')) throw new UnsupportedByProtocolError(`an AddToStore request of kind '${v.kind}' cannot be sent at protocol ${ctx.version >> 8}.${ctx.version & 0xff}`)
    if (v.kind === 'ca') {
      w.string(v.name)
      ContentAddressMethodWithAlgoCodec.write(w, ctx, v.method)
      StorePathList.write(w, ctx, v.references)
      w.bool(v.repair)
    } else {
      w.string(v.name).bool(v.fixed).u64(v.recursive).string(v.hashAlgo)
    }
  },
}, {
  read: (r, ctx) => (atLeast(ctx, 25) ? { kind: 'info', info: ValidPathInfoCodec.read(r, ctx) } : { kind: 'path', path: StorePathCodec.read(r, ctx) }),
  write(w, ctx, v) {
    if (atLeast(ctx, 25)) {
      if (v.kind !== 'info') throw new RangeError('AddToStore replies with a path info from 1.25')
      ValidPathInfoCodec.write(w, ctx, v.info)
    } else StorePathCodec.write(w, ctx, v.kind === 'info' ? v.info.path : v.path)
  },
}, { upload: ctx => (atLeast(ctx, 25) ? 'framed' : 'nar') })

/** Text travels inline as bytes (exactly what gets hashed, UTF-8 or not). */
export interface AddTextToStoreRequest {
  readonly name: string
  readonly text: Uint8Array
  readonly references: readonly StorePath[]
}

export const AddTextToStore = defineOp<AddTextToStoreRequest, StorePath>('AddTextToStore', 0, {
  read: (r, ctx) => ({ name: r.string({ what: 'name' }), text: Bytes.read(r, ctx), references: StorePathList.read(r, ctx) }),
  write(w, ctx, v) { w.string(v.name).bytes(v.text); StorePathList.write(w, ctx, v.references) },
}, StorePathCodec)

export interface AddToStoreNarRequest {
  readonly info: PathInfo
  readonly repair: boolean
  readonly dontCheckSigs: boolean
}

/** The path info fields are always all present here (the ≥ 1.16 layout), whatever the version. */
const AT_1_16 = 0x110

export const AddToStoreNar = defineOp<AddToStoreNarRequest, undefined>('AddToStoreNar', 17, {
  read(r, ctx) {
    const info = ValidPathInfoCodec.read(r, withVersion(ctx, AT_1_16))
    return { info, repair: r.bool(), dontCheckSigs: r.bool() }
  },
  write(w, ctx, v) {
    ValidPathInfoCodec.write(w, withVersion(ctx, AT_1_16), v.info)
    w.bool(v.repair).bool(v.dontCheckSigs)
  },
}, NoReply, { upload: ctx => (atLeast(ctx, 23) ? 'framed' : atLeast(ctx, 21) ? 'stderr-read' : 'nar') })

/** Header of AddMultipleToStore; the framed payload follows (see AddMultipleItemCodec). */
export const AddMultipleToStore = defineOp<{ readonly repair: boolean; readonly dontCheckSigs: boolean }, undefined>('AddMultipleToStore', 32, {
  read: r => ({ repair: r.bool(), dontCheckSigs: r.bool() }),
  write: (w, _c, v) => { w.bool(v.repair).bool(v.dontCheckSigs) },
}, NoReply, { upload: () => 'framed' })

/**
 * Inside AddMultipleToStore's framed payload: u64 count, then per path a ValidPathInfo in the
 * 1.16 layout (whatever the negotiated version) followed by the raw NAR.
 */
export const AddMultipleCountCodec: Codec<number> = {
  read: r => r.count('paths to add'),
  write: (w, _c, n) => { w.u64(n) },
}
export const AddMultipleItemCodec: Codec<PathInfo> = {
  read: (r, ctx) => ValidPathInfoCodec.read(r, withVersion(ctx, AT_1_16)),
  write: (w, ctx, v) => { ValidPathInfoCodec.write(w, withVersion(ctx, AT_1_16), v) },
}

/** The derivation is sent by base name; the log follows framed. */
export const AddBuildLog = defineOp('AddBuildLog', 32, {
  read: (r, ctx) => ({ drvPath: BaseNameStorePathCodec.read(r, ctx) }),
  write: (w, ctx, v: { readonly drvPath: StorePath }) => { BaseNameStorePathCodec.write(w, ctx, v.drvPath) },
}, Ack, { upload: () => 'framed' })

/** Master, inside builds only: like AddToStore without references; the daemon scans. */
export const AddToStoreScanning = defineOp('AddToStoreScanning', 38, {
  read: (r, ctx) => ({ name: r.string({ what: 'name' }), method: ContentAddressMethodWithAlgoCodec.read(r, ctx) }),
  write(w, ctx, v: { readonly name: string; readonly method: ContentAddressMethodWithAlgo }) { w.string(v.name); ContentAddressMethodWithAlgoCodec.write(w, ctx, v.method) },
}, ValidPathInfoCodec, { upload: () => 'framed' })

/** The reply is the raw NAR right after STDERR_LAST. */
export const NarFromPath = defineOp('NarFromPath', 17, PathRequestCodec, NoReply, { download: () => 'nar' })

/** Removed from daemons in 2.32; the export stream comes in STDERR_WRITE frames. */
export const ExportPath = defineOp('ExportPath', 0, {
  read: (r, ctx) => ({ path: StorePathCodec.read(r, ctx), sign: r.u64() !== 0n }),
  write(w, ctx, v: { readonly path: StorePath; readonly sign: boolean }) { StorePathCodec.write(w, ctx, v.path); w.bool(v.sign) },
}, Ack, { download: () => 'stderr-write' })

/** Removed from daemons in 2.32; the daemon pulls the export stream with STDERR_READ. */
export const ImportPaths = defineOp('ImportPaths', 9, Empty, StorePathList, { upload: () => 'stderr-read' })

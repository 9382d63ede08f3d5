/**
 * Small compound types: BuildMode, the trusted flag, QueryMissing's reply, substitutable path
 * infos, GC roots, and the output map of a derivation.
 */
import type { ContentAddress, StorePath } from '../../store-path/index.js'
import type { BuildMode, MissingInfo, SubstitutablePathInfo } from '../../store/types.js'
import { LIMITS } from '../../wire/index.js'
import { InvalidWireValueError } from '../errors.js'
import type { Codec } from './context.js'
import { OptContentAddressCodec } from './content-address.js'
import { mapOf, OptStorePathCodec, readEnum, StorePathCodec, StorePathList, Str, writeEnum } from './primitives.js'

export type { BuildMode, MissingInfo, SubstitutablePathInfo }

/** C++ `BuildMode` (bmNormal, bmRepair, bmCheck), in wire order. */
export const BUILD_MODES: readonly BuildMode[] = ['normal', 'repair', 'check']

export const BuildModeCodec: Codec<BuildMode> = {
  read: r => readEnum(r, BUILD_MODES, 'build mode'),
  write: (w, _c, v) => { writeEnum(w, BUILD_MODES, v, 'build mode') },
}

/** `undefined` = unknown (0), `Trusted` (1), `NotTrusted` (2). */
export type TrustedFlag = 'Trusted' | 'NotTrusted'

export const OptTrustedFlagCodec: Codec<TrustedFlag | undefined> = {
  read(r) {
    const v = r.u64()
    if (v === 0n) return undefined
    if (v === 1n) return 'Trusted'
    if (v === 2n) return 'NotTrusted'
    throw new InvalidWireValueError('trusted status', v)
  },
  write: (w, _c, v) => { w.u64(v === undefined ? 0 : v === 'Trusted' ? 1 : 2) },
}

/** QueryMissing reply (C++ `MissingPaths`). */
export const MissingInfoCodec: Codec<MissingInfo> = {
  read: (r, ctx) => ({
    willBuild: StorePathList.read(r, ctx),
    willSubstitute: StorePathList.read(r, ctx),
    unknown: StorePathList.read(r, ctx),
    downloadSize: r.u64(),
    narSize: r.u64(),
  }),
  write(w, ctx, v) {
    StorePathList.write(w, ctx, v.willBuild)
    StorePathList.write(w, ctx, v.willSubstitute)
    StorePathList.write(w, ctx, v.unknown)
    w.u64(v.downloadSize).u64(v.narSize)
  },
}

/** QuerySubstitutablePathInfo reply body: the info without its path. */
export const UnkeyedSubstitutablePathInfoCodec: Codec<Omit<SubstitutablePathInfo, 'path'>> = {
  read: (r, ctx) => ({
    deriver: OptStorePathCodec.read(r, ctx),
    references: StorePathList.read(r, ctx),
    downloadSize: r.u64(),
    narSize: r.u64(),
  }),
  write(w, ctx, v) {
    OptStorePathCodec.write(w, ctx, v.deriver)
    StorePathList.write(w, ctx, v.references)
    w.u64(v.downloadSize).u64(v.narSize)
  },
}

/** QuerySubstitutablePathInfos reply: n × (StorePath, deriver, references, downloadSize, narSize). */
export const SubstitutablePathInfosCodec: Codec<SubstitutablePathInfo[], readonly SubstitutablePathInfo[]> = {
  read(r, ctx) {
    const n = r.count('substitutable path infos')
    const out: SubstitutablePathInfo[] = []
    for (let i = 0; i < n; i++) out.push({ path: StorePathCodec.read(r, ctx), ...UnkeyedSubstitutablePathInfoCodec.read(r, ctx) })
    return out
  },
  write(w, ctx, v) {
    w.u64(v.length)
    for (const x of v) { StorePathCodec.write(w, ctx, x.path); UnkeyedSubstitutablePathInfoCodec.write(w, ctx, x) }
  },
}

/** QuerySubstitutablePathInfos request from 1.22: map<StorePath, OptContentAddress>. */
export const StorePathCAMapCodec: Codec<Map<StorePath, ContentAddress | undefined>, ReadonlyMap<StorePath, ContentAddress | undefined>> =
  mapOf(StorePathCodec, OptContentAddressCodec, 'path/content address map')

/** A GC root: the link (or `{temp:PID}`, `{censored}`, a /proc path) and its target. */
export interface GCRoot {
  readonly link: string
  readonly target: StorePath
}

/** FindRoots reply: u64 n, n × (string link, StorePath target). */
export const RootsCodec: Codec<GCRoot[], readonly GCRoot[]> = {
  read(r, ctx) {
    const n = r.count('roots')
    const out: GCRoot[] = []
    for (let i = 0; i < n; i++) out.push({ link: r.string({ max: LIMITS.path, what: 'root link' }), target: StorePathCodec.read(r, ctx) })
    return out
  },
  write(w, ctx, v) {
    w.u64(v.length)
    for (const x of v) { w.string(x.link); StorePathCodec.write(w, ctx, x.target) }
  },
}

/** QueryDerivationOutputMap reply: output name → optional path (unknown for floating CA). */
export const OutputMapCodec: Codec<Map<string, StorePath | undefined>, ReadonlyMap<string, StorePath | undefined>> =
  mapOf(Str, OptStorePathCodec, 'output map')

/**
 * ValidPathInfo / UnkeyedValidPathInfo (worker-protocol.md §5.5):
 *
 *   OptStorePath deriver, string narHash (base16, no prefix), list references,
 *   u64 registrationTime, u64 narSize; ≥ 1.16: bool ultimate, list sigs, OptContentAddress ca.
 *
 * The keyed form puts the StorePath first.
 */
import { NixHash, type PathInfo, type UnkeyedPathInfo } from '../../store-path/index.js'
import { WireWriter } from '../../wire/index.js'
import { atLeast, type Codec, type CodecContext } from './context.js'
import { OptContentAddressCodec } from './content-address.js'
import { OptStorePathCodec, StorePathCodec, StorePathList, StringList } from './primitives.js'

export const UnkeyedValidPathInfoCodec: Codec<UnkeyedPathInfo> = {
  read(r, ctx) {
    const deriver = OptStorePathCodec.read(r, ctx)
    // Readers accept any hash form (C++ Hash::parseAny(…, SHA256)); writers send bare base16.
    const narHash = NixHash.parseAny(r.string({ what: 'nar hash' }), 'sha256')
    const references = StorePathList.read(r, ctx)
    const registrationTime = r.num('registrationTime')
    const narSize = r.num('narSize')
    if (!atLeast(ctx, 16)) return { deriver, narHash, references, registrationTime, narSize, ultimate: false, sigs: [], ca: undefined }
    const ultimate = r.bool()
    const sigs = StringList.read(r, ctx)
    const ca = OptContentAddressCodec.read(r, ctx)
    return { deriver, narHash, references, registrationTime, narSize, ultimate, sigs, ca }
  },
  write(w, ctx, v) {
    OptStorePathCodec.write(w, ctx, v.deriver)
    w.string(v.narHash.toBase16())
    StorePathList.write(w, ctx, v.references)
    w.u64(v.registrationTime).u64(v.narSize)
    if (atLeast(ctx, 16)) {
      w.bool(v.ultimate)
      StringList.write(w, ctx, v.sigs)
      OptContentAddressCodec.write(w, ctx, v.ca)
    }
  },
}

export const ValidPathInfoCodec: Codec<PathInfo> = {
  read(r, ctx) {
    const path = StorePathCodec.read(r, ctx)
    return { path, ...UnkeyedValidPathInfoCodec.read(r, ctx) }
  },
  write(w, ctx, v) {
    StorePathCodec.write(w, ctx, v.path)
    UnkeyedValidPathInfoCodec.write(w, ctx, v)
  },
}

/**
 * `UnkeyedValidPathInfoCodec.write` of the same info object, remembered: the daemon answers
 * repeated QueryPathInfo for a path from one cached PathInfo, and encoding it (hash to hex, the
 * content address to nix32, every path to UTF-8) was a good part of each answer. Path infos are
 * immutable, so the bytes stay right; they depend only on the store directory and whether the
 * version has the ≥ 1.16 fields. Weakly held: they go when the info does.
 */
const encodedInfos = new WeakMap<UnkeyedPathInfo, { readonly storeDir: string; readonly v16: boolean; readonly bytes: Uint8Array }>()
let scratch: WireWriter | undefined

export function writeUnkeyedValidPathInfoMemo(w: WireWriter, ctx: CodecContext, v: UnkeyedPathInfo): void {
  const v16 = atLeast(ctx, 16)
  const storeDir = ctx.storeDir.path
  const hit = encodedInfos.get(v)
  if (hit !== undefined && hit.v16 === v16 && hit.storeDir === storeDir) { w.raw(hit.bytes); return }
  const s = (scratch ??= new WireWriter(512))
  s.reset()
  UnkeyedValidPathInfoCodec.write(s, ctx, v)
  const bytes = s.finish()
  encodedInfos.set(v, { storeDir, v16, bytes })
  w.raw(bytes)
}

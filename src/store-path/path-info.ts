/**
 * The metadata of a valid store path (C++ `ValidPathInfo`). A plain record shared by the
 * protocol codecs, narinfo, pathinfo (which stores it) and the store facade.
 */
import type { ContentAddress } from './content-address.js'
import { BadPathInfoError } from './errors.js'
import type { NixHash } from './hash.js'
import { sortedReferences } from './make-store-path.js'
import type { StoreDir, StorePath } from './store-path.js'

export interface PathInfo {
  readonly path: StorePath
  readonly deriver: StorePath | undefined
  /** SHA-256 of the NAR serialisation. */
  readonly narHash: NixHash
  /** Other paths (and possibly itself) that the contents refer to, sorted by base name. */
  readonly references: readonly StorePath[]
  /** Seconds since the epoch. */
  readonly registrationTime: number
  readonly narSize: number
  /** True if built locally (trusted without signatures). */
  readonly ultimate: boolean
  /** `keyName:base64` signatures. */
  readonly sigs: readonly string[]
  readonly ca: ContentAddress | undefined
}

/** PathInfo without its key (what QueryPathInfo replies with). */
export type UnkeyedPathInfo = Omit<PathInfo, 'path'>

/**
 * The string a path's signatures sign (C++ `ValidPathInfo::fingerprint`):
 * `1;<path>;<narHash as algo:nix32>;<narSize>;<references, full paths, sorted, comma-separated>`.
 */
export function fingerprintPathInfo(storeDir: StoreDir, info: Pick<PathInfo, 'path' | 'narHash' | 'narSize' | 'references'>): string {
  if (info.narSize === 0) throw new BadPathInfoError(`cannot calculate fingerprint of path '${storeDir.print(info.path)}' because its size is not known`)
  const refs = sortedReferences(info.references).map(r => storeDir.print(r)).join(',')
  return `1;${storeDir.print(info.path)};${info.narHash.format('nix32', true)};${info.narSize};${refs}`
}

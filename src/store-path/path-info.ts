/**
 * The metadata of a valid store path (C++ `ValidPathInfo`). A plain record shared by the
 * protocol codecs, narinfo, pathinfo (which stores it) and the store facade.
 */
import type { ContentAddress } from './content-address.js'
import type { NixHash } from './hash.js'
import type { StorePath } from './store-path.js'

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

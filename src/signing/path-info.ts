/**
 * Signing and checking store path metadata (C++ `ValidPathInfo::sign`, `checkSignatures`,
 * `isContentAddressed`): signatures are over `fingerprintPathInfo`.
 */
import { fingerprintPathInfo, type PathInfo, type StoreDir, storePathForContentAddress } from '../store-path/index.js'
import { type PublicKeys, type SecretKey, verifyDetached } from './keys.js'

/** The signature of `info` by `key` (add it to `info.sigs`). */
export function signPathInfo(storeDir: StoreDir, info: PathInfo, key: SecretKey): string {
  return key.signDetached(fingerprintPathInfo(storeDir, info))
}

/** True if `sig` is a valid signature of `info` by a trusted key. */
export function checkPathInfoSignature(storeDir: StoreDir, info: PathInfo, sig: string, publicKeys: PublicKeys): boolean {
  return verifyDetached(fingerprintPathInfo(storeDir, info), sig, publicKeys)
}

/**
 * True if the path is what its content address says (C++ `ValidPathInfo::isContentAddressed`):
 * such paths need no signature.
 */
export function isContentAddressed(storeDir: StoreDir, info: PathInfo): boolean {
  if (!info.ca) return false
  const others = info.references.filter(r => !r.equals(info.path))
  const self = others.length !== info.references.length
  try {
    return storePathForContentAddress(storeDir, info.path.name, info.ca, others, self).equals(info.path)
  } catch {
    return false
  }
}

/**
 * How many of `info.sigs` are valid by trusted keys; `Infinity` for content-addressed paths
 * (C++ `checkSignatures`, which returns `maxSigs`).
 */
export function countValidSignatures(storeDir: StoreDir, info: PathInfo, publicKeys: PublicKeys): number {
  if (isContentAddressed(storeDir, info)) return Infinity
  let good = 0
  for (const sig of new Set(info.sigs)) if (checkPathInfoSignature(storeDir, info, sig, publicKeys)) good++
  return good
}

/**
 * Loads the native addon (native/tsnix.c): the system calls Node lacks. Absent addon → null,
 * and callers degrade explicitly (never by guessing).
 */
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { PeerCredentials } from './peer-credentials.js'

export interface NativeAddon {
  peercred(fd: number): PeerCredentials
  /** 0 unlock, 1 shared, 2 exclusive; non-blocking: false when held elsewhere. */
  flock(fd: number, op: 0 | 1 | 2): boolean
}

let addon: NativeAddon | null | undefined

export function nativeAddon(): NativeAddon | null {
  if (addon !== undefined) return addon
  // dist/src/os/native.js → <repo>/native/build/Release/tsnix.node
  const path = process.env['TSNIX_NATIVE_ADDON'] ?? join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'native', 'build', 'Release', 'tsnix.node')
  try {
    addon = createRequire(import.meta.url)(path) as NativeAddon
  } catch {
    addon = null
  }
  return addon
}

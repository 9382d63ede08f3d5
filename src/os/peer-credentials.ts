/**
 * The credentials of the process at the other end of a Unix socket (SO_PEERCRED), through the
 * native addon. Node's `net` does not expose them, and trust decisions must not be guessed:
 * when the addon is missing, `peerCredentials` returns undefined and the caller must treat the
 * client as untrusted.
 */
import type { Socket } from 'node:net'
import { nativeAddon } from './native.js'

export interface PeerCredentials {
  readonly pid: number
  readonly uid: number
  readonly gid: number
}

/** True when the addon is available (so credentials can be read). */
export function havePeerCredentials(): boolean { return nativeAddon() !== null }

/** The file descriptor behind a connected Unix socket (Node keeps it on the pipe handle). */
export function socketFd(sock: Socket): number | undefined {
  const fd = (sock as unknown as { _handle?: { fd?: number } })._handle?.fd
  return typeof fd === 'number' && fd >= 0 ? fd : undefined
}

/** The peer's pid/uid/gid, or undefined if they cannot be determined (never guessed). */
export function peerCredentials(sock: Socket): PeerCredentials | undefined {
  const a = nativeAddon()
  const fd = socketFd(sock)
  if (!a || fd === undefined) return undefined
  try { return a.peercred(fd) } catch { return undefined }
}

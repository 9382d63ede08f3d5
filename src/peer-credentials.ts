/**
 * The credentials of the process at the other end of a Unix socket (SO_PEERCRED), through the
 * small native addon in native/peercred.c. Node's `net` does not expose them, and trust
 * decisions must not be guessed: when the addon is missing, `peerCredentials` returns
 * undefined and the caller must treat the client as untrusted.
 */
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Socket } from 'node:net'

export interface PeerCredentials {
  readonly pid: number
  readonly uid: number
  readonly gid: number
}

type Addon = { peercred(fd: number): PeerCredentials }
let addon: Addon | null | undefined

function load(): Addon | null {
  if (addon !== undefined) return addon
  // dist/src/peer-credentials.js → <repo>/native/build/Release/peercred.node
  const path = process.env['TSNIX_PEERCRED_ADDON'] ?? join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'native', 'build', 'Release', 'peercred.node')
  try {
    addon = createRequire(import.meta.url)(path) as Addon
  } catch {
    addon = null
  }
  return addon
}

/** True when the addon is available (so credentials can be read). */
export function havePeerCredentials(): boolean { return load() !== null }

/** The file descriptor behind a connected Unix socket (Node keeps it on the pipe handle). */
function socketFd(sock: Socket): number | undefined {
  const fd = (sock as unknown as { _handle?: { fd?: number } })._handle?.fd
  return typeof fd === 'number' && fd >= 0 ? fd : undefined
}

/** The peer's pid/uid/gid, or undefined if they cannot be determined (never guessed). */
export function peerCredentials(sock: Socket): PeerCredentials | undefined {
  const a = load()
  const fd = socketFd(sock)
  if (!a || fd === undefined) return undefined
  try { return a.peercred(fd) } catch { return undefined }
}

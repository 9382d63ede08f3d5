/**
 * The daemon's listening side (C++ src/nix/unix/daemon.cc): accept Unix-socket connections
 * (a path, or the socket systemd passes with LISTEN_FDS), decide trust from the peer's
 * credentials, and run one ServerConnection per client; or serve one client on stdio
 * (`--stdio`, which treats the peer as trusted).
 */
import { readFileSync, unlinkSync, chmodSync, mkdirSync } from 'node:fs'
import { createServer, type Server, type Socket } from 'node:net'
import { dirname } from 'node:path'
import type { Readable, Writable } from 'node:stream'
import { peerCredentials, socketDirect } from '../os/index.js'
import type { StoreDir } from '../store-path/index.js'
import { type ConnectionEnd, ServerConnection } from './connection.js'
import type { OpHandlers } from './handler.js'
import { flowingSource, readableSource, WritableSink } from './io.js'
import { decideTrust, parseUserDb, type TrustDecision, type UserDb } from './trust.js'

export interface ClientInfo {
  readonly trusted: boolean
  readonly user: string
  readonly pid?: number
  /** Unique per connection (temporary roots are kept per client). */
  readonly clientId: string
}

export interface DaemonOptions {
  /** The op handlers for one client (called per connection, so handlers may keep per-client state). */
  readonly handlers: (client: ClientInfo) => OpHandlers
  readonly trustedUsers: readonly string[]
  readonly allowedUsers: readonly string[]
  readonly storeDir?: StoreDir
  readonly daemonNixVersion?: string
  /** The user and group database (default: /etc/passwd and /etc/group, read per connection). */
  readonly userDb?: () => UserDb
  /** Called when a connection ends (e.g. to drop the client's temporary roots). */
  readonly onClose?: (client: ClientInfo, end: ConnectionEnd) => void | Promise<void>
  /** Diagnostics (rejected users, connection errors); C++ prints these to the daemon's stderr. */
  readonly log?: (message: string) => void
  /** Awaited before each accepted connection is served (e.g. to reopen a vanished store). */
  readonly beforeConnection?: () => Promise<void>
  /** Told about each accepted socket and when it closes (for shutdown). */
  readonly track?: (sock: Socket) => void
}

function systemUserDb(): UserDb {
  const read = (p: string) => { try { return readFileSync(p, 'utf8') } catch { return '' } }
  return parseUserDb(read('/etc/passwd'), read('/etc/group'))
}

let nextClient = 0

async function serveConnection(src: AsyncIterable<Uint8Array>, sink: WritableSink, client: ClientInfo, opts: DaemonOptions, signal?: AbortSignal): Promise<ConnectionEnd> {
  const conn = new ServerConnection(src, sink, {
    handlers: opts.handlers(client),
    trusted: client.trusted,
    ...(opts.storeDir ? { storeDir: opts.storeDir } : {}),
    ...(opts.daemonNixVersion ? { daemonNixVersion: opts.daemonNixVersion } : {}),
    ...(signal ? { signal } : {}),
  })
  const end = await conn.run()
  await opts.onClose?.(client, end)
  return end
}

/** Serve one accepted socket: trust decision, then the protocol, then close. */
export async function serveSocket(sock: Socket, opts: DaemonOptions): Promise<void> {
  opts.track?.(sock)
  const peer = peerCredentials(sock)
  const decision: TrustDecision = decideTrust(peer, (opts.userDb ?? systemUserDb)(), opts.trustedUsers, opts.allowedUsers)
  if (decision.kind === 'denied') {
    // C++ closes the connection without a word to the client; the reason goes to the log
    opts.log?.(`user '${decision.user}' is not allowed to connect to the Nix daemon`)
    sock.destroy()
    return
  }
  const client: ClientInfo = { trusted: decision.kind === 'trusted', user: decision.user, ...(peer ? { pid: peer.pid } : {}), clientId: `${process.pid}-${nextClient++}` }
  try { await opts.beforeConnection?.() } catch (e) {
    opts.log?.(`cannot serve ${client.user}: ${(e as Error).message}`)
    sock.destroy()
    return
  }
  const abort = new AbortController()
  sock.once('close', () => abort.abort())
  try {
    const direct = socketDirect(sock)
    const end = await serveConnection(flowingSource(sock, undefined, direct), new WritableSink(sock, direct), client, opts, abort.signal)
    if (end.kind === 'closed' && opts.log) opts.log(`connection of ${client.user} closed: ${(end.error as Error)?.message ?? end.error}`)
  } finally {
    // Not just end(): with allowHalfOpen the socket would stay open until its read side ended,
    // which never happens when the client's unread bytes are left over (a failed upload) —
    // one leaked descriptor per such connection. Flush what we wrote, then close.
    sock.destroySoon()
  }
}

/** The socket systemd passed (LISTEN_FDS / LISTEN_PID, first fd is 3), if any. */
export function systemdListenFd(env: NodeJS.ProcessEnv = process.env): number | undefined {
  if (env['LISTEN_PID'] !== String(process.pid)) return undefined
  const n = Number(env['LISTEN_FDS'] ?? '0')
  if (n !== 1) return undefined
  return 3
}

/**
 * Listen on `path` (replacing a stale socket; mode 0666 like nix-daemon), or on the
 * systemd-provided socket when there is one.
 */
export async function listen(target: { path: string } | { fd: number }, opts: DaemonOptions): Promise<Server> {
  const server = createServer({ allowHalfOpen: true, pauseOnConnect: false }, sock => {
    serveSocket(sock, opts).catch(e => opts.log?.(`connection failed: ${(e as Error).message}`))
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    if ('fd' in target) server.listen({ fd: target.fd }, resolve)
    else {
      mkdirSync(dirname(target.path), { recursive: true })
      try { unlinkSync(target.path) } catch { /* not there */ }
      server.listen(target.path, () => { chmodSync(target.path, 0o666); resolve() })
    }
  })
  return server
}

/** Serve one trusted client on a stream pair (`nix-daemon --stdio`). */
export async function serveStdio(input: Readable, output: Writable, opts: DaemonOptions): Promise<ConnectionEnd> {
  const client: ClientInfo = { trusted: true, user: '(stdio)', clientId: `${process.pid}-${nextClient++}` }
  return serveConnection(readableSource(input), new WritableSink(output), client, opts)
}

/**
 * `tsnix daemon`: serve the Nix worker protocol, standing in for `nix-daemon`.
 *
 *   tsnix daemon [--daemon] [--stdio] [--force-trusted|--force-untrusted|--default-trust]
 *                [--store URL] [--option NAME VALUE]... [--version]
 *
 * Listens on `<state>/daemon-socket/socket` (or NIX_DAEMON_SOCKET_PATH, or the socket systemd
 * passes), creating what is missing; `--stdio` serves one client on stdin/stdout (ssh-ng).
 * Settings come from nix.conf / NIX_CONFIG / --option (src/settings). SIGTERM and SIGINT stop
 * accepting, let running operations finish (up to a grace period, then abort them), and exit.
 */
import { existsSync } from 'node:fs'
import type { Server, Socket } from 'node:net'
import { loadSettings, processEnvironment, type LoadedSettings } from '../settings/index.js'
import { openLocalStore, type LocalStore } from '../store/index.js'
import { listen, serveStdio, systemdListenFd, type ClientInfo } from '../worker-protocol/server.js'
import { storeHandlers } from '../worker-protocol/ops/index.js'

export const TSNIX_VERSION = '0.1.0'
const SHUTDOWN_GRACE_MS = 10_000

interface Args {
  mode: 'daemon' | 'stdio'
  trust: 'default' | 'trusted' | 'untrusted'
  options: Array<[string, string]>
}

function usage(): string {
  return 'usage: tsnix daemon [--daemon | --stdio] [--force-trusted | --force-untrusted | --default-trust] [--store URL] [--option NAME VALUE]... [--version]\n'
}

function parseArgs(argv: string[]): Args | number {
  const a: Args = { mode: 'daemon', trust: 'default', options: [] }
  for (let i = 0; i < argv.length; i++) {
    const x = argv[i]!
    switch (x) {
      case '--daemon': a.mode = 'daemon'; break
      case '--stdio': a.mode = 'stdio'; break
      case '--force-trusted': a.trust = 'trusted'; break
      case '--force-untrusted': a.trust = 'untrusted'; break
      case '--default-trust': a.trust = 'default'; break
      case '--process-ops': break // we always process ops ourselves
      case '--store': {
        // as every Nix command: ssh-ng clients append `--store <remote-store>` to the remote program
        const url = argv[++i]
        if (url === undefined) { process.stderr.write("error: flag '--store' requires 1 argument\n"); return 1 }
        a.options.push(['store', url])
        break
      }
      case '--option': {
        const name = argv[++i]
        const value = argv[++i]
        if (name === undefined || value === undefined) { process.stderr.write("error: flag '--option' requires 2 arguments\n"); return 1 }
        a.options.push([name, value])
        break
      }
      case '--version': process.stdout.write(`nix-daemon (tsnix) ${TSNIX_VERSION}\n`); return 0
      case '--help': case '-h': process.stdout.write(usage()); return 0
      default: process.stderr.write(`error: unrecognised flag '${x}'\n${usage()}`); return 1
    }
  }
  return a
}

/**
 * Keeps the store open, and reopens it when its database or store directory vanished under us
 * (someone wiped the state directory): the next connection gets a freshly created store.
 */
class StoreHolder {
  private store: LocalStore | undefined
  private opening: Promise<LocalStore> | undefined
  constructor(private readonly loaded: LoadedSettings) {}

  private healthy(): boolean {
    const l = this.loaded.locations
    const db = this.loaded.settings['tsnix-database']
    return existsSync(l.realStoreDir) && (db !== '' || existsSync(`${l.stateDir}/db/db.sqlite`))
  }

  async get(): Promise<LocalStore> {
    if (this.store && this.healthy()) return this.store
    if (!this.opening) {
      const old = this.store
      this.store = undefined
      this.opening = (async () => {
        if (old) {
          process.stderr.write('tsnix daemon: the store or its database disappeared; recreating it\n')
          await old.close().catch(() => undefined)
        }
        const s = await openLocalStore({ locations: this.loaded.locations, settings: this.loaded.settings })
        this.store = s
        return s
      })().finally(() => { this.opening = undefined })
    }
    return this.opening
  }

  /** The open store (after `get()` resolved at least once). */
  current(): LocalStore {
    if (!this.store) throw new Error('the store is being reopened')
    return this.store
  }

  async close(): Promise<void> { await this.store?.close() }
}

export async function run(argv: string[]): Promise<number> {
  const args = parseArgs(argv)
  if (typeof args === 'number') return args
  process.umask(0o022)
  const env = await processEnvironment()
  const loaded = loadSettings(env, args.options)
  for (const w of loaded.warnings) process.stderr.write(`warning: ${w}\n`)
  const { settings, locations } = loaded
  const holder = new StoreHolder(loaded)
  await holder.get()

  const trustOverride = args.trust === 'trusted' ? true : args.trust === 'untrusted' ? false : undefined
  const daemonOpts = {
    handlers: (client: ClientInfo) => {
      // The store is looked up per connection (it may have been recreated).
      const current = holder.current()
      return storeHandlers(current, { ...client, trusted: trustOverride ?? client.trusted }, {
        trustedSubstituters: [...settings['trusted-substituters'], ...settings.substituters],
      })
    },
    trustedUsers: settings['trusted-users'],
    allowedUsers: settings['allowed-users'],
    storeDir: locations.storeDir,
    onClose: async (client: ClientInfo) => { await holder.current().releaseClient(client.clientId) },
    log: (m: string) => process.stderr.write(`${m}\n`),
  }

  if (args.mode === 'stdio') {
    const end = await serveStdio(process.stdin, process.stdout, {
      ...daemonOpts,
      handlers: client => storeHandlers(holder.current(), { ...client, trusted: trustOverride ?? true }),
    })
    await holder.close()
    return end.kind === 'closed' ? 1 : 0
  }

  const fd = systemdListenFd()
  const sockets = new Set<Socket>()
  const server: Server = await listen(fd !== undefined ? { fd } : { path: locations.socketPath }, {
    ...daemonOpts,
    beforeConnection: async () => { await holder.get() },
    track: sock => { sockets.add(sock); sock.once('close', () => sockets.delete(sock)) },
  })
  process.stderr.write(`tsnix daemon: listening on ${fd !== undefined ? `systemd socket (fd ${fd})` : locations.socketPath}\n`)
  if (locations.root !== undefined && fd === undefined) {
    // a chroot store: clients must be told where both the socket and the store files are
    process.stderr.write(`tsnix daemon: serving the chroot store ${locations.root}; clients use --store 'unix://${locations.socketPath}?root=${locations.root}'\n`)
  }

  await new Promise<void>(resolve => {
    const stop = (sig: string) => {
      process.stderr.write(`tsnix daemon: ${sig}, shutting down\n`)
      server.close(() => resolve())
      // Connections still running after the grace period are cut; their ops abort.
      setTimeout(() => { process.stderr.write('tsnix daemon: aborting remaining connections\n'); resolve() }, SHUTDOWN_GRACE_MS).unref()
    }
    process.once('SIGTERM', () => stop('SIGTERM'))
    process.once('SIGINT', () => stop('SIGINT'))
  })
  for (const sock of sockets) sock.destroy()
  await holder.close()
  // Idle keep-alive handles (timers, watchers) must not keep a stopped daemon around.
  process.exit(0)
}

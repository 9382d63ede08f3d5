/**
 * Runs stock C++ clients against a C++ nix-daemon and against `tsnix daemon`, each on a
 * fresh private chroot store (`local?root=…`, logical store dir /nix/store), with identical
 * nix.conf files. Nix 2.8 runs on the host; Nix 2.34 runs in the reference tree
 * (shared/tools/reference-nix): its daemon entered with pivot_root (in-tree.sh) so its
 * sandbox works, its clients with chroot. The work directory lives inside the tree and is
 * reachable on the host by the same absolute path (a symlink in /tmp), so derivations —
 * builder path included — are identical for both daemons.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process'
import { copyFileSync, createWriteStream, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { basename, join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { distRoot, sharedRoot } from '../../support/paths.js'
import { isRoot } from '../../support/env.js'

export type Version = '2.8' | '2.34'

export interface Workspace {
  /** The work directory as daemons and clients see it (same string on host and in the tree). */
  readonly view: string
  /** Its real location on the host. */
  readonly host: string
  readonly tree: string | undefined
  readonly busybox: string
  readonly srcDir: string
  cleanup(): void
}

/** A work dir inside the reference tree (when given), visible on the host at the same path. */
export function makeWorkspace(tree: string | undefined, busybox: string): Workspace {
  let host: string
  let view: string
  let link: string | undefined
  if (tree) {
    host = mkdtempSync(join(tree, 'tmp', 'tsnix-bg-'))
    view = `/tmp/${basename(host)}`
    if (existsSync(view)) throw new Error(`${view} exists on the host`)
    symlinkSync(host, view)
    link = view
  } else {
    host = mkdtempSync('/tmp/tsnix-bg-')
    view = host
  }
  // Every parent must be searchable by the sandbox's unprivileged ids.
  spawnSyncOk('chmod', ['755', host])
  copyFileSync(busybox, join(host, 'busybox'))
  spawnSyncOk('chmod', ['755', join(host, 'busybox')])
  mkdirSync(join(host, 'src'), { mode: 0o755 })
  writeFileSync(join(host, 'src', 'payload.txt'), 'payload\n', { mode: 0o644 })
  // A channel tarball for builtin:unpack-channel: one top-level directory.
  mkdirSync(join(host, 'chan', 'nixexprs', 'lib'), { recursive: true })
  writeFileSync(join(host, 'chan', 'nixexprs', 'default.nix'), '{ }: { hello = 1; }\n')
  writeFileSync(join(host, 'chan', 'nixexprs', 'lib', 'x.nix'), '42\n')
  spawnSyncOk('tar', ['-cf', join(host, 'src', 'channel.tar'), '-C', join(host, 'chan'), '--owner=0', '--group=0', '--mtime=@1', 'nixexprs'])
  mkdirSync(join(host, 'client-conf'))
  writeFileSync(join(host, 'client-conf', 'nix.conf'), 'experimental-features = nix-command ca-derivations\nsubstituters =\n')
  mkdirSync(join(host, 'home'))
  return {
    view, host, tree, busybox: `${view}/busybox`, srcDir: `${view}/src`,
    cleanup() {
      if (link) rmSync(link, { force: true })
      spawnSyncOk('chmod', ['-R', 'u+w', host])
      rmSync(host, { recursive: true, force: true })
    },
  }
}

function spawnSyncOk(cmd: string, args: string[]): void {
  const r = spawnSync(cmd, args, { stdio: 'ignore' })
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed`)
}

export interface Daemon {
  readonly name: string
  readonly version: Version
  readonly impl: 'cpp' | 'tsnix'
  /** Store root and socket as clients see them. */
  readonly root: string
  readonly sock: string
  /** The `--store` URI clients use. */
  readonly clientStore: string
  /** The process we started (for CPU accounting); for 2.34, the in-tree wrapper. */
  readonly pid: number | undefined
  stop(): Promise<void>
}

export interface DaemonOptions {
  /** More nix.conf lines. */
  readonly extraConf?: string
  /**
   * `sandbox = false`: the store is not relocated (a chroot store forces the sandbox), so it
   * lives at `<ws>/<name>/store` with that as its store directory; default true (chroot store).
   */
  readonly sandbox?: boolean
  /** Name suffix (several daemons of one kind in a workspace). */
  readonly tag?: string
  /** Directory name of the store under the workspace (default: the daemon's name). */
  readonly dir?: string
}

/** The nix.conf both daemons get. */
function daemonConf(ws: Workspace, store: string, sandbox: boolean, extra: string): string {
  return [
    `store = ${store}`,
    `sandbox = ${sandbox}`,
    `sandbox-paths = /bin/sh=${ws.busybox} ${ws.busybox} ${ws.srcDir}`,
    'build-users-group =',
    'substituters =',
    'experimental-features = nix-command ca-derivations',
    'system-features = nixos-test benchmark big-parallel',
    extra,
  ].join('\n') + '\n'
}

async function waitForSocket(path: string, child: ChildProcess, log: () => string): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if (existsSync(path)) return
    if (child.exitCode !== null) throw new Error(`daemon exited (${child.exitCode}): ${log()}`)
    await sleep(50)
  }
  throw new Error(`daemon socket ${path} did not appear: ${log()}`)
}

function stopper(child: ChildProcess): () => Promise<void> {
  return async () => {
    if (child.exitCode !== null || child.pid === undefined) return
    const exited = new Promise<void>(r => child.once('exit', () => r()))
    try { process.kill(-child.pid, 'SIGTERM') } catch { /* gone */ }
    const t = setTimeout(() => { try { process.kill(-child.pid!, 'SIGKILL') } catch { /* gone */ } }, 15_000)
    await exited
    clearTimeout(t)
  }
}

/** `argv` in a private mount namespace where `root`/nix is bound at /nix (the host's is not touched). */
function withNixAt(root: string, argv: readonly string[]): string[] {
  return ['unshare', '-m', '--propagation', 'private', 'sh', '-c', `mkdir -p '${root}/nix/store' && mount --bind '${root}/nix' /nix && exec "$@"`, 'sh', ...argv]
}

export async function startDaemon(ws: Workspace, impl: 'cpp' | 'tsnix', version: Version, opts: DaemonOptions = {}): Promise<Daemon> {
  const sandbox = opts.sandbox ?? true
  const name = `${impl}${version.replace('.', '')}${opts.tag ?? ''}`
  // 2.8 runs on the host, where C++ refuses a store under a symlink: give it the real path.
  const root = `${version === '2.8' ? ws.host : ws.view}/${opts.dir ?? name}`
  const hostRoot = `${ws.host}/${opts.dir ?? name}`
  const conf = `${ws.host}/conf-${name}`
  mkdirSync(conf, { recursive: true })
  const r = impl === 'tsnix' ? hostRoot : root
  const store = sandbox ? `local?root=${r}` : `local?store=${root}/store&state=${r}/var&log=${r}/log`
  writeFileSync(`${conf}/nix.conf`, daemonConf(ws, store, sandbox, opts.extraConf ?? ''))
  const sock = `${version === '2.8' ? ws.host : ws.view}/${name}.sock`
  // A socket left by an earlier daemon of the same name would satisfy waitForSocket before the
  // new daemon listens (clients then see "connection refused").
  rmSync(`${ws.host}/${name}.sock`, { force: true })
  let child: ChildProcess
  let out = ''
  if (impl === 'tsnix') {
    child = spawn(process.execPath, [join(distRoot, 'src', 'cli', 'main.js'), 'daemon'], {
      env: {
        PATH: process.env['PATH'] ?? '/usr/bin:/bin', NIX_CONF_DIR: conf, NIX_DAEMON_SOCKET_PATH: `${ws.host}/${name}.sock`,
        ...(process.env['TSNIX_BUILD_PROFILE'] ? { TSNIX_BUILD_PROFILE: process.env['TSNIX_BUILD_PROFILE'] } : {}),
      },
      stdio: ['ignore', 'pipe', 'pipe'], detached: true,
    })
  } else if (version === '2.8') {
    // C++ 2.8 runs builtin builders (builtin:fetchurl) outside its sandbox, writing to the
    // output's logical path: /nix/store/… on the host, even for a chroot store (a failed
    // download leaves an empty file there). In a private mount namespace with the chroot's /nix
    // bound at /nix, that path is the chroot store's own.
    const argv = sandbox && isRoot ? withNixAt(root, ['nix-daemon']) : ['nix-daemon']
    child = spawn(argv[0]!, argv.slice(1), {
      env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', NIX_CONF_DIR: conf, NIX_DAEMON_SOCKET_PATH: sock },
      stdio: ['ignore', 'pipe', 'pipe'], detached: true,
    })
  } else {
    const inner = `NIX_CONF_DIR=${ws.view}/conf-${name} NIX_DAEMON_SOCKET_PATH=${sock} exec nix-daemon`
    child = spawn('sh', [join(sharedRoot, 'tools', 'sandbox-probe', 'in-tree.sh'), inner], {
      env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', TREE: ws.tree!, OLD: `tmp/.in-tree-old-${basename(ws.host)}-${name}` },
      stdio: ['ignore', 'pipe', 'pipe'], detached: true,
    })
  }
  // The daemon's own output, kept for debugging (`<ws>/<name>.log`).
  const logFile = createWriteStream(`${ws.host}/${name}.log`)
  child.stdout!.on('data', (c: Buffer) => { out += c.toString(); logFile.write(c) })
  child.stderr!.on('data', (c: Buffer) => { out += c.toString(); logFile.write(c) })
  await waitForSocket(`${ws.host}/${name}.sock`, child, () => out)
  const clientStore = sandbox ? `unix://${sock}?root=${root}` : `unix://${sock}?store=${root}/store`
  return { name, version, impl, root, sock, clientStore, pid: child.pid, stop: stopper(child) }
}

export interface ClientResult { code: number; stdout: string; stderr: string }

/**
 * Run a stock client of `d.version` against `d` (`--store unix://…?root=…` is added). With
 * `mountStore`, the client runs in a private mount namespace where the daemon's store is
 * bind-mounted at /nix, for tools that read store paths through plain file access (nix-env's
 * profiles and manifests); the host's /nix is not touched.
 */
export async function client(ws: Workspace, d: Daemon, cmd: string, args: readonly string[], timeoutMs = 120_000, opts: { mountStore?: boolean } = {}): Promise<ClientResult> {
  const store = opts.mountStore ? `unix://${d.sock}` : d.clientStore
  let full = [cmd, '--store', store, ...args]
  if (opts.mountStore) {
    if (d.version !== '2.8') throw new Error('mountStore is for host (2.8) clients')
    full = withNixAt(`${ws.host}/${d.name}`, full)
  }
  const env = { PATH: '/usr/bin:/bin:/usr/sbin:/sbin', HOME: `${ws.view}/home`, NIX_CONF_DIR: `${ws.view}/client-conf` }
  const child = d.version === '2.8'
    ? spawn(full[0]!, full.slice(1), { env, cwd: ws.host, stdio: ['ignore', 'pipe', 'pipe'] })
    : spawn('chroot', [ws.tree!, 'env', '-i', ...Object.entries(env).map(([k, v]) => `${k}=${v}`), ...full], { cwd: ws.host, stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout!.on('data', (c: Buffer) => { stdout += c.toString() })
  child.stderr!.on('data', (c: Buffer) => { stderr += c.toString() })
  const t = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
  const code = await new Promise<number>(r => child.once('exit', (c, s) => r(c ?? (s ? 128 : 1))))
  clearTimeout(t)
  return { code, stdout, stderr }
}

/** Strip ANSI colours; name the store roots and build scratch areas generically. */
export function normalise(s: string, ws: Workspace): string {
  return s
    .replace(/\x1b\[[0-9;]*m/g, '')
    .replaceAll(ws.host, '<ws>')
    .replaceAll(ws.view, '<ws>')
    .replace(/<ws>\/(cpp|tsnix)(28|234)\b/g, '<root>')
}

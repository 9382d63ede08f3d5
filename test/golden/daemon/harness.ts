/**
 * The differential harness: one private store per run, served by tsnix or by C++ `nix-daemon`
 * (2.8 on the host, 2.34 in the reference chroot), driven by a stock client of the same version.
 *
 * Views. Daemons serve a chroot store (`local?root=R`); clients reach them with
 * `--store 'unix://<socket>?root=R'` (set in the client's own nix.conf, which clients do not
 * forward in SetOptions), so both read the same store files. The workspace has the same path on
 * the host and inside the reference chroot (bind-mounted in a private mount namespace), so a
 * path a client sends means the same to every daemon. Nothing here touches the host's /nix:
 * every client also gets its own NIX_STATE_DIR, HOME and XDG dirs.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { createHash } from 'node:crypto'
import { chmodSync, closeSync, existsSync, lstatSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs'
import { createConnection } from 'node:net'
import { tmpdir } from 'node:os'
import { join, relative } from 'node:path'
import { createRequire } from 'node:module'
import { distRoot } from '../../support/paths.js'
import { referenceNix } from '../../support/env.js'

/** better-sqlite3 ships no types; this is the little the snapshot needs. */
interface ReadonlyDb { prepare(sql: string): { all(): unknown[] }; close(): void }
const Database = createRequire(import.meta.url)('better-sqlite3') as new (file: string, opts: { readonly: boolean; fileMustExist: boolean }) => ReadonlyDb

export type ClientVersion = '2.8' | '2.34'
export type DaemonKind = 'tsnix' | 'cpp'

/** The tsnix CLI entry point (compiled). */
export const tsnixMain = join(distRoot, 'src', 'cli', 'main.js')

/** Settings both daemons get: no builds users, no sandbox, no substituters (as in the captures). */
export const DAEMON_CONF = 'build-users-group =\nsandbox = false\nsubstituters =\nfsync-metadata = false\n'

/** The environment of the test runner minus everything Nix reads, so nothing leaks into a run. */
export function cleanEnv(extra: Record<string, string> = {}): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(process.env)) {
    if (v === undefined || k.startsWith('NIX_') || k.startsWith('XDG_') || k === 'HOME' || k.startsWith('LISTEN_')) continue
    out[k] = v
  }
  return { ...out, ...extra }
}

export class Workspace {
  /** The workspace directory; the same path on the host and inside the reference chroot. */
  readonly dir: string
  /** The reference chroot, when set up (the 2.34 side needs it). */
  readonly chroot: string | undefined

  private constructor(dir: string, chroot: string | undefined) { this.dir = dir; this.chroot = chroot }

  /**
   * A fresh workspace under the temp dir. Processes of the 2.34 chroot see it at the same path
   * (bind-mounted in a private mount namespace, see `inChroot`), so a path a client sends — an
   * indirect root's symlink, a binary cache — means the same thing to every daemon.
   */
  static create(prefix: string): Workspace {
    const dir = mkdtempSync(join(tmpdir(), `${prefix}-`))
    chmodSync(dir, 0o755) // untrusted clients (nobody) must reach sockets and inputs
    const ref = referenceNix()
    if (ref) mkdirSync(ref.root + dir, { recursive: true })
    return new Workspace(dir, ref?.root)
  }

  /**
   * argv that runs `argv` inside the reference chroot with the workspace bind-mounted at its own
   * path (`unshare -m`: the mount is private to that process tree).
   */
  inChroot(argv: readonly string[], opts: { user?: string } = {}): string[] {
    if (!this.chroot) throw new Error('reference Nix is not set up')
    const spec = opts.user ? `${opts.user}:${groupOf(opts.user)}` : ''
    const script = 'ws=$1 root=$2 spec=$3; shift 3; mount --bind "$ws" "$root$ws" || exit 125; ' +
      'if [ -n "$spec" ]; then exec chroot --userspec="$spec" "$root" "$@"; else exec chroot "$root" "$@"; fi'
    return ['unshare', '-m', '--propagation', 'private', 'sh', '-c', script, 'sh', this.dir, this.chroot, spec, ...argv]
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true })
    if (this.chroot) rmSync(this.chroot + this.dir, { recursive: true, force: true })
  }
}

export interface RunResult { stdout: Buffer; stderr: string; status: number }

/** Run a command to completion, collecting output (never throws on a non-zero exit). */
export function runProcess(cmd: string, args: readonly string[], opts: { env?: Record<string, string>; cwd?: string; stdin?: Buffer; timeoutMs?: number } = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env: opts.env ?? cleanEnv(), cwd: opts.cwd, stdio: ['pipe', 'pipe', 'pipe'] })
    const out: Buffer[] = []
    const err: Buffer[] = []
    child.stdout.on('data', (c: Buffer) => out.push(c))
    child.stderr.on('data', (c: Buffer) => err.push(c))
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 60_000)
    child.on('error', e => { clearTimeout(timer); reject(e) })
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      resolve({ stdout: Buffer.concat(out), stderr: Buffer.concat(err).toString('utf8'), status: code ?? (signal ? 128 : 1) })
    })
    child.stdin.on('error', () => undefined)
    child.stdin.end(opts.stdin ?? Buffer.alloc(0))
  })
}

// ---- daemons ------------------------------------------------------------------------------------

export interface Daemon {
  readonly kind: DaemonKind
  readonly version: ClientVersion
  /** Host paths. */
  readonly socket: string
  readonly root: string
  readonly logFile: string
  stop(): Promise<void>
  log(): string
}

export interface DaemonOptions {
  /** Extra nix.conf lines for the daemon. */
  conf?: string
  /** Extra `tsnix daemon` / `nix-daemon` arguments. */
  args?: string[]
}

/** Wait until `socket` accepts a connection (the file appears at bind(), before listen()). */
export async function waitForSocket(socket: string, what: string, child?: ChildProcess, ms = 30_000): Promise<void> {
  const until = Date.now() + ms
  for (;;) {
    const ok = await new Promise<boolean>(resolve => {
      const s = createConnection(socket)
      s.once('connect', () => { s.destroy(); resolve(true) })
      s.once('error', () => resolve(false))
    })
    if (ok) return
    if (child && child.exitCode !== null) throw new Error(`${what}: the process exited with status ${child.exitCode}`)
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`)
    await new Promise(r => setTimeout(r, 25))
  }
}

async function waitFor(cond: () => boolean, what: string, child?: ChildProcess, ms = 20_000): Promise<void> {
  const until = Date.now() + ms
  while (!cond()) {
    if (child && child.exitCode !== null) throw new Error(`${what}: the process exited with status ${child.exitCode}`)
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`)
    await new Promise(r => setTimeout(r, 25))
  }
}

/**
 * Start a daemon on a fresh chroot store under `runDir` (`root/`, `daemon.sock`, `conf/`).
 * tsnix always runs on the host; C++ runs as the version of the client it is compared with.
 */
export async function startDaemon(ws: Workspace, runDir: string, kind: DaemonKind, version: ClientVersion, opts: DaemonOptions = {}): Promise<Daemon> {
  const root = join(runDir, 'root')
  const socket = join(runDir, 'daemon.sock')
  const conf = join(runDir, 'conf')
  const logFile = join(runDir, 'daemon.log')
  mkdirSync(conf, { recursive: true })
  mkdirSync(root, { recursive: true })
  writeFileSync(join(conf, 'nix.conf'), DAEMON_CONF + (opts.conf ?? ''))
  const logFd = openSync(logFile, 'a')
  let child: ChildProcess
  if (kind === 'tsnix') {
    child = spawn(process.execPath, [tsnixMain, 'daemon', ...(opts.args ?? [])], {
      env: cleanEnv({ NIX_CONF_DIR: conf, NIX_CONFIG: `store = local?root=${root}`, NIX_DAEMON_SOCKET_PATH: socket, HOME: runDir }),
      stdio: ['ignore', logFd, logFd], detached: true,
    })
  } else if (version === '2.8') {
    child = spawn('nix-daemon', ['--store', `local?root=${root}`, ...(opts.args ?? [])], {
      env: cleanEnv({ NIX_CONF_DIR: conf, NIX_DAEMON_SOCKET_PATH: socket, HOME: runDir }),
      stdio: ['ignore', logFd, logFd], detached: true,
    })
  } else {
    await runProcess(referenceNixScript(), ['run', 'true']) // mounts /proc in the chroot
    const [cmd, ...rest] = ws.inChroot(['env', '-i', 'PATH=/usr/bin:/bin', `HOME=${runDir}`, `NIX_CONF_DIR=${conf}`, `NIX_DAEMON_SOCKET_PATH=${socket}`,
      'nix-daemon', '--store', `local?root=${root}`, ...(opts.args ?? [])])
    child = spawn(cmd!, rest, { stdio: ['ignore', logFd, logFd], detached: true })
  }
  closeSync(logFd)
  await waitForSocket(socket, `the ${kind} daemon's socket`, child).catch(e => { throw new Error(`${(e as Error).message}\n${readFileSync(logFile, 'utf8')}`) })
  const exited = new Promise<void>(r => { if (child.exitCode !== null) r(); else child.once('exit', () => r()) })
  return {
    kind, version, socket, root, logFile,
    log: () => readFileSync(logFile, 'utf8'),
    async stop() {
      try { process.kill(-child.pid!, 'SIGTERM') } catch { /* gone */ }
      const t = setTimeout(() => { try { process.kill(-child.pid!, 'SIGKILL') } catch { /* gone */ } }, 15_000)
      await exited
      clearTimeout(t)
    },
  }
}

export function referenceNixScript(): string {
  const r = referenceNix()
  if (!r) throw new Error('reference Nix is not set up')
  return r.script
}

// ---- clients ------------------------------------------------------------------------------------

export interface Client {
  readonly version: ClientVersion
  run(argv: readonly string[], opts?: { stdin?: Buffer; cwd?: string; user?: string }): Promise<RunResult>
}

/**
 * A stock client whose own nix.conf (under `runDir/client`) names `store`; HOME, XDG dirs and
 * NIX_STATE_DIR are private to the run so `nix-env`/`nix-collect-garbage` stay inside it.
 */
export function makeClient(ws: Workspace, runDir: string, version: ClientVersion, store: string, extraConf = ''): Client {
  const dir = join(runDir, 'client')
  const dirs = ['conf', 'home', 'state', 'log'].map(d => join(dir, d))
  for (const d of dirs) mkdirSync(d, { recursive: true })
  // an untrusted client (nobody) writes its own state here
  for (const d of [runDir, dir, ...dirs]) chmodSync(d, 0o777)
  writeFileSync(join(dir, 'conf', 'nix.conf'), `store = ${store}\nexperimental-features = nix-command\nsubstituters =\nbuild-users-group =\nsandbox = false\n${extraConf}`)
  const env: Record<string, string> = {
    PATH: version === '2.8' ? (process.env['PATH'] ?? '/usr/bin:/bin') : '/usr/bin:/bin',
    HOME: join(dir, 'home'),
    NIX_CONF_DIR: join(dir, 'conf'),
    NIX_STATE_DIR: join(dir, 'state'),
    NIX_LOG_DIR: join(dir, 'log'),
    XDG_CONFIG_HOME: join(dir, 'home', '.config'),
    XDG_CACHE_HOME: join(dir, 'home', '.cache'),
    XDG_DATA_HOME: join(dir, 'home', '.local', 'share'),
    XDG_STATE_HOME: join(dir, 'home', '.local', 'state'),
    NIX_PATH: '',
    TERM: 'dumb',
    LANG: 'C.UTF-8',
  }
  return {
    version,
    run(argv, opts = {}) {
      const cwd = opts.cwd ?? dir
      const stdin = opts.stdin ? { stdin: opts.stdin } : {}
      if (version === '2.8') {
        const envHost = { ...cleanEnv(), ...env }
        if (opts.user) return runProcess('setpriv', [`--reuid=${opts.user}`, `--regid=${groupOf(opts.user)}`, '--clear-groups', '--', ...argv], { env: envHost, cwd, ...stdin })
        return runProcess(argv[0]!, argv.slice(1), { env: envHost, cwd, ...stdin })
      }
      const [cmd, ...rest] = ws.inChroot(['env', '-i', ...Object.entries(env).map(([k, v]) => `${k}=${v}`), 'sh', '-c', 'cd "$0" && exec "$@"', cwd, ...argv], opts.user ? { user: opts.user } : {})
      return runProcess(cmd!, rest, { env: cleanEnv(), ...stdin })
    },
  }
}

function groupOf(user: string): string { return user === 'nobody' ? 'nogroup' : user }

// ---- comparing ----------------------------------------------------------------------------------

/** Replace run-specific strings (directories, PIDs, registration times) by placeholders. */
export function normalise(text: string, replacements: ReadonlyArray<readonly [string, string]>): string {
  let s = text
  for (const [from, to] of [...replacements].sort((a, b) => b[0].length - a[0].length)) if (from) s = s.split(from).join(to)
  return s
    .replace(/"registrationTime":\s*\d+/g, '"registrationTime":0')
    .replace(/\{temp:\d+\}/g, '{temp:N}')
    .replace(/\/proc\/\d+\//g, '/proc/N/')
}

export interface PathRow {
  path: string
  narHash: string
  narSize: number
  deriver: string | null
  ultimate: number
  sigs: string
  ca: string | null
  references: string[]
}

export interface StoreSnapshot {
  /** The database's view: every valid path, sorted, without ids and registration times. */
  paths: PathRow[]
  derivationOutputs: string[]
  /**
   * Every entry of the real store directory, as a listing of its tree (type, mode, mtime,
   * contents digest). Stale `*.lock` files are left out: C++ leaves one behind when an add fails
   * half-way (the lock is taken before the dump is parsed), tsnix checks the dump first.
   */
  files: Record<string, string[]>
  /** gcroots/auto: the link targets (the names hash the client's symlink path, which differs per run). */
  autoRoots: string[]
}

/** Read a store's state straight from disk (the daemon may be running: the reader is read-only). */
export function snapshotStore(root: string, replacements: ReadonlyArray<readonly [string, string]> = []): StoreSnapshot {
  const dbFile = join(root, 'nix', 'var', 'nix', 'db', 'db.sqlite')
  const db = new Database(dbFile, { readonly: true, fileMustExist: true })
  try {
    const ids = new Map<number, string>()
    const rows = db.prepare('select id, path, hash, deriver, narSize, ultimate, sigs, ca from ValidPaths').all() as Array<{ id: number; path: string; hash: string; deriver: string | null; narSize: number; ultimate: number | null; sigs: string | null; ca: string | null }>
    for (const r of rows) ids.set(r.id, r.path)
    const refs = db.prepare('select referrer, reference from Refs').all() as Array<{ referrer: number; reference: number }>
    const byReferrer = new Map<number, string[]>()
    for (const r of refs) {
      const l = byReferrer.get(r.referrer) ?? []
      l.push(ids.get(r.reference) ?? `<dangling ${r.reference}>`)
      byReferrer.set(r.referrer, l)
    }
    const paths = rows.map(r => ({
      path: r.path, narHash: r.hash, narSize: r.narSize, deriver: r.deriver || null, ultimate: r.ultimate ?? 0,
      sigs: (r.sigs ?? '').split(' ').filter(Boolean).sort().join(' '), ca: r.ca || null,
      references: (byReferrer.get(r.id) ?? []).sort(),
    })).sort((a, b) => (a.path < b.path ? -1 : 1))
    const outs = (db.prepare('select drv, id, path from DerivationOutputs').all() as Array<{ drv: number; id: string; path: string }>)
      .map(o => `${ids.get(o.drv)}!${o.id} -> ${o.path}`).sort()
    const storeDir = join(root, 'nix', 'store')
    const files: Record<string, string[]> = {}
    for (const e of existsSync(storeDir) ? readdirSync(storeDir).sort() : []) {
      if (e === '.links' || e.endsWith('.lock')) continue
      files[e] = treeListing(join(storeDir, e), { contents: true, nlink: false })
    }
    const autoDir = join(root, 'nix', 'var', 'nix', 'gcroots', 'auto')
    const autoRoots = (existsSync(autoDir) ? readdirSync(autoDir) : []).map(e => normalise(readlinkSync(join(autoDir, e)), replacements)).sort()
    return { paths, derivationOutputs: outs, files, autoRoots }
  } finally {
    db.close()
  }
}

/** A line-per-entry listing of a tree: relative path, type, permission bits, mtime, size and contents digest. */
export function treeListing(top: string, opts: { contents?: boolean; nlink?: boolean } = {}): string[] {
  const out: string[] = []
  const walk = (p: string) => {
    const st = lstatSync(p)
    const rel = relative(top, p) || '.'
    if (st.isSymbolicLink()) out.push(`L ${rel} -> ${readlinkSync(p)}`)
    else if (st.isFile()) {
      const digest = opts.contents ? ` sha256=${createHash('sha256').update(readFileSync(p)).digest('hex').slice(0, 16)}` : ''
      out.push(`F ${rel} ${(st.mode & 0o7777).toString(8)} mtime=${Math.floor(st.mtimeMs / 1000)}${opts.nlink ? ` nlink=${st.nlink}` : ''} size=${st.size}${digest}`)
    } else if (st.isDirectory()) {
      out.push(`D ${rel} ${(st.mode & 0o7777).toString(8)} mtime=${Math.floor(st.mtimeMs / 1000)}`)
      for (const e of readdirSync(p).sort()) walk(join(p, e))
    } else out.push(`? ${rel}`)
  }
  walk(top)
  return out
}

// ---- ssh-ng -------------------------------------------------------------------------------------

/**
 * Perl (in every Debian, also the chroot) connecting stdin/stdout to a Unix socket: the remote
 * program of the 2.34 client, whose chroot has no Node; the socket's other end runs
 * `tsnix daemon --stdio` per connection (systemd-socket-activate --inetd).
 */
const STDIO_FORWARDER = `#!/usr/bin/perl
use strict; use IO::Socket::UNIX;
my $s = IO::Socket::UNIX->new(Type => IO::Socket::UNIX::SOCK_STREAM(), Peer => '@SOCKET@') or die "connect: $!";
my $pid = fork();
if ($pid == 0) {
  my $b; while (my $n = sysread(STDIN, $b, 65536)) { my $o = 0; while ($o < $n) { my $w = syswrite($s, $b, $n - $o, $o); exit 1 unless defined $w; $o += $w } }
  shutdown($s, 1); exit 0;
}
my $b; while (my $n = sysread($s, $b, 65536)) { my $o = 0; while ($o < $n) { my $w = syswrite(STDOUT, $b, $n - $o, $o); last unless defined $w; $o += $w } }
kill 'TERM', $pid; exit 0;
`

export interface SshNgDaemon {
  /** The client's `store` setting. */
  readonly store: string
  readonly root: string
  stop(): Promise<void>
}

/**
 * An `ssh-ng://localhost` store for a client of `version`: for host localhost Nix runs
 * `<remote-program> --stdio --store <remote-store>` through `bash -c` itself, no ssh involved.
 * C++: the remote program is nix-daemon of the client's version. tsnix: `tsnix daemon` itself for
 * the host's 2.8 client; for the 2.34 client a forwarder to `tsnix daemon --stdio` (see above).
 */
export async function startSshNg(ws: Workspace, runDir: string, kind: DaemonKind, version: ClientVersion, conf = ''): Promise<SshNgDaemon> {
  const root = join(runDir, 'root')
  const confDir = join(runDir, 'conf')
  mkdirSync(confDir, { recursive: true })
  writeFileSync(join(confDir, 'nix.conf'), DAEMON_CONF + conf)
  const program = join(runDir, 'remote-program')
  let stop = async () => {}
  if (kind === 'cpp') {
    writeFileSync(program, `#!/bin/sh\nexec env NIX_CONF_DIR=${confDir} nix-daemon "$@"\n`)
  } else if (version === '2.8') {
    writeFileSync(program, `#!/bin/sh\nexec env NIX_CONF_DIR=${confDir} ${process.execPath} ${tsnixMain} daemon "$@" 2>>${join(runDir, 'daemon.log')}\n`)
  } else {
    const socket = join(runDir, 'stdio.sock')
    writeFileSync(program, STDIO_FORWARDER.replace('@SOCKET@', socket))
    const logFd = openSync(join(runDir, 'daemon.log'), 'a')
    const child = spawn('systemd-socket-activate', ['-l', socket, '--accept', '--inetd', '-E', `NIX_CONF_DIR=${confDir}`,
      process.execPath, tsnixMain, 'daemon', '--stdio', '--store', `local?root=${root}`], { stdio: ['ignore', logFd, logFd], detached: true, env: cleanEnv() })
    closeSync(logFd)
    await waitForSocket(socket, 'systemd-socket-activate', child)
    const exited = new Promise<void>(r => child.once('exit', () => r()))
    stop = async () => { try { process.kill(-child.pid!, 'SIGTERM') } catch { /* gone */ } await exited }
  }
  chmodSync(program, 0o755)
  const store = `ssh-ng://localhost?remote-program=${program}&remote-store=${encodeURIComponent(`local?root=${root}`)}`
  return { store, root, stop }
}

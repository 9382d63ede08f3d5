/**
 * What the daemon benchmarks (`daemon.ts`, `_daemon-ops.ts`) share: a daemon — tsnix from a
 * built tree, or C++ nix-daemon 2.8 — on its own fresh chroot store with the same nix.conf, and
 * its CPU time from /proc. Not a bench module.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { closeSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { WorkerClient } from '../src/worker-protocol/index.js'

/**
 * Both daemons' nix.conf. tsnix adds `fsync-store-paths = false`: Nix 2.8 never fsyncs store paths
 * (TSNIX_BENCH_DAEMON_FSYNC=1 leaves tsnix's default, on, to see what durability costs per op).
 */
const CONF = 'build-users-group =\nsandbox = false\nsubstituters =\nfsync-metadata = false\n'
const TSNIX_CONF = process.env['TSNIX_BENCH_DAEMON_FSYNC'] === '1' ? '' : 'fsync-store-paths = false\n'

/** This process's environment without NIX_* variables, plus `extra`. */
export function benchEnv(extra: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith('NIX_')) out[k] = v
  return { ...out, ...extra }
}

/** Extra node arguments for tsnix daemons (profiling): TSNIX_BENCH_DAEMON_NODE_ARGS, split on spaces. */
export function daemonNodeArgs(): string[] {
  return (process.env['TSNIX_BENCH_DAEMON_NODE_ARGS'] ?? '').split(' ').filter(a => a !== '')
}

export interface Daemon { socket: string; root: string; child: ChildProcess; stop(): Promise<void> }

/**
 * Start a daemon in `dir` (its store root, socket, conf and log there) and wait until it
 * answers: C++ nix-daemon (`'cpp'`), or tsnix's `main.js` under this Node with `nodeArgs`.
 */
export async function startDaemon(which: 'cpp' | { main: string; nodeArgs?: readonly string[] }, dir: string): Promise<Daemon> {
  mkdirSync(dir, { recursive: true })
  const root = join(dir, 'root')
  const socket = join(dir, 'daemon.sock')
  const conf = join(dir, 'conf')
  mkdirSync(conf, { recursive: true })
  writeFileSync(join(conf, 'nix.conf'), CONF + (which === 'cpp' ? '' : TSNIX_CONF))
  const log = openSync(join(dir, 'daemon.log'), 'a')
  const child = which === 'cpp'
    ? spawn('nix-daemon', ['--store', `local?root=${root}`], { env: benchEnv({ NIX_CONF_DIR: conf, NIX_DAEMON_SOCKET_PATH: socket }), stdio: ['ignore', log, log] })
    : spawn(process.execPath, [...(which.nodeArgs ?? []), which.main, 'daemon'], { env: benchEnv({ NIX_CONF_DIR: conf, NIX_CONFIG: `store = local?root=${root}`, NIX_DAEMON_SOCKET_PATH: socket }), stdio: ['ignore', log, log] })
  closeSync(log)
  for (let i = 0; ; i++) {
    try { (await WorkerClient.connect(socket)).close(); break } catch {
      if (i > 600 || child.exitCode !== null) {
        child.kill()
        throw new Error(`${which === 'cpp' ? 'nix-daemon' : which.main} did not start: ${readFileSync(join(dir, 'daemon.log'), 'utf8')}`)
      }
      await new Promise(r => setTimeout(r, 50))
    }
  }
  const exited = new Promise<void>(r => child.once('exit', () => r()))
  return { socket, root, child, stop: async () => { child.kill('SIGTERM'); await exited } }
}

/** utime, stime, cutime, cstime of one process from Linux /proc, in seconds (USER_HZ is 100); 0 elsewhere. */
function procTimes(pid: number): { user: number; sys: number } {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return { user: (Number(f[11]) + Number(f[13])) / 100, sys: (Number(f[12]) + Number(f[14])) / 100 }
  } catch { return { user: 0, sys: 0 } }
}

/**
 * CPU seconds of a daemon and its reaped children (nix-daemon forks one per connection); with
 * `live`, also of the children still running (a connection held open while measuring).
 */
export function cpuSeconds(pid: number | undefined, opts: { live?: boolean } = {}): { user: number; sys: number } {
  if (pid === undefined) return { user: 0, sys: 0 }
  const t = procTimes(pid)
  if (opts.live) for (const c of childPids(pid)) { const ct = procTimes(c); t.user += ct.user; t.sys += ct.sys }
  return t
}

function childPids(pid: number): number[] {
  try { return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(' ').filter(c => c !== '').map(Number) } catch { return [] }
}

/**
 * Wait (up to 2 s) until the daemon has no child processes: nix-daemon's per-connection child
 * counts in cutime/cstime only once reaped, which may be just after the client exits.
 */
export async function childrenReaped(pid: number | undefined): Promise<void> {
  if (pid === undefined) return
  for (let i = 0; i < 200 && childPids(pid).length > 0; i++) await new Promise(r => setTimeout(r, 10))
}

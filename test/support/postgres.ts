/**
 * A throwaway PostgreSQL server for tests: `initdb` into a temp directory, `postgres` listening
 * only on a Unix socket in that directory (no TCP), trust authentication, durability off. One
 * server per test process, shared by reference count (`acquirePostgres` / `releasePostgres`);
 * each suite gets its own database from `createDatabase()`.
 *
 * Where the binaries come from: `TSNIX_PG_BIN`, else `pg_config --bindir`, else PATH. As root,
 * the server runs as the `postgres` user (initdb refuses root) through `setpriv`, which execs, so
 * the child we hold is the postmaster itself. `TSNIX_PG_URL` instead points at an existing
 * server (a role allowed to create databases).
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process'
import { chownSync, closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { isRoot, which } from './env.js'

const require = createRequire(import.meta.url)

export interface PgConnection {
  host: string
  port: number
  user: string
  database: string
}

interface PgClient {
  connect(): Promise<void>
  query(sql: string): Promise<unknown>
  end(): Promise<void>
}
type PgClientCtor = new (c: PgConnection | { connectionString: string }) => PgClient
const pg = require('pg') as { Client: PgClientCtor }

export interface PgServer {
  /** A new empty database on the server. */
  createDatabase(): Promise<PgConnection | string>
  /** Human-readable description for logs. */
  readonly description: string
}

function findBinDir(): string | undefined {
  const env = process.env['TSNIX_PG_BIN']
  if (env) return env
  try {
    const dir = execFileSync('pg_config', ['--bindir'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim()
    if (existsSync(join(dir, 'initdb')) && existsSync(join(dir, 'postgres'))) return dir
  } catch { /* no pg_config */ }
  const initdb = which('initdb')
  const postgres = which('postgres')
  if (initdb && postgres) return undefined // both on PATH: call them by name
  throw new Error('no PostgreSQL server binaries (set TSNIX_PG_BIN, or install postgresql: initdb and postgres)')
}

function userIds(name: string): { uid: number; gid: number } | undefined {
  try {
    const uid = Number(execFileSync('id', ['-u', name], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim())
    const gid = Number(execFileSync('id', ['-g', name], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim())
    return { uid, gid }
  } catch {
    return undefined
  }
}

class LocalServer implements PgServer {
  private counter = 0
  constructor(private readonly dir: string, private readonly child: ChildProcess, private readonly base: Omit<PgConnection, 'database'>) {}
  get description(): string { return `postgres on ${this.base.host} port ${this.base.port}` }

  async createDatabase(): Promise<PgConnection> {
    const database = `tsnix_${process.pid}_${++this.counter}`
    const c = new pg.Client({ ...this.base, database: 'postgres' })
    await c.connect()
    try { await c.query(`create database ${database}`) } finally { await c.end() }
    return { ...this.base, database }
  }

  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      // The child was unref'd so it cannot keep a test run alive; while we wait for it to exit it
      // must keep the event loop alive, or a script with nothing else pending would just end.
      this.child.ref()
      const exited = new Promise(resolve => this.child.once('exit', resolve))
      const kill = setTimeout(() => this.child.kill('SIGKILL'), 10_000)
      this.child.kill('SIGINT') // fast shutdown
      await exited
      clearTimeout(kill)
    }
    rmSync(this.dir, { recursive: true, force: true })
  }

  killNow(): void {
    try { this.child.kill('SIGQUIT') } catch { /* gone */ }
    try { rmSync(this.dir, { recursive: true, force: true }) } catch { /* best effort */ }
  }
}

class ExternalServer implements PgServer {
  private counter = 0
  constructor(private readonly url: string) {}
  get description(): string { return 'server at TSNIX_PG_URL' }
  async createDatabase(): Promise<PgConnection | string> {
    const database = `tsnix_${process.pid}_${Date.now()}_${++this.counter}`
    const c = new pg.Client({ connectionString: this.url })
    await c.connect()
    try { await c.query(`create database ${database}`) } finally { await c.end() }
    const u = new URL(this.url)
    u.pathname = '/' + database
    return u.toString()
  }
}

async function startLocal(): Promise<LocalServer> {
  const bin = findBinDir()
  const tool = (name: string): string => (bin ? join(bin, name) : name)
  let asUser: string[] = []
  const dir = mkdtempSync(join(tmpdir(), 'tsnix-pg-'))
  try {
    if (isRoot) {
      const ids = userIds('postgres')
      if (!ids) throw new Error("running as root but there is no 'postgres' user to run the server as")
      if (!which('setpriv')) throw new Error('running as root and setpriv (util-linux) is missing')
      chownSync(dir, ids.uid, ids.gid)
      asUser = ['setpriv', `--reuid=${ids.uid}`, `--regid=${ids.gid}`, '--init-groups']
    }
    const run = (argv: string[]): string[] => [...asUser, ...argv]
    const data = join(dir, 'data')
    const init = run([tool('initdb'), '-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8', '--locale=C'])
    execFileSync(init[0]!, init.slice(1), { stdio: ['ignore', 'ignore', 'pipe'] })
    const port = 20000 + Math.floor(Math.random() * 40000)
    const log = join(dir, 'server.log')
    const logFd = openSync(log, 'a', 0o666)
    if (isRoot) { const ids = userIds('postgres')!; chownSync(log, ids.uid, ids.gid) }
    const argv = run([tool('postgres'), '-D', data, '-k', dir, '-p', String(port),
      '-c', 'listen_addresses=', '-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off',
      '-c', 'max_connections=60', '-c', 'shared_buffers=16MB'])
    const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', logFd, logFd], detached: false })
    closeSync(logFd)
    child.unref()
    const server = new LocalServer(dir, child, { host: dir, port, user: 'postgres' })
    const deadline = Date.now() + 30_000
    for (;;) {
      if (child.exitCode !== null || child.signalCode !== null) {
        throw new Error(`postgres exited during start-up: ${readFileSync(log, 'utf8').slice(-2000)}`)
      }
      try {
        const c = new pg.Client({ host: dir, port, user: 'postgres', database: 'postgres' })
        await c.connect()
        await c.end()
        return server
      } catch (e) {
        if (Date.now() > deadline) { server.killNow(); throw e }
        await sleep(50)
      }
    }
  } catch (e) {
    rmSync(dir, { recursive: true, force: true })
    throw e
  }
}

let shared: Promise<PgServer | string> | undefined
let users = 0
let local: LocalServer | undefined

process.once('exit', () => local?.killNow())

/**
 * The shared server, started on first use; a string is the reason none is available (pass it to
 * `skipBecause`). Pair every call with `releasePostgres()`.
 */
export function acquirePostgres(): Promise<PgServer | string> {
  users++
  shared ??= (async () => {
    const url = process.env['TSNIX_PG_URL']
    if (url) return new ExternalServer(url)
    try {
      local = await startLocal()
      return local
    } catch (e) {
      return `cannot start a throwaway PostgreSQL server: ${(e as Error).message.split('\n')[0]}`
    }
  })()
  return shared
}

/** Stop the shared server once its last user releases it. */
export async function releasePostgres(): Promise<void> {
  if (users === 0) return
  users--
  if (users > 0) return
  const s = local
  shared = undefined
  local = undefined
  await s?.stop()
}

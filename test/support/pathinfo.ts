/**
 * Helpers for pathinfo's specs: store paths and infos built from names, and the backends the
 * conformance suite runs against.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { encodeNix32, NixHash, type PathInfo, sha256, StoreDir, StorePath } from '../../src/store-path/index.js'
import { openPostgresPathInfoService, openSqlitePathInfoService } from '../../src/pathinfo/open.js'
import { createRequire } from 'node:module'
import { acquirePostgres, type PgConnection, type PgServer, releasePostgres } from './postgres.js'
import type { SqlPathInfoService } from '../../src/pathinfo/sql-path-info-service.js'

const pg = createRequire(import.meta.url)('pg') as { Client: new (c: object) => { connect(): Promise<void>; query(s: string): Promise<unknown>; end(): Promise<void> } }

export const storeDir = new StoreDir('/nix/store')

/** A store path whose hash part is derived from its name (any 20 bytes make a valid path). */
export function sp(name: string): StorePath {
  return StorePath.fromParts(encodeNix32(sha256('tsnix-test:' + name).subarray(0, 20)), name)
}

export function mkInfo(path: StorePath, over: Partial<PathInfo> = {}): PathInfo {
  return {
    path,
    deriver: undefined,
    narHash: NixHash.of('sha256', 'nar of ' + path.baseName),
    references: [],
    registrationTime: 1_700_000_000,
    narSize: 1234,
    ultimate: false,
    sigs: [],
    ca: undefined,
    ...over,
  }
}

export interface Backend {
  readonly name: string
  /** Open a fresh, empty service; a string is a reason to skip. */
  open(opts?: { now?: () => number; maxPathsPerTick?: number }): Promise<SqlPathInfoService | string>
  /** Open another service on the same database as the last `open` (for concurrency specs). */
  reopen?(): Promise<SqlPathInfoService>
  cleanup(): Promise<void>
}

export function sqliteFileBackend(): Backend {
  const dirs: string[] = []
  let last: string | undefined
  let lastOpts: { maxPathsPerTick?: number } = {}
  return {
    name: 'sqlite (state directory, prepared statements)',
    async open(opts = {}) {
      const dir = mkdtempSync(join(tmpdir(), 'tsnix-pathinfo-'))
      dirs.push(dir)
      last = dir
      lastOpts = opts
      return openSqlitePathInfoService({ stateDir: dir, storeDir, busyTimeoutMs: 10, ...opts })
    },
    async reopen() {
      return openSqlitePathInfoService({ stateDir: last!, storeDir, busyTimeoutMs: 10, ...lastOpts })
    },
    async cleanup() { for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true }) },
  }
}

export function sqliteMemoryBackend(prepared: boolean): Backend {
  return {
    name: prepared ? 'sqlite (:memory:, prepared statements)' : 'sqlite (:memory:, knex only)',
    async open(opts = {}) {
      return openSqlitePathInfoService({ filename: ':memory:', storeDir, preparedStatements: prepared, ...opts })
    },
    async cleanup() { /* nothing on disk */ },
  }
}

/**
 * One database per suite on the shared throwaway server (test/support/postgres.ts); each `open`
 * empties it first (TRUNCATE is far cheaper than CREATE DATABASE, which checkpoints).
 */
export function postgresBackend(): Backend {
  let server: PgServer | string | undefined
  let db: PgConnection | string | undefined
  return {
    name: 'postgresql',
    async open(opts = {}) {
      server ??= await acquirePostgres()
      if (typeof server === 'string') return server
      const fresh = db === undefined
      db ??= await server.createDatabase()
      const svc = await openPostgresPathInfoService({ connection: db, storeDir, ...(opts.now ? { now: opts.now } : {}) })
      if (!fresh) await truncateAll(db)
      return svc
    },
    async reopen() { return openPostgresPathInfoService({ connection: db!, storeDir }) },
    async cleanup() {
      if (server !== undefined) { server = undefined; db = undefined; await releasePostgres() }
    },
  }
}

async function truncateAll(c: PgConnection | string): Promise<void> {
  const client = new pg.Client(typeof c === 'string' ? { connectionString: c } : c)
  await client.connect()
  try {
    await client.query('truncate "ValidPaths", "Refs", "DerivationOutputs", "Realisations", "RealisationsRefs", "TsnixCastoreRoots" restart identity')
  } finally { await client.end() }
}

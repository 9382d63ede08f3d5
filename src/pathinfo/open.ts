/**
 * Opening a PathInfoService: SQLite (C++ Nix's `<state>/db/db.sqlite`, or any file, or
 * `:memory:`) or PostgreSQL.
 *
 * For a Nix state directory this does what C++ `LocalStore`'s constructor does with the
 * database: read `db/schema` (refuse a newer version; upgrade versions 7–9 as Nix does), open
 * with Nix's PRAGMAs, create the tables if missing, then write `db/schema` (10) and, as Nix 2.8
 * does once its CA tables exist, `db/ca-schema` (3). Like C++, it holds `db/big-lock` shared
 * (flock, through the native addon) while open, and exclusively while upgrading the schema; if
 * the addon is not built it goes without (and says so in `lockWarning`).
 *
 * Connections (SQLite, file): one handle for the prepared hot statements and a second one that
 * knex uses for everything else and for large registrations — so neither sees the other's
 * open transaction. `:memory:` has one handle for both (a second would be another database).
 */
import { mkdirSync } from 'node:fs'
import type { FileHandle } from 'node:fs/promises'
import { join } from 'node:path'
import { createRequire } from 'node:module'
import type { Knex } from 'knex'
import { lockFd, nativeAddon, openLockFile } from '../os/index.js'
import { deferredCa } from '../os/http-get.js'
import { StoreDir } from '../store-path/index.js'
import { DbSchemaError } from './errors.js'
import { migrate } from './migrations.js'
import { withRetry } from './retry.js'
import { NIX_CA_SCHEMA_VERSION, NIX_SCHEMA_VERSION } from './schema.js'
import { SqlPathInfoService } from './sql-path-info-service.js'
import { driverPath, knexOnHandle, openSqliteHandle, type SqliteDatabase, type SqlitePragmas } from './sqlite-driver.js'
import { WalCheckpointer } from './wal-checkpointer.js'
import { SqliteOps } from './sqlite-ops.js'
import { readVersionFile, writeVersionFile } from './state-files.js'

const require = createRequire(import.meta.url)

interface CommonOptions {
  /** The logical store directory whose paths the database lists (default `/nix/store`). */
  readonly storeDir?: StoreDir | undefined
  /** Stop retrying a busy database after this long (default one hour, as C++). */
  readonly busyGiveUpMs?: number | undefined
  /** Clock in seconds, for registration times of 0 (tests). */
  readonly now?: (() => number) | undefined
}

export interface SqlitePathInfoOptions extends CommonOptions, SqlitePragmas {
  /**
   * A Nix state directory (`/nix/var/nix`): the database is `<stateDir>/db/db.sqlite`, with
   * Nix's version files beside it. Give this or `filename`.
   */
  readonly stateDir?: string | undefined
  /** A database file, or `:memory:`; no version files are read or written. */
  readonly filename?: string | undefined
  /** Prepared statements for the hot queries (default true; false runs everything through knex). */
  readonly preparedStatements?: boolean | undefined
  /** Largest registration done in one synchronous transaction (default 256 paths). */
  readonly maxPathsPerTick?: number | undefined
  /** WAL checkpoints in a worker thread instead of inside our commits (default true). */
  readonly backgroundCheckpoints?: boolean | undefined
}

/** Nix's own upgrades from schema 7, 8 and 9 (C++ `LocalStore::LocalStore`). */
async function upgradeNixSchema(knex: Knex, from: number): Promise<void> {
  await knex.transaction(async trx => {
    const cols = await trx('ValidPaths').columnInfo()
    if (from < 8) {
      if (!('ultimate' in cols)) await trx.raw('alter table ValidPaths add column ultimate integer')
      if (!('sigs' in cols)) await trx.raw('alter table ValidPaths add column sigs text')
    }
    if (from < 9) await trx.raw('drop table if exists FailedPaths')
    if (from < 10 && !('ca' in cols)) await trx.raw('alter table ValidPaths add column ca text')
  })
}

/** `db/schema`, refusing what C++ Nix 2.x refuses. */
function checkNixSchema(dbDir: string): number {
  const v = readVersionFile(join(dbDir, 'schema'))
  if (v > NIX_SCHEMA_VERSION) throw new DbSchemaError(`current Nix store schema is version ${v}, but I only support ${NIX_SCHEMA_VERSION}`)
  if (v > 0 && v < 7) throw new DbSchemaError(`Nix store schema version ${v} is too old to open; upgrade it once with C++ Nix 2.x (any nix-store command does)`)
  return v
}

/**
 * C++ `LocalStore` holds `db/big-lock` (flock, created 0600) shared for its lifetime. Without
 * the native addon there is no flock from Node: go without (undefined).
 */
async function takeBigLock(dbDir: string, type: 'read' | 'write'): Promise<FileHandle | undefined> {
  if (!nativeAddon()) return undefined
  const fh = (await openLockFile(join(dbDir, 'big-lock'), true))!
  try {
    await lockFd(fh.fd, type)
  } catch (e) {
    await fh.close()
    throw e
  }
  return fh
}

export async function openSqlitePathInfoService(opts: SqlitePathInfoOptions): Promise<SqlPathInfoService> {
  let filename: string
  let dbDir: string | undefined
  let nixSchema = NIX_SCHEMA_VERSION
  let caSchema = NIX_CA_SCHEMA_VERSION
  let bigLock: FileHandle | undefined
  if (opts.stateDir !== undefined) {
    dbDir = join(opts.stateDir, 'db')
    mkdirSync(dbDir, { recursive: true })
    filename = join(dbDir, 'db.sqlite')
    bigLock = await takeBigLock(dbDir, 'read')
    try {
      nixSchema = checkNixSchema(dbDir)
      if (nixSchema >= 7 && nixSchema < NIX_SCHEMA_VERSION && bigLock) {
        // As C++: upgrade under the exclusive lock, re-reading the version another process may have raised.
        await lockFd(bigLock.fd, 'write')
        nixSchema = checkNixSchema(dbDir)
      }
      caSchema = readVersionFile(join(dbDir, 'ca-schema'))
      if (caSchema > 0 && caSchema < NIX_CA_SCHEMA_VERSION) {
        throw new DbSchemaError(`Nix store ca-schema version ${caSchema} is older than ${NIX_CA_SCHEMA_VERSION}; upgrade it once with C++ Nix 2.8 or later with the ca-derivations feature enabled`)
      }
    } catch (e) {
      await bigLock?.close()
      throw e
    }
  } else if (opts.filename !== undefined) {
    filename = opts.filename
  } else {
    throw new TypeError('openSqlitePathInfoService needs stateDir or filename')
  }

  const prepared = opts.preparedStatements ?? true
  const handles: SqliteDatabase[] = []
  let checkpointer: WalCheckpointer | undefined
  let ops: SqliteOps | undefined
  const closeHandles = async (): Promise<void> => {
    await checkpointer?.close()
    checkpointer = undefined
    ops?.close()
    ops = undefined
    for (const h of handles.splice(0)) if (h.open) h.close()
    await bigLock?.close()
    bigLock = undefined
  }
  try {
    // A file in WAL mode gets its checkpoints from a worker thread (wal-checkpointer.ts).
    const background = filename !== ':memory:' && opts.wal !== false && opts.backgroundCheckpoints !== false
    const pragmas = { ...opts, autoCheckpoint: !background }
    const main = openSqliteHandle(filename, pragmas)
    handles.push(main)
    const memory = main.memory
    const knexHandle = prepared && !memory ? openSqliteHandle(filename, pragmas) : main
    if (knexHandle !== main) handles.push(knexHandle)
    const knex = knexOnHandle(knexHandle)
    const giveUpMs = opts.busyGiveUpMs ?? 3_600_000
    try {
      if (nixSchema >= 7 && nixSchema < NIX_SCHEMA_VERSION) {
        await withRetry('upgrading the Nix schema', { giveUpMs }, () => upgradeNixSchema(knex, nixSchema))
      }
      await withRetry('migrating the database', { giveUpMs }, () => migrate(knex, 'sqlite'))
    } catch (e) {
      await knex.destroy()
      throw e
    }
    if (background && !memory) {
      checkpointer = new WalCheckpointer(filename, driverPath, () => {
        for (const h of handles) if (h.open) h.pragma('wal_autocheckpoint = 40000')
      })
    }
    if (dbDir !== undefined) {
      if (nixSchema !== NIX_SCHEMA_VERSION) writeVersionFile(join(dbDir, 'schema'), NIX_SCHEMA_VERSION)
      if (caSchema === 0) writeVersionFile(join(dbDir, 'ca-schema'), NIX_CA_SCHEMA_VERSION)
      if (bigLock) await lockFd(bigLock.fd, 'read')
    }
    const hot = ops = prepared
      ? new SqliteOps(main, {
        maxPathsPerTick: opts.maxPathsPerTick ?? 256,
        bulk: knexHandle !== main ? { db: knexHandle, knex } : undefined,
      })
      : undefined
    return new SqlPathInfoService({
      knex,
      dialect: 'sqlite',
      storeDir: opts.storeDir ?? new StoreDir(),
      hot,
      serialiseWrites: true,
      busyGiveUpMs: giveUpMs,
      now: opts.now,
      onClose: closeHandles,
      afterBulkWrite: checkpointer ? () => checkpointer?.nudge() : undefined,
    })
  } catch (e) {
    await closeHandles()
    throw e
  }
}

export interface PostgresPathInfoOptions extends CommonOptions {
  /** A connection string or pg connection settings (host may be a Unix socket directory). */
  readonly connection: string | Knex.PgConnectionConfig
  readonly pool?: { readonly min?: number; readonly max?: number } | undefined
}

/**
 * pg verifies a TLS server against Node's default roots, which include NODE_EXTRA_CA_CERTS
 * only if Node loaded it at start-up; the `tsnix` launcher defers it (src/os/http-get.ts). Then
 * the deferred file is added here, to connections that use TLS and name no CA of their own.
 * The connection string is parsed with pg's own parser, which pg would otherwise apply over
 * any `ssl` given beside it.
 */
export function withDeferredCa(conn: Knex.PgConnectionConfig, env: NodeJS.ProcessEnv = process.env): Knex.PgConnectionConfig {
  const ca = deferredCa(env)
  if (ca === undefined) return conn
  let cfg: Knex.PgConnectionConfig & { ssl?: unknown } = conn
  if (conn.connectionString !== undefined) {
    const pgRequire = createRequire(require.resolve('pg'))
    const { parse } = pgRequire('pg-connection-string') as { parse(s: string): Record<string, unknown> }
    const { connectionString, ...rest } = conn
    cfg = { ...rest, ...parse(connectionString) } as Knex.PgConnectionConfig
  }
  // Without ssl settings pg takes PGSSLMODE; these modes mean TLS with verification.
  const ssl = cfg.ssl ?? (['prefer', 'require', 'verify-ca', 'verify-full'].includes(env['PGSSLMODE'] ?? '') || undefined)
  if (ssl === true) return { ...cfg, ssl: { ca } }
  if (typeof ssl === 'object' && ssl !== null && !('ca' in ssl)) return { ...cfg, ssl: { ...ssl, ca } }
  return cfg
}

export async function openPostgresPathInfoService(opts: PostgresPathInfoOptions): Promise<SqlPathInfoService> {
  const knexFactory = require('knex') as (c: Knex.Config) => Knex
  const knex = knexFactory({
    client: 'pg',
    // A string goes to pg's own parser (libpq forms such as `postgresql://user@/db?host=/run/…`);
    // knex's would take a URL without a host name for an SQLite file name and connect to localhost.
    connection: withDeferredCa(typeof opts.connection === 'string' ? { connectionString: opts.connection } : opts.connection),
    pool: { min: opts.pool?.min ?? 0, max: opts.pool?.max ?? 10 },
  })
  const giveUpMs = opts.busyGiveUpMs ?? 3_600_000
  try {
    await withRetry('migrating the database', { giveUpMs, maxAttempts: 20 }, () => migrate(knex, 'pg'))
  } catch (e) {
    await knex.destroy()
    throw e
  }
  return new SqlPathInfoService({
    knex,
    dialect: 'pg',
    storeDir: opts.storeDir ?? new StoreDir(),
    serialiseWrites: false,
    busyGiveUpMs: giveUpMs,
    now: opts.now,
  })
}

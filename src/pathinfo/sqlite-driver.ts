/**
 * better-sqlite3 as we use it: the few types we need (the package ships none), opening a
 * handle with C++ Nix's connection settings (`LocalStore::openDB`, docs/store.md §2.3) plus a
 * larger page cache and mmap (+30–50 % on lookups, docs/store.md §3d), and a knex client that
 * runs on a handle we opened, so knex and our prepared statements share one connection when
 * they must (`:memory:`).
 */
import { createRequire } from 'node:module'
import type { Knex } from 'knex'

const require = createRequire(import.meta.url)

export interface SqliteRunResult { changes: number; lastInsertRowid: number | bigint }

export interface SqliteStatement<Row = unknown> {
  run(...params: unknown[]): SqliteRunResult
  get(...params: unknown[]): Row | undefined
  all(...params: unknown[]): Row[]
  iterate(...params: unknown[]): IterableIterator<Row>
  pluck(on?: boolean): SqliteStatement<Row>
  raw(on?: boolean): SqliteStatement<Row>
  readonly reader: boolean
}

export interface SqliteTransaction<A extends unknown[], R> {
  (...args: A): R
  immediate(...args: A): R
  deferred(...args: A): R
}

export interface SqliteDatabase {
  prepare<Row = unknown>(sql: string): SqliteStatement<Row>
  exec(sql: string): void
  pragma(sql: string, opts?: { simple?: boolean }): unknown
  transaction<A extends unknown[], R>(fn: (...args: A) => R): SqliteTransaction<A, R>
  close(): void
  readonly open: boolean
  readonly inTransaction: boolean
  readonly memory: boolean
  readonly name: string
}

interface DatabaseCtor {
  new (filename: string, opts?: { timeout?: number; fileMustExist?: boolean; readonly?: boolean }): SqliteDatabase
  SqliteError: new (...args: unknown[]) => Error & { code: string }
}

export const Database = require('better-sqlite3') as DatabaseCtor
/** Where the driver lives, for worker threads that load it themselves. */
export const driverPath = require.resolve('better-sqlite3')

/** SQLITE_BUSY and SQLITE_LOCKED (and their extended codes): another connection holds a lock. */
export function isSqliteBusy(e: unknown): boolean {
  const code = (e as { code?: unknown })?.code
  return typeof code === 'string' && (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED'))
}

export interface SqlitePragmas {
  /** `pragma synchronous`: 'normal' (C++ default) or 'off' (C++ `fsync-metadata = false`). */
  readonly synchronous?: 'normal' | 'off' | 'full'
  /** WAL (C++ default) or `truncate` (C++ `use-sqlite-wal = false`). */
  readonly wal?: boolean
  /**
   * How long one statement waits synchronously for a lock (ms). Kept short because it blocks
   * the event loop; callers retry asynchronously on SQLITE_BUSY instead (C++ waits an hour).
   */
  readonly busyTimeoutMs?: number
  /** Page cache in KiB (`cache_size = -N`); default 65536 (64 MiB). */
  readonly cacheKiB?: number
  /** `mmap_size` in bytes; default 256 MiB. */
  readonly mmapBytes?: number
  /**
   * Checkpoint the WAL from our commits (`wal_autocheckpoint = 40000`, as C++), or leave it to a
   * background checkpointer (false; see wal-checkpointer.ts).
   */
  readonly autoCheckpoint?: boolean
}

/** Open a handle and apply C++ Nix's PRAGMAs in its order, then ours. */
export function openSqliteHandle(filename: string, p: SqlitePragmas = {}): SqliteDatabase {
  const db = new Database(filename, { timeout: p.busyTimeoutMs ?? 100 })
  try {
    db.pragma('foreign_keys = 1')
    db.pragma(`synchronous = ${p.synchronous ?? 'normal'}`)
    if (!db.memory) {
      const mode = p.wal === false ? 'truncate' : 'wal'
      // As C++: query first and only switch when different (switching needs an exclusive lock).
      const prev = db.pragma('main.journal_mode', { simple: true })
      if (prev !== mode) db.pragma(`main.journal_mode = ${mode}`)
      if (mode === 'wal') db.pragma(`wal_autocheckpoint = ${p.autoCheckpoint === false ? 0 : 40000}`)
    }
    db.pragma(`cache_size = -${p.cacheKiB ?? 65536}`)
    if (!db.memory) db.pragma(`mmap_size = ${p.mmapBytes ?? 268435456}`)
  } catch (e) {
    db.close()
    throw e
  }
  return db
}

type KnexClientCtor = new (config: Knex.Config) => object

/**
 * A knex instance whose single pooled connection is `db` (opened and closed by us, not knex).
 * knex's SQLite pool holds one connection, so knex queries and transactions on it are
 * serialised by the pool.
 */
export function knexOnHandle(db: SqliteDatabase): Knex {
  const Base = require('knex/lib/dialects/better-sqlite3/index.js') as KnexClientCtor
  class SharedHandleClient extends Base {
    async acquireRawConnection(): Promise<SqliteDatabase> { return db }
    async destroyRawConnection(): Promise<void> { /* the handle's owner closes it */ }
  }
  const knexFactory = require('knex') as (c: Knex.Config) => Knex
  return knexFactory({
    client: SharedHandleClient as unknown as typeof Knex.Client,
    connection: { filename: db.name },
    useNullAsDefault: true,
    pool: { min: 1, max: 1, idleTimeoutMillis: 2 ** 31 - 1 },
  })
}

/**
 * Schema migrations, in code, through knex. Applied migrations are recorded in our own table
 * `TsnixMigrations(name)`; all pending ones run in one transaction, so two daemons opening the
 * database at once cannot both apply one (SQLite: the second's write fails busy and retries;
 * PostgreSQL: a transaction-scoped advisory lock). Every migration is also idempotent by
 * itself (`if not exists`), so a database that already has the tables — created by C++ Nix, say
 * — is left as it is.
 *
 * Nix's own schema versions (the `db/schema` file) are handled before this, in open.ts, as C++
 * `LocalStore`'s constructor does.
 */
import type { Knex } from 'knex'
import { createPgNixSchema, createPgTsnixSchema, SQLITE_NIX_CA_SCHEMA, SQLITE_NIX_SCHEMA, SQLITE_TSNIX_SCHEMA } from './schema.js'
import type { Dialect } from './sql-text.js'

export interface Migration {
  readonly name: string
  up(k: Knex.Transaction, dialect: Dialect): Promise<void>
}

async function run(k: Knex.Transaction, statements: readonly string[]): Promise<void> {
  for (const s of statements) await k.raw(s)
}

export const MIGRATIONS: readonly Migration[] = [
  {
    // A database Nix created already has these; only a new one gets them. (Running the
    // statements on Nix's database would re-create an index a later Nix may have dropped.)
    name: '0001-nix-schema',
    async up(k, d) {
      if (d === 'pg') await createPgNixSchema(k)
      else if (!(await k.schema.hasTable('ValidPaths'))) await run(k, SQLITE_NIX_SCHEMA)
    },
  },
  {
    // What Nix 2.8 creates once `ca-derivations` is enabled; PostgreSQL got them in 0001.
    name: '0002-nix-ca-schema',
    async up(k, d) {
      if (d === 'sqlite') await run(k, SQLITE_NIX_CA_SCHEMA)
    },
  },
  {
    name: '0003-tsnix-castore-roots',
    async up(k, d) {
      if (d === 'pg') await createPgTsnixSchema(k)
      else await run(k, SQLITE_TSNIX_SCHEMA)
    },
  },
]

/** A constant key for `pg_advisory_xact_lock` ("tsnix" in ASCII). */
const PG_MIGRATION_LOCK = 0x7473_6e69_78

/** Apply pending migrations; returns the names applied now. */
export async function migrate(knex: Knex, dialect: Dialect, migrations: readonly Migration[] = MIGRATIONS): Promise<string[]> {
  return knex.transaction(async trx => {
    if (dialect === 'pg') await trx.raw('select pg_advisory_xact_lock(?)', [PG_MIGRATION_LOCK])
    if (!(await trx.schema.hasTable('TsnixMigrations'))) {
      await trx.schema.createTable('TsnixMigrations', t => {
        t.text('name').primary()
        t.bigInteger('appliedAt').notNullable()
      })
    }
    const done = new Set((await trx('TsnixMigrations').select('name') as Array<{ name: string }>).map(r => r.name))
    const applied: string[] = []
    for (const m of migrations) {
      if (done.has(m.name)) continue
      await m.up(trx, dialect)
      await trx('TsnixMigrations').insert({ name: m.name, appliedAt: Math.floor(Date.now() / 1000) })
      applied.push(m.name)
    }
    return applied
  })
}

/**
 * The tables, in both dialects.
 *
 * SQLite: C++ Nix's own schema (NixOS/nix src/libstore/schema.sql and ca-specific-schema.sql
 * at 2.8.0; 2.34.8 has the same columns, keys, indices and triggers), so a C++ Nix and tsnix
 * can open the same `db.sqlite`. Written here from the facts — table, column, index and trigger
 * names, types, keys and cascades — and checked structurally against a database C++ Nix 2.8
 * created (test/golden/pathinfo). Everything is `if not exists`, like Nix's own script.
 *
 * PostgreSQL: the same tables and columns built with knex's schema builder (quoted, so the
 * mixed-case names stay as they are), with three deliberate differences, each for concurrency
 * between daemons sharing the database: `path` columns use the "C" collation (byte order, as
 * SQLite's BINARY, so the hash-part range probe works), `Realisations(drvPath, outputName)` is
 * unique (C++ relies on SQLite's database-wide write lock instead), and `Refs.reference` is
 * `on delete no action` (checked at statement end) rather than `restrict` (checked
 * immediately), so a self-reference cascades away with its path as the SQLite trigger makes it.
 *
 * tsnix's own tables are prefixed `Tsnix`.
 */
import type { Knex } from 'knex'

/** `db/schema` (C++ `nixSchemaVersion`), unchanged from Nix 2.0 to 2.34. */
export const NIX_SCHEMA_VERSION = 10
/** `db/ca-schema` as Nix 2.8 writes it once its CA tables exist (2.34 uses SchemaMigrations). */
export const NIX_CA_SCHEMA_VERSION = 3

/** ValidPaths, Refs and DerivationOutputs with their indices and trigger (Nix schema 10). */
export const SQLITE_NIX_SCHEMA: readonly string[] = [
  `create table if not exists ValidPaths (
  id integer primary key autoincrement not null,
  path text unique not null,
  hash text not null,
  registrationTime integer not null,
  deriver text,
  narSize integer,
  ultimate integer,
  sigs text,
  ca text
)`,
  `create table if not exists Refs (
  referrer integer not null,
  reference integer not null,
  primary key (referrer, reference),
  foreign key (referrer) references ValidPaths(id) on delete cascade,
  foreign key (reference) references ValidPaths(id) on delete restrict
)`,
  `create index if not exists IndexReferrer on Refs(referrer)`,
  `create index if not exists IndexReference on Refs(reference)`,
  `create trigger if not exists DeleteSelfRefs before delete on ValidPaths
  begin
    delete from Refs where referrer = old.id and reference = old.id;
  end`,
  `create table if not exists DerivationOutputs (
  drv integer not null,
  id text not null,
  path text not null,
  primary key (drv, id),
  foreign key (drv) references ValidPaths(id) on delete cascade
)`,
  `create index if not exists IndexDerivationOutputs on DerivationOutputs(path)`,
]

/**
 * The content-addressed-derivations tables (ca-schema 3). The last index is 2.34's addition
 * (`IndexRealisationsRefsRealisationReference`, same name) so deleting a realisation does not
 * scan RealisationsRefs; 2.8 ignores it.
 */
export const SQLITE_NIX_CA_SCHEMA: readonly string[] = [
  `create table if not exists Realisations (
  id integer primary key autoincrement not null,
  drvPath text not null,
  outputName text not null,
  outputPath integer not null,
  signatures text,
  foreign key (outputPath) references ValidPaths(id) on delete cascade
)`,
  `create index if not exists IndexRealisations on Realisations(drvPath, outputName)`,
  `create table if not exists RealisationsRefs (
  referrer integer not null,
  realisationReference integer,
  foreign key (referrer) references Realisations(id) on delete cascade,
  foreign key (realisationReference) references Realisations(id) on delete restrict
)`,
  `create index if not exists IndexRealisationsRefs on RealisationsRefs(referrer)`,
  `create index if not exists IndexRealisationsRefsOnOutputPath on Realisations(outputPath)`,
  `create index if not exists IndexRealisationsRefsRealisationReference on RealisationsRefs(realisationReference)`,
]

/** tsnix's table: the castore root node of each valid path, opaque bytes. */
export const SQLITE_TSNIX_SCHEMA: readonly string[] = [
  `create table if not exists TsnixCastoreRoots (
  id integer primary key not null,
  root blob not null,
  foreign key (id) references ValidPaths(id) on delete cascade
)`,
]

const C_TEXT = 'text collate "C"'

/** The same tables on PostgreSQL (see the file comment for the three differences). */
export async function createPgNixSchema(k: Knex | Knex.Transaction): Promise<void> {
  // A schema builder accumulates statements: take a fresh one for every call.
  const s = (): Knex.SchemaBuilder => k.schema
  if (!(await s().hasTable('ValidPaths'))) {
    await s().createTable('ValidPaths', t => {
      t.bigIncrements('id')
      t.specificType('path', C_TEXT).notNullable().unique({ indexName: 'ValidPaths_path_key' })
      t.text('hash').notNullable()
      t.bigInteger('registrationTime').notNullable()
      t.specificType('deriver', C_TEXT)
      t.bigInteger('narSize')
      t.integer('ultimate')
      t.text('sigs')
      t.text('ca')
    })
  }
  if (!(await s().hasTable('Refs'))) {
    await s().createTable('Refs', t => {
      t.bigInteger('referrer').notNullable().references('id').inTable('ValidPaths').onDelete('CASCADE')
      t.bigInteger('reference').notNullable().references('id').inTable('ValidPaths').onDelete('NO ACTION')
      t.primary(['referrer', 'reference'])
      t.index(['reference'], 'IndexReference')
    })
  }
  if (!(await s().hasTable('DerivationOutputs'))) {
    await s().createTable('DerivationOutputs', t => {
      t.bigInteger('drv').notNullable().references('id').inTable('ValidPaths').onDelete('CASCADE')
      t.text('id').notNullable()
      t.specificType('path', C_TEXT).notNullable()
      t.primary(['drv', 'id'])
      t.index(['path'], 'IndexDerivationOutputs')
    })
  }
  if (!(await s().hasTable('Realisations'))) {
    await s().createTable('Realisations', t => {
      t.bigIncrements('id')
      t.text('drvPath').notNullable()
      t.text('outputName').notNullable()
      t.bigInteger('outputPath').notNullable().references('id').inTable('ValidPaths').onDelete('CASCADE')
      t.text('signatures')
      t.unique(['drvPath', 'outputName'], { indexName: 'IndexRealisations' })
      t.index(['outputPath'], 'IndexRealisationsRefsOnOutputPath')
    })
  }
  if (!(await s().hasTable('RealisationsRefs'))) {
    await s().createTable('RealisationsRefs', t => {
      t.bigInteger('referrer').notNullable().references('id').inTable('Realisations').onDelete('CASCADE')
      t.bigInteger('realisationReference').references('id').inTable('Realisations').onDelete('RESTRICT')
      t.index(['referrer'], 'IndexRealisationsRefs')
      t.index(['realisationReference'], 'IndexRealisationsRefsRealisationReference')
    })
  }
}

export async function createPgTsnixSchema(k: Knex | Knex.Transaction): Promise<void> {
  if (!(await k.schema.hasTable('TsnixCastoreRoots'))) {
    await k.schema.createTable('TsnixCastoreRoots', t => {
      t.bigInteger('id').primary().references('id').inTable('ValidPaths').onDelete('CASCADE')
      t.binary('root').notNullable()
    })
  }
}

/**
 * A structural description of a SQLite database — what readers depend on: columns (name, type,
 * not null, default, primary key position), foreign keys with their actions, indices with
 * their columns and uniqueness, triggers (normalised text) — so two databases created by
 * different programs can be compared without caring about whitespace or comments in the DDL.
 */
import { Database } from '../../src/pathinfo/sqlite-driver.js'

export type SchemaDescription = Map<string, string>

function normaliseSql(sql: string): string {
  return sql.replace(/--[^\n]*/g, '').replace(/\s+/g, ' ').replace(/ ?([(),;]) ?/g, '$1').trim().toLowerCase()
}

export function describeSqliteSchema(file: string): SchemaDescription {
  const db = new Database(file, { readonly: true, fileMustExist: true })
  try {
    const out: SchemaDescription = new Map()
    const objects = db.prepare<{ type: string; name: string; tbl_name: string; sql: string | null }>(
      "select type, name, tbl_name, sql from sqlite_master where name not like 'sqlite_stat%' order by type, name").all()
    for (const o of objects) {
      if (o.type === 'table') {
        const q = (pragma: string): unknown[] => db.prepare(`select * from pragma_${pragma}(?)`).all(o.name)
        out.set(`table ${o.name}`, JSON.stringify({
          columns: q('table_xinfo'),
          foreignKeys: (q('foreign_key_list') as Array<Record<string, unknown>>).map(({ id: _id, seq: _seq, ...rest }) => rest)
            .sort((a, b) => JSON.stringify(a) < JSON.stringify(b) ? -1 : 1),
        }))
      } else if (o.type === 'index') {
        const info = db.prepare<Record<string, unknown>>('select * from pragma_index_list(?) where name = ?').get(o.tbl_name, o.name)
        const cols = (db.prepare('select * from pragma_index_xinfo(?)').all(o.name) as Array<Record<string, unknown>>).filter(c => c['key'] === 1)
        out.set(`index ${o.name}`, JSON.stringify({ table: o.tbl_name, unique: info?.['unique'], origin: info?.['origin'], partial: info?.['partial'], cols }))
      } else {
        out.set(`${o.type} ${o.name}`, JSON.stringify({ table: o.tbl_name, sql: normaliseSql(o.sql ?? '') }))
      }
    }
    return out
  } finally {
    db.close()
  }
}

export function sqliteScalar(file: string, sql: string): unknown {
  const db = new Database(file, { readonly: true, fileMustExist: true })
  try { return db.prepare(sql).pluck().get() } finally { db.close() }
}

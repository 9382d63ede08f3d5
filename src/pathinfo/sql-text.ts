/**
 * SQL text shared by the prepared SQLite statements and knex.raw on either dialect. Identifiers
 * are double-quoted, which both dialects read as identifiers (PostgreSQL needs it for the
 * mixed-case names). A list of paths travels as one parameter: a JSON array read with
 * `json_each` on SQLite, a `text[]` on PostgreSQL — so statements stay prepared whatever the
 * list's length, and no dialect's parameter limit is hit.
 */
export type Dialect = 'sqlite' | 'pg'

/** `<column> in <list bound as one parameter>` for a list of texts or of ids. */
export function inList(dialect: Dialect, column: string, type: 'text' | 'bigint' = 'text'): string {
  return dialect === 'sqlite' ? `${column} in (select value from json_each(?))` : `${column} = any(?::${type}[])`
}

/** The parameter for `inList`. Texts are quoted so any text survives the array literal. */
export function listParam(dialect: Dialect, values: readonly string[] | readonly number[]): string {
  if (dialect === 'sqlite') return JSON.stringify(values)
  return '{' + values.map(v => typeof v === 'number' ? String(v) : '"' + v.replace(/[\\"]/g, c => '\\' + c) + '"').join(',') + '}'
}

/**
 * Row of a path with the printed paths of its references space-joined (store paths have no
 * spaces) — one statement, one round trip.
 */
export function queryPathInfo(d: Dialect): string {
  const agg = d === 'sqlite' ? `group_concat(w."path", ' ')` : `string_agg(w."path", ' ')`
  return `select v."id", v."hash", v."registrationTime", v."deriver", v."narSize", v."ultimate", v."sigs", v."ca",
  (select ${agg} from "Refs" r join "ValidPaths" w on w."id" = r."reference" where r."referrer" = v."id") as "refs"
from "ValidPaths" v where v."path" = ?`
}

export const QUERY_ID = `select "id" from "ValidPaths" where "path" = ?`
export const QUERY_REFERENCES = `select v."path" from "Refs" r join "ValidPaths" v on v."id" = r."reference" where r."referrer" = ?`
export const QUERY_REFERRERS = `select v."path" from "Refs" r join "ValidPaths" v on v."id" = r."referrer" where r."reference" = (select "id" from "ValidPaths" where "path" = ?)`
/** A range probe rather than `like`, so the unique index answers it (as C++ does). */
export const QUERY_PATH_FROM_HASH_PART = `select "path" from "ValidPaths" where "path" >= ? order by "path" limit 1`
export const QUERY_VALID_DERIVERS = `select v."path" from "DerivationOutputs" d join "ValidPaths" v on d."drv" = v."id" where d."path" = ?`
export const QUERY_DERIVATION_OUTPUTS = `select "id", "path" from "DerivationOutputs" where "drv" = ?`
export const QUERY_CASTORE_ROOT = `select c."root" from "TsnixCastoreRoots" c join "ValidPaths" v on v."id" = c."id" where v."path" = ?`

export function queryValidPaths(d: Dialect): string {
  return `select "path" from "ValidPaths" where ${inList(d, '"path"')}`
}

/** Closure along references (or referrers when flipped) of the listed paths, in one statement. */
export function queryClosure(d: Dialect, flip: boolean): string {
  const [from, to] = flip ? ['"reference"', '"referrer"'] : ['"referrer"', '"reference"']
  return `with recursive closure(id) as (
    select "id" from "ValidPaths" where ${inList(d, '"path"')}
    union
    select r.${to} from "Refs" r join closure c on r.${from} = c.id
  )
  select v."path" from closure c join "ValidPaths" v on v."id" = c.id`
}

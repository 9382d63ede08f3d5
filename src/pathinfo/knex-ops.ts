/**
 * The hot queries and registration through knex, the same code on PostgreSQL and SQLite.
 *
 * Registration on PostgreSQL with several daemons sharing the database: rows go in path order
 * (so concurrent batches take row locks in the same order), with `on conflict (path) do nothing`
 * — a concurrent insert of the same path makes ours wait and then fall through to the update,
 * as C++ does for a path that is already valid, instead of failing on the unique key.
 * References to paths outside the batch are read `for key share`, so a concurrent invalidation
 * cannot delete them before we commit. Deadlocks and serialisation failures are retried by the
 * service.
 */
import type { Knex } from 'knex'
import { InvalidPathError } from '../store-path/index.js'
import type { HotOps, RawPathInfo } from './hot-ops.js'
import type { PlannedPath } from './register-plan.js'
import { toInt, type DbInt, type ValidPathRow } from './row.js'
import * as q from './sql-text.js'

/** Rows per multi-row statement (9 columns × 500 stays far below every parameter limit). */
const ROWS_PER_STATEMENT = 500

function chunks<T>(xs: readonly T[], n: number): T[][] {
  const out: T[][] = []
  for (let i = 0; i < xs.length; i += n) out.push(xs.slice(i, i + n))
  return out
}

/** knex.raw's result differs by driver: pg gives `{ rows }`, better-sqlite3 the rows. */
export function rawRows<R>(res: unknown): R[] {
  return Array.isArray(res) ? (res as R[]) : ((res as { rows: R[] }).rows)
}

export class KnexOps implements HotOps {
  constructor(private readonly knex: Knex, private readonly dialect: q.Dialect) {}

  private async raw<R>(sql: string, bindings: readonly unknown[], k: Knex | Knex.Transaction = this.knex): Promise<R[]> {
    return rawRows<R>(await k.raw(sql, bindings as Knex.RawBinding[]))
  }

  async pathInfo(path: string): Promise<RawPathInfo | undefined> {
    const [row] = await this.raw<ValidPathRow & { refs: string | null }>(q.queryPathInfo(this.dialect), [path])
    if (!row) return undefined
    return { row, refs: row.refs ? row.refs.split(' ') : [] }
  }

  async validId(path: string): Promise<number | undefined> {
    const [row] = await this.raw<{ id: DbInt }>(q.QUERY_ID, [path])
    return row ? toInt(row.id) : undefined
  }

  async references(id: number): Promise<string[]> {
    return (await this.raw<{ path: string }>(q.QUERY_REFERENCES, [id])).map(r => r.path)
  }

  async referrers(path: string): Promise<string[]> {
    return (await this.raw<{ path: string }>(q.QUERY_REFERRERS, [path])).map(r => r.path)
  }

  async firstPathFrom(prefix: string): Promise<string | undefined> {
    const [row] = await this.raw<{ path: string }>(q.QUERY_PATH_FROM_HASH_PART, [prefix])
    return row?.path
  }

  async validPaths(paths: readonly string[]): Promise<string[]> {
    return (await this.raw<{ path: string }>(q.queryValidPaths(this.dialect), [q.listParam(this.dialect, paths)])).map(r => r.path)
  }

  async closure(paths: readonly string[], flip: boolean): Promise<string[]> {
    return (await this.raw<{ path: string }>(q.queryClosure(this.dialect, flip), [q.listParam(this.dialect, paths)])).map(r => r.path)
  }

  async castoreRoot(path: string): Promise<Uint8Array | undefined> {
    const [row] = await this.raw<{ root: Uint8Array }>(q.QUERY_CASTORE_ROOT, [path])
    return row ? new Uint8Array(row.root.buffer, row.root.byteOffset, row.root.byteLength) : undefined
  }

  register(plans: readonly PlannedPath[]): Promise<ReadonlySet<string>> {
    return this.knex.transaction(trx => this.registerIn(trx, plans))
  }

  private async registerIn(trx: Knex.Transaction, plans: readonly PlannedPath[]): Promise<ReadonlySet<string>> {
    const ids = new Map<string, number>()
    const fresh = new Set<string>()
    for (const part of chunks(plans, ROWS_PER_STATEMENT)) {
      const inserted = await trx('ValidPaths')
        .insert(part.map(p => p.cols))
        .onConflict('path')
        .ignore()
        .returning(['id', 'path']) as Array<{ id: DbInt; path: string }>
      for (const r of inserted) {
        ids.set(r.path, toInt(r.id))
        fresh.add(r.path)
      }
      for (const p of part) {
        if (fresh.has(p.key)) continue
        const c = p.cols
        const [row] = await trx('ValidPaths')
          .where('path', p.key)
          .update({ narSize: c.narSize, hash: c.hash, ultimate: c.ultimate, sigs: c.sigs, ca: c.ca })
          .returning(['id']) as Array<{ id: DbInt }>
        if (!row) throw new Error(`path '${p.key}' neither inserted nor updated`)
        ids.set(p.key, toInt(row.id))
      }
    }

    const outputs = plans.filter(p => fresh.has(p.key)).flatMap(p => p.drvOutputs.map(([id, path]) => ({ drv: ids.get(p.key)!, id, path })))
    for (const part of chunks(outputs, ROWS_PER_STATEMENT)) {
      await trx('DerivationOutputs').insert(part).onConflict(['drv', 'id']).merge(['path'])
    }

    const outside = [...new Set(plans.flatMap(p => p.refs))].filter(r => !ids.has(r)).sort()
    for (const part of chunks(outside, ROWS_PER_STATEMENT * 4)) {
      let sel = trx('ValidPaths').select('id', 'path').whereRaw(q.inList(this.dialect, '"path"'), [q.listParam(this.dialect, part)])
      if (this.dialect === 'pg') sel = sel.forKeyShare()
      for (const r of await sel as Array<{ id: DbInt; path: string }>) ids.set(r.path, toInt(r.id))
    }
    const refs: Array<{ referrer: number; reference: number }> = []
    for (const p of plans) {
      for (const ref of p.refs) {
        const reference = ids.get(ref)
        if (reference === undefined) throw new InvalidPathError(`path '${ref}' is not valid`)
        refs.push({ referrer: ids.get(p.key)!, reference })
      }
    }
    for (const part of chunks(refs, ROWS_PER_STATEMENT)) {
      await trx('Refs').insert(part).onConflict(['referrer', 'reference']).ignore()
    }

    const roots = plans.filter(p => p.castoreRoot).map(p => ({ id: ids.get(p.key)!, root: p.castoreRoot! }))
    for (const part of chunks(roots, ROWS_PER_STATEMENT)) {
      await trx('TsnixCastoreRoots').insert(part.map(r => ({ id: r.id, root: Buffer.from(r.root.buffer, r.root.byteOffset, r.root.byteLength) }))).onConflict('id').merge(['root'])
    }
    return fresh
  }
}

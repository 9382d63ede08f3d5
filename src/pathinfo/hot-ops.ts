/**
 * The hot queries and the registration writes, behind one interface with two implementations:
 * prepared better-sqlite3 statements (sqlite-ops.ts) and knex on either dialect (knex-ops.ts).
 * Paths are printed strings here; the service parses and prints.
 */
import type { PlannedPath } from './register-plan.js'
import type { ValidPathRow } from './row.js'

export interface RawPathInfo {
  readonly row: ValidPathRow
  /** Printed references. */
  readonly refs: readonly string[]
}

type MaybePromise<T> = T | Promise<T>

export interface HotOps {
  pathInfo(path: string): MaybePromise<RawPathInfo | undefined>
  validId(path: string): MaybePromise<number | undefined>
  references(id: number): MaybePromise<string[]>
  referrers(path: string): MaybePromise<string[]>
  /** The first valid path at or after `prefix` in byte order. */
  firstPathFrom(prefix: string): MaybePromise<string | undefined>
  validPaths(paths: readonly string[]): MaybePromise<string[]>
  closure(paths: readonly string[], flip: boolean): MaybePromise<string[]>
  castoreRoot(path: string): MaybePromise<Uint8Array | undefined>
  /**
   * A number that moves whenever another connection or process committed a change (SQLite's
   * `PRAGMA data_version`); absent where there is no such thing. Lets the service cache.
   */
  dataVersion?(): number
  /** All of `registerValidPaths` after planning, atomically; the keys of the paths newly inserted (not valid before). */
  register(plans: readonly PlannedPath[]): Promise<ReadonlySet<string>>
}

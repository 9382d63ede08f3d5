/**
 * SqlPathInfoService: PathInfoService over knex, on SQLite (C++ Nix's own database file) or
 * PostgreSQL. The hot operations go through a `HotOps` (prepared statements on SQLite, knex on
 * PostgreSQL); everything else is knex, the same code on both dialects. Open one with
 * `openSqlitePathInfoService` / `openPostgresPathInfoService` (open.ts).
 */
import type { Knex } from 'knex'
import {
  type DrvOutput,
  InvalidPathError,
  NixHash,
  type PathInfo,
  printDrvOutput,
  type Realisation,
  type StoreDir,
  StorePath,
  HASH_PART_LEN,
  isNix32,
} from '../store-path/index.js'
import { PathInUseError, RealisationError, showPaths } from './errors.js'
import type { HotOps, RawPathInfo } from './hot-ops.js'
import { PathInfoCache } from './info-cache.js'
import { KnexOps, rawRows } from './knex-ops.js'
import { type PlannedPath, planRegistration, planRegistrationInChunks } from './register-plan.js'
import { AsyncMutex, isRetryable, withRetry } from './retry.js'
import { decodeSigs, decodeValidPath, normaliseSigs, parseDbPath, toInt, type DbInt, type ValidPathRow } from './row.js'
import { type ClosureOptions, type IterateOptions, NOTHING_REGISTERED, type PathInfoService, type RegisteredPaths, type ValidPathRegistration } from './service.js'
import { type Dialect, inList, listParam } from './sql-text.js'

export interface SqlPathInfoServiceInit {
  readonly knex: Knex
  readonly dialect: Dialect
  readonly storeDir: StoreDir
  /** Hot-path implementation; defaults to knex. */
  readonly hot?: HotOps | undefined
  /** Run our own writers one at a time (SQLite, where a second writer would only spin). */
  readonly serialiseWrites: boolean
  /** Stop retrying a busy database after this long (default one hour, as C++). */
  readonly busyGiveUpMs?: number | undefined
  /** Seconds since the epoch, for registration times of 0. */
  readonly now?: (() => number) | undefined
  /** Runs after knex is destroyed (closes SQLite handles). */
  readonly onClose?: (() => void | Promise<void>) | undefined
  /** Runs after a large registration (SQLite: ask for a WAL checkpoint). */
  readonly afterBulkWrite?: (() => void) | undefined
  /** Cache path infos where the hot ops can tell when others changed the database (default true). */
  readonly cachePathInfos?: boolean | undefined
}

const DEFAULT_BATCH = 1000
/** Paths planned between yields to the event loop (planning is ~10 µs per path). */
const PLAN_CHUNK = 1000
/** Registrations at least this large refresh PostgreSQL's planner statistics. */
const ANALYZE_AFTER = 1000

/** Parsed paths by printed form: references repeat across queries (every path refers to libc). */
class PathCache {
  private readonly map = new Map<string, StorePath>()
  constructor(private readonly storeDir: StoreDir, private readonly max = 100_000) {}
  parse(printed: string, owner: string): StorePath {
    let p = this.map.get(printed)
    if (p === undefined) {
      p = parseDbPath(this.storeDir, printed, owner)
      if (this.map.size >= this.max) this.map.clear()
      this.map.set(printed, p)
    }
    return p
  }
  sorted(printed: Iterable<string>, owner: string): StorePath[] {
    return [...new Set(printed)].sort().map(p => this.parse(p, owner))
  }
}

export class SqlPathInfoService implements PathInfoService {
  readonly storeDir: StoreDir
  private readonly knex: Knex
  private readonly dialect: Dialect
  private readonly hot: HotOps
  private readonly mutex: AsyncMutex | undefined
  private readonly giveUpMs: number
  private readonly now: () => number
  private readonly onClose: (() => void | Promise<void>) | undefined
  private closed = false
  private readonly paths: PathCache
  private readonly afterBulkWrite: (() => void) | undefined
  /** Only where others' commits can be noticed (SQLite's data_version); PostgreSQL has no such counter. */
  private readonly cache: PathInfoCache | undefined

  constructor(init: SqlPathInfoServiceInit) {
    this.storeDir = init.storeDir
    this.knex = init.knex
    this.dialect = init.dialect
    this.hot = init.hot ?? new KnexOps(init.knex, init.dialect)
    this.mutex = init.serialiseWrites ? new AsyncMutex() : undefined
    this.giveUpMs = init.busyGiveUpMs ?? 3_600_000
    this.now = init.now ?? (() => Math.floor(Date.now() / 1000))
    this.onClose = init.onClose
    this.paths = new PathCache(init.storeDir)
    this.afterBulkWrite = init.afterBulkWrite
    const hot = this.hot
    this.cache = hot.dataVersion && init.cachePathInfos !== false ? new PathInfoCache(() => hot.dataVersion!()) : undefined
  }

  // ---- plumbing -------------------------------------------------------------------------

  /** A read: straight through, and only on lock contention into the retry loop. */
  private async read<T>(what: string, fn: () => T | Promise<T>): Promise<T> {
    try {
      return await fn()
    } catch (e) {
      if (!isRetryable(e)) throw e
      return withRetry(what, { giveUpMs: this.giveUpMs }, async () => fn())
    }
  }

  /** A write transaction: one of ours at a time (SQLite), retried whole on contention. */
  private async write<T>(what: string, fn: () => Promise<T>, extraPgCodes: readonly string[] = []): Promise<T> {
    const attempt = (): Promise<T> => withRetry(what, { giveUpMs: this.giveUpMs, extraPgCodes, maxAttempts: extraPgCodes.length ? 20 : undefined }, fn)
    // Cleared before (lookups while the write runs are not stored) and after (what it changed).
    this.cache?.invalidate()
    try {
      return await (this.mutex ? this.mutex.run(attempt) : attempt())
    } finally {
      this.cache?.invalidate()
    }
  }

  private async rows<R>(sql: string, bindings: readonly unknown[], k: Knex | Knex.Transaction = this.knex): Promise<R[]> {
    return rawRows<R>(await k.raw(sql, bindings as Knex.RawBinding[]))
  }

  private print(p: StorePath): string { return this.storeDir.print(p) }

  private notValid(printed: string): InvalidPathError {
    return new InvalidPathError(`path '${printed}' is not valid`)
  }

  // ---- hot queries ----------------------------------------------------------------------

  async queryPathInfo(path: StorePath): Promise<PathInfo | undefined> { return this.queryPathInfoNow(path) }

  /**
   * `queryPathInfo`, answered synchronously when it can be (a cache hit, or SQLite's
   * synchronous statements); a promise otherwise (PostgreSQL, or a busy database to retry).
   */
  queryPathInfoNow(path: StorePath): PathInfo | undefined | Promise<PathInfo | undefined> {
    const printed = this.print(path)
    const cache = this.cache
    if (!cache) return this.lookUpPathInfo(path, printed)
    const hit = cache.get(printed)
    if (hit !== undefined) return hit ?? undefined
    const generation = cache.begin()
    const info = this.lookUpPathInfo(path, printed)
    if (info instanceof Promise) return info.then(i => { cache.set(printed, i ?? null, generation); return i })
    cache.set(printed, info ?? null, generation)
    return info
  }

  private lookUpPathInfo(path: StorePath, printed: string): PathInfo | undefined | Promise<PathInfo | undefined> {
    const decode = (raw: RawPathInfo | undefined): PathInfo | undefined =>
      raw && decodeValidPath(this.storeDir, path, raw.row, raw.refs, r => this.paths.parse(r, printed))
    const retry = (e: unknown): Promise<PathInfo | undefined> => {
      if (!isRetryable(e)) throw e
      return withRetry('querying path info', { giveUpMs: this.giveUpMs }, async () => this.hot.pathInfo(printed)).then(decode)
    }
    let raw
    try {
      raw = this.hot.pathInfo(printed)
    } catch (e) {
      return retry(e)
    }
    return raw instanceof Promise ? raw.then(decode, retry) : decode(raw)
  }

  async isValidPath(path: StorePath): Promise<boolean> {
    const printed = this.print(path)
    const cache = this.cache
    const hit = cache?.get(printed)
    if (hit !== undefined) return hit !== null
    const generation = cache?.begin() ?? 0
    let id
    try {
      id = await this.hot.validId(printed)
    } catch (e) {
      if (!isRetryable(e)) throw e
      id = await withRetry('querying path validity', { giveUpMs: this.giveUpMs }, async () => this.hot.validId(printed))
    }
    // Only the negative answer can be kept (a positive one has no PathInfo to cache).
    if (id === undefined) cache?.set(printed, null, generation)
    return id !== undefined
  }

  async queryValidPaths(paths: Iterable<StorePath>): Promise<StorePath[]> {
    const printed = [...new Set([...paths].map(p => this.print(p)))]
    if (printed.length === 0) return []
    const valid = await this.read('querying valid paths', () => this.hot.validPaths(printed))
    return this.paths.sorted(valid, 'valid paths')
  }

  async queryPathFromHashPart(hashPart: string): Promise<StorePath | undefined> {
    if (hashPart.length !== HASH_PART_LEN || !isNix32(hashPart)) {
      throw new InvalidPathError(`invalid hash part '${hashPart.slice(0, 80)}': expected ${HASH_PART_LEN} nix32 characters`)
    }
    const prefix = `${this.storeDir.path}/${hashPart}`
    const first = await this.read('querying path from hash part', () => this.hot.firstPathFrom(prefix))
    return first !== undefined && first.startsWith(prefix) ? parseDbPath(this.storeDir, first, prefix) : undefined
  }

  async queryReferences(path: StorePath): Promise<StorePath[]> {
    const printed = this.print(path)
    const refs = await this.read('querying references', async () => {
      const id = await this.hot.validId(printed)
      if (id === undefined) throw this.notValid(printed)
      return this.hot.references(id)
    })
    return this.paths.sorted(refs, printed)
  }

  async queryReferrers(path: StorePath): Promise<StorePath[]> {
    const printed = this.print(path)
    return this.paths.sorted(await this.read('querying referrers', () => this.hot.referrers(printed)), printed)
  }

  async queryCastoreRoot(path: StorePath): Promise<Uint8Array | undefined> {
    return this.read('querying castore root', () => this.hot.castoreRoot(this.print(path)))
  }

  // ---- other queries --------------------------------------------------------------------

  async queryValidDerivers(path: StorePath): Promise<StorePath[]> {
    const printed = this.print(path)
    const rows = await this.read('querying valid derivers', () =>
      this.rows<{ path: string }>('select v."path" from "DerivationOutputs" d join "ValidPaths" v on d."drv" = v."id" where d."path" = ?', [printed]))
    return this.paths.sorted(rows.map(r => r.path), printed)
  }

  async queryDerivationOutputs(drvPath: StorePath): Promise<Map<string, StorePath>> {
    const printed = this.print(drvPath)
    const rows = await this.read('querying derivation outputs', async () => {
      const id = await this.hot.validId(printed)
      if (id === undefined) throw this.notValid(printed)
      return this.rows<{ id: string; path: string }>('select "id", "path" from "DerivationOutputs" where "drv" = ? order by "id"', [id])
    })
    return new Map(rows.map(r => [r.id, parseDbPath(this.storeDir, r.path, printed)]))
  }

  async queryAllValidPaths(): Promise<StorePath[]> {
    const rows = await this.read('querying all valid paths', () => this.rows<{ path: string }>('select "path" from "ValidPaths"', []))
    return this.paths.sorted(rows.map(r => r.path), 'all valid paths')
  }

  async computeClosure(paths: Iterable<StorePath>, opts: ClosureOptions = {}): Promise<StorePath[]> {
    const start = [...new Set([...paths].map(p => this.print(p)))].sort()
    if (start.length === 0) return []
    const valid = new Set(await this.read('querying valid paths', () => this.hot.validPaths(start)))
    const missing = start.find(p => !valid.has(p))
    if (missing !== undefined) throw this.notValid(missing)
    const flip = opts.flipDirection ?? false
    const found = opts.includeOutputs || opts.includeDerivers
      ? await this.read('computing closure', () => this.closureByLevels(start, flip, opts))
      : await this.read('computing closure', () => this.hot.closure(start, flip))
    return this.paths.sorted(found, 'closure')
  }

  /** Breadth-first, one query per edge kind per level, for the closures with extra edges. */
  private async closureByLevels(start: readonly string[], flip: boolean, opts: ClosureOptions): Promise<string[]> {
    const d = this.dialect
    const edges: string[] = []
    const list = inList(d, 'a."path"')
    // Valid outputs of the listed derivations.
    const drvOutputs = `select o."path" from "DerivationOutputs" x join "ValidPaths" a on a."id" = x."drv" join "ValidPaths" o on o."path" = x."path" where ${list}`
    if (!flip) {
      edges.push(`select v."path" from "Refs" r join "ValidPaths" a on a."id" = r."referrer" join "ValidPaths" v on v."id" = r."reference" where ${list}`)
      if (opts.includeOutputs) edges.push(drvOutputs)
      if (opts.includeDerivers) edges.push(`select v."path" from "ValidPaths" a join "ValidPaths" v on v."path" = a."deriver" where ${list}`)
    } else {
      edges.push(`select v."path" from "Refs" r join "ValidPaths" a on a."id" = r."reference" join "ValidPaths" v on v."id" = r."referrer" where ${list}`)
      if (opts.includeOutputs) edges.push(`select v."path" from "DerivationOutputs" x join "ValidPaths" v on x."drv" = v."id" where ${inList(d, 'x."path"')}`)
      if (opts.includeDerivers) edges.push(drvOutputs)
    }
    const result = new Set(start)
    let frontier = [...start]
    while (frontier.length > 0) {
      const param = listParam(d, frontier)
      const next: string[] = []
      for (const sql of edges) {
        for (const r of await this.rows<{ path: string }>(sql, [param])) {
          if (!result.has(r.path)) { result.add(r.path); next.push(r.path) }
        }
      }
      frontier = next
    }
    return [...result]
  }

  async *iteratePathInfos(opts: IterateOptions = {}): AsyncIterable<PathInfo> {
    const batch = opts.batchSize ?? DEFAULT_BATCH
    let after = 0
    for (;;) {
      opts.signal?.throwIfAborted()
      const rows = await this.read('iterating valid paths', () => this.rows<ValidPathRow & { path: string }>(
        'select "id", "path", "hash", "registrationTime", "deriver", "narSize", "ultimate", "sigs", "ca" from "ValidPaths" where "id" > ? order by "id" limit ?',
        [after, batch]))
      if (rows.length === 0) return
      const lo = toInt(rows[0]!.id)
      const hi = toInt(rows[rows.length - 1]!.id)
      const refRows = await this.read('iterating references', () => this.rows<{ referrer: DbInt; path: string }>(
        'select r."referrer", v."path" from "Refs" r join "ValidPaths" v on v."id" = r."reference" where r."referrer" between ? and ?', [lo, hi]))
      const refs = new Map<number, string[]>()
      for (const r of refRows) {
        const k = toInt(r.referrer)
        const l = refs.get(k)
        if (l) l.push(r.path); else refs.set(k, [r.path])
      }
      for (const row of rows) {
        const path = parseDbPath(this.storeDir, row.path, row.path)
        yield decodeValidPath(this.storeDir, path, row, refs.get(toInt(row.id)) ?? [])
      }
      after = hi
    }
  }

  // ---- writes ---------------------------------------------------------------------------

  async registerValidPaths(regs: readonly ValidPathRegistration[]): Promise<RegisteredPaths> {
    if (regs.length === 0) return NOTHING_REGISTERED
    const plans = regs.length <= PLAN_CHUNK
      ? planRegistration(this.storeDir, regs, this.now())
      : await planRegistrationInChunks(this.storeDir, regs, this.now(), PLAN_CHUNK)
    const fresh = await this.write('registering valid paths', () => this.hot.register(plans))
    // PostgreSQL plans by statistics; after a large load they are stale until autovacuum runs,
    // and the references subquery of queryPathInfo turns into a sequential scan meanwhile.
    if (plans.length >= ANALYZE_AFTER) {
      if (this.dialect === 'pg') await this.knex.raw('analyze "ValidPaths", "Refs", "DerivationOutputs"').catch(() => undefined)
      this.afterBulkWrite?.()
    }
    // A new row holds exactly the planned columns and references: decoded (on demand) as a read would.
    let byKey: Map<string, PlannedPath> | undefined
    return {
      info: printed => {
        if (!fresh.has(printed)) return undefined
        byKey ??= new Map(plans.map(p => [p.key, p]))
        const p = byKey.get(printed)!
        // Without signatures (whose column form is normalised) the row holds the given values
        // as they are: reuse them rather than parse the hash, content address and references back.
        const src = p.info
        if (src.sigs.length === 0) {
          return { path: p.path, deriver: src.deriver, narHash: src.narHash, references: [...p.refPaths], registrationTime: p.cols.registrationTime, narSize: src.narSize, ultimate: src.ultimate, sigs: [], ca: src.ca }
        }
        return decodeValidPath(this.storeDir, p.path, { id: 0, ...p.cols }, p.refs, r => this.paths.parse(r, printed))
      },
    }
  }

  async addSignatures(path: StorePath, sigs: Iterable<string>): Promise<void> {
    const printed = this.print(path)
    const add = [...sigs]
    await this.write('adding signatures', () => this.knex.transaction(async trx => {
      let sel = trx('ValidPaths').select('sigs').where('path', printed)
      if (this.dialect === 'pg') sel = sel.forUpdate()
      const [row] = await sel as Array<{ sigs: string | null }>
      if (!row) throw this.notValid(printed)
      const merged = normaliseSigs([...decodeSigs(row.sigs), ...add])
      for (const s of merged) if (s.length === 0 || /\s/.test(s)) throw new InvalidPathError(`invalid signature ${JSON.stringify(s.slice(0, 80))}`)
      await trx('ValidPaths').where('path', printed).update({ sigs: merged.length ? merged.join(' ') : null })
    }))
  }

  async invalidatePaths(paths: Iterable<StorePath>): Promise<void> {
    const printed = [...new Set([...paths].map(p => this.print(p)))].sort()
    if (printed.length === 0) return
    const d = this.dialect
    // 23503 (foreign key violation): a referrer appeared after our check; the retry reports it.
    await this.write('invalidating paths', () => this.knex.transaction(async trx => {
      const lock = d === 'pg' ? ' for update' : ''
      const rows = await this.rows<{ id: DbInt; path: string }>(`select "id", "path" from "ValidPaths" where ${inList(d, '"path"')} order by "path"${lock}`, [listParam(d, printed)], trx)
      if (rows.length === 0) return
      const ids = rows.map(r => toInt(r.id))
      const idSet = new Set(ids)
      const idParam = listParam(d, ids)
      const users = await this.rows<{ referrer: DbInt; reference: DbInt; referrerPath: string }>(
        `select r."referrer", r."reference", v."path" as "referrerPath" from "Refs" r join "ValidPaths" v on v."id" = r."referrer" where ${inList(d, 'r."reference"', 'bigint')}`, [idParam], trx)
      const outside = new Map<number, string[]>()
      for (const u of users) {
        const referrer = toInt(u.referrer)
        if (idSet.has(referrer)) continue
        const reference = toInt(u.reference)
        const l = outside.get(reference)
        if (l) l.push(u.referrerPath); else outside.set(reference, [u.referrerPath])
      }
      for (const r of rows) {
        const users = outside.get(toInt(r.id))
        if (users) throw new PathInUseError(`cannot delete path '${r.path}' because it is in use by ${showPaths(users.sort())}`)
      }
      // What the DeleteSelfRefs and (2.34) DeleteSelfRefsViaRealisations triggers do, spelled
      // out so that the same code works on PostgreSQL and on databases without the trigger.
      await trx.raw(`delete from "RealisationsRefs" where "realisationReference" in (select "id" from "Realisations" where ${inList(d, '"outputPath"', 'bigint')})`, [idParam])
      await trx.raw(`delete from "Refs" where ${inList(d, '"referrer"', 'bigint')}`, [idParam])
      await trx.raw(`delete from "ValidPaths" where ${inList(d, '"id"', 'bigint')}`, [idParam])
    }), ['23503'])
  }

  async putCastoreRoot(path: StorePath, root: Uint8Array): Promise<void> {
    const printed = this.print(path)
    await this.write('recording castore root', () => this.knex.transaction(async trx => {
      const [row] = await trx('ValidPaths').select('id').where('path', printed) as Array<{ id: DbInt }>
      if (!row) throw this.notValid(printed)
      await trx('TsnixCastoreRoots')
        .insert({ id: toInt(row.id), root: Buffer.from(root.buffer, root.byteOffset, root.byteLength) })
        .onConflict('id').merge(['root'])
    }))
  }

  // ---- realisations ---------------------------------------------------------------------

  /** The key C++ stores in `Realisations.drvPath`: `DrvOutput::strHash()`, i.e. `sha256:<base16>`. */
  private drvHashKey(id: DrvOutput): string {
    return NixHash.parsePrefixed(id.drvHash).format('base16', true)
  }

  private async realisationCore(k: Knex | Knex.Transaction, drvHash: string, outputName: string): Promise<{ id: number; path: string; signatures: string | null } | undefined> {
    const [row] = await this.rows<{ id: DbInt; path: string; signatures: string | null }>(
      'select r."id", v."path", r."signatures" from "Realisations" r join "ValidPaths" v on v."id" = r."outputPath" where r."drvPath" = ? and r."outputName" = ?',
      [drvHash, outputName], k)
    return row && { id: toInt(row.id), path: row.path, signatures: row.signatures }
  }

  async registerRealisation(r: Realisation): Promise<void> {
    const drvHash = this.drvHashKey(r.id)
    const shown = `${drvHash}!${r.id.outputName}`
    const outPath = this.print(r.outPath)
    const deps = [...r.dependentRealisations].map(([key, path]) => {
      const bang = key.lastIndexOf('!')
      if (bang < 0) throw new RealisationError(`invalid derivation output id '${key}'`)
      const dep: DrvOutput = { drvHash: key.slice(0, bang), outputName: key.slice(bang + 1) }
      return { drvHash: this.drvHashKey(dep), outputName: dep.outputName, path: this.print(path) }
    })
    // 23505 (unique violation): another daemon registered the same output meanwhile; the
    // retry then finds it and merges signatures or reports the conflict.
    await this.write('registering realisation', () => this.knex.transaction(async trx => {
      const old = await this.realisationCore(trx, drvHash, r.id.outputName)
      let id: number
      if (old) {
        if (old.path !== outPath) {
          throw new RealisationError(`Trying to register a realisation of '${shown}', but we already have another one locally.\nLocal:  ${old.path}\nRemote: ${outPath}`)
        }
        const sigs = normaliseSigs([...decodeSigs(old.signatures), ...r.signatures])
        await trx('Realisations').where('id', old.id).update({ signatures: sigs.join(' ') })
        id = old.id
      } else {
        const [out] = await trx('ValidPaths').select('id').where('path', outPath) as Array<{ id: DbInt }>
        if (!out) throw this.notValid(outPath)
        const [row] = await trx('Realisations')
          .insert({ drvPath: drvHash, outputName: r.id.outputName, outputPath: toInt(out.id), signatures: normaliseSigs(r.signatures).join(' ') })
          .returning(['id']) as Array<{ id: DbInt }>
        id = toInt(row!.id)
      }
      for (const dep of deps) {
        const depShown = `${dep.drvHash}!${dep.outputName}`
        const local = await this.realisationCore(trx, dep.drvHash, dep.outputName)
        if (!local) throw new RealisationError(`unable to register the derivation '${shown}' as it depends on the non existent '${depShown}'`)
        if (local.path !== dep.path) throw new RealisationError(`unable to register the derivation '${shown}' as it depends on a realisation of '${depShown}' that doesn't match what we have locally`)
        const [exists] = await trx('RealisationsRefs').select('referrer').where({ referrer: id, realisationReference: local.id }).limit(1)
        if (!exists) await trx('RealisationsRefs').insert({ referrer: id, realisationReference: local.id })
      }
    }), ['23505'])
  }

  async queryRealisation(id: DrvOutput): Promise<Realisation | undefined> {
    const drvHash = this.drvHashKey(id)
    return this.read('querying realisation', async () => {
      const core = await this.realisationCore(this.knex, drvHash, id.outputName)
      if (!core) return undefined
      const deps = await this.rows<{ drvPath: string; outputName: string; path: string }>(
        'select d."drvPath", d."outputName", v."path" from "RealisationsRefs" rr join "Realisations" d on d."id" = rr."realisationReference" join "ValidPaths" v on v."id" = d."outputPath" where rr."referrer" = ?',
        [core.id])
      const owner = `${drvHash}!${id.outputName}`
      return {
        id: { drvHash, outputName: id.outputName },
        outPath: parseDbPath(this.storeDir, core.path, owner),
        signatures: decodeSigs(core.signatures),
        dependentRealisations: new Map(deps.map(x => [printDrvOutput({ drvHash: x.drvPath, outputName: x.outputName }), parseDbPath(this.storeDir, x.path, owner)])),
      }
    })
  }

  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    if (this.mutex) await this.mutex.run(() => undefined)
    await this.knex.destroy()
    await this.onClose?.()
  }
}

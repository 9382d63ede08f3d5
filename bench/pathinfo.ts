/**
 * pathinfo: path metadata in SQLite, tsnix (SqlPathInfoService, prepared better-sqlite3
 * statements) against C++ Nix 2.8 on the same machine, the same kind of database and the
 * same graph.
 *
 *   register N paths       tsnix registerValidPaths (one atomic batch, chunked across ticks)
 *                          vs `nix-store --load-db` (C++ registerValidPaths, one transaction)
 *   queryPathInfo N paths  tsnix queryPathInfo per path (row + references)
 *                          vs `nix-store -q --hash` on all paths (xargs, ≤ 20k per process)
 *   closure of 10k paths   tsnix computeClosure vs `nix-store -qR`
 *   lookups at scale       µs per queryPathInfo / isValidPath / referrers / hash-part lookup
 *                          at 10k, 100k (and 1M with TSNIX_BENCH_1M=1): flat means indexed
 *   PostgreSQL             with TSNIX_BENCH_PG=1: register / query / closure of 10k paths on a
 *                          throwaway server (test/support/postgres.ts); no C++ equivalent
 *
 * The graph: path i refers to up to 5 earlier paths (seeded pseudo-random) and every tenth to
 * itself; names are not `.drv` (C++ would read derivation files on registration).
 */
import { execFileSync } from 'node:child_process'
import { mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { join } from 'node:path'
import { openPostgresPathInfoService, openSqlitePathInfoService } from '../src/pathinfo/index.js'
import type { SqlPathInfoService } from '../src/pathinfo/sql-path-info-service.js'
import { encodeNix32, NixHash, type PathInfo, sha256, StoreDir, StorePath } from '../src/store-path/index.js'
import type { BenchOptions, BenchResult, Measurement } from './types.js'

export const name = 'pathinfo'

const storeDir = new StoreDir('/nix/store')

function haveNix(): boolean {
  try { execFileSync('nix-store', ['--version'], { stdio: 'ignore' }); return true } catch { return false }
}

/** A deterministic xorshift so every run builds the same graph. */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1
  return () => { x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0; return x / 2 ** 32 }
}

function graphPaths(n: number, seed: number): StorePath[] {
  return Array.from({ length: n }, (_, i) => StorePath.fromParts(encodeNix32(sha256(`bench-${seed}-${i}`).subarray(0, 20)), `pkg-${i}`))
}

/** Infos for paths [from, to) of the graph (so a 1M-path store is built a slice at a time). */
function graphInfos(paths: readonly StorePath[], from: number, to: number, seed: number): PathInfo[] {
  const out: PathInfo[] = []
  for (let i = from; i < to; i++) {
    const r = rng(seed * 1_000_003 + i)
    const path = paths[i]!
    const refs = new Set<StorePath>()
    if (i > 0) refs.add(paths[i - 1]!)
    for (let k = 0; k < 4 && i > 1; k++) refs.add(paths[Math.floor(r() * i)]!)
    if (i % 10 === 0) refs.add(path)
    out.push({
      path,
      deriver: undefined,
      narHash: NixHash.fromDigest('sha256', sha256(path.baseName)),
      references: [...refs],
      registrationTime: 1_700_000_000,
      narSize: 1000 + i,
      ultimate: false,
      sigs: [],
      ca: undefined,
    })
  }
  return out
}

function makeGraph(n: number, seed = 1): PathInfo[] {
  return graphInfos(graphPaths(n, seed), 0, n, seed)
}

/** `nix-store --dump-db` format, read back by `--load-db` (bench/store.ts uses it too). */
export function dumpDb(infos: readonly PathInfo[]): string {
  const out: string[] = []
  for (const i of infos) {
    out.push(storeDir.print(i.path), i.narHash.toBase16(), String(i.narSize), '', String(i.references.length))
    for (const r of i.references) out.push(storeDir.print(r))
  }
  return out.join('\n') + '\n'
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.floor(s.length / 2)]!
}

async function time(reps: number, fn: () => Promise<void> | void): Promise<number> {
  const t: number[] = []
  for (let i = 0; i < reps; i++) {
    const t0 = process.hrtime.bigint()
    await fn()
    t.push(Number(process.hrtime.bigint() - t0) / 1e9)
  }
  return median(t)
}

const stateDir = (root: string): string => join(root, 'nix', 'var', 'nix')

async function freshService(root: string): Promise<SqlPathInfoService> {
  rmSync(root, { recursive: true, force: true })
  return openSqlitePathInfoService({ stateDir: stateDir(root), storeDir })
}

function nixStore(root: string, args: string[], input?: string): string {
  return execFileSync('nix-store', ['--store', root, ...args], { input: input ?? '', encoding: 'utf8', maxBuffer: 1 << 30, stdio: ['pipe', 'pipe', 'ignore'] })
}

export async function run(opts: BenchOptions): Promise<BenchResult[]> {
  const reps = opts.quick ? 1 : 3
  const cpp = haveNix()
  const why = cpp ? undefined : 'C++ Nix (nix-store) not installed'
  const results: BenchResult[] = []
  const sizes = opts.quick ? [10_000] : [10_000, 100_000]

  for (const n of sizes) {
    const infos = makeGraph(n)
    const refs = infos.reduce((a, i) => a + i.references.length, 0)
    const tsRoot = join(opts.tmpDir, `ts-${n}`)
    const cRoot = join(opts.tmpDir, `cpp-${n}`)

    // register
    let maxDelayMs = 0
    const tsReg = await time(reps, async () => {
      const svc = await freshService(tsRoot)
      const h = monitorEventLoopDelay({ resolution: 1 })
      h.enable()
      await svc.registerValidPaths(infos.map(info => ({ info })))
      h.disable()
      maxDelayMs = Math.max(maxDelayMs, h.max / 1e6)
      await svc.close()
    })
    let cReg: Measurement | undefined
    const dump = dumpDb(infos)
    if (cpp) {
      const s = await time(reps, () => {
        rmSync(cRoot, { recursive: true, force: true })
        nixStore(cRoot, ['--load-db'], dump)
      })
      cReg = { seconds: s, label: 'nix-store --load-db (2.8)', extra: { pathsPerSec: Math.round(n / s) } }
    }
    results.push({
      workload: `register ${n} paths (${refs} references) in one transaction`,
      tsnix: { seconds: tsReg, label: 'registerValidPaths', extra: { pathsPerSec: Math.round(n / tsReg), maxEventLoopDelayMs: Math.round(maxDelayMs) } },
      cpp: cReg,
      ...(why ? { note: why } : {}),
    })

    // queryPathInfo on every path
    const svc = await openSqlitePathInfoService({ stateDir: stateDir(tsRoot), storeDir })
    const order = infos.map(i => i.path)
    const tsQ = await time(reps, async () => { for (const p of order) if (!(await svc.queryPathInfo(p))) throw new Error('missing') })
    let cQ: Measurement | undefined
    if (cpp) {
      const list = join(opts.tmpDir, `paths-${n}`)
      writeFileSync(list, order.map(p => storeDir.print(p)).join('\n') + '\n')
      const s = await time(reps, () => {
        execFileSync('sh', ['-c', `xargs -n 20000 nix-store --store "$1" -q --hash < "$2" > /dev/null`, 'sh', cRoot, list], { stdio: 'ignore' })
      })
      cQ = { seconds: s, label: `nix-store -q --hash, ${Math.ceil(n / 20000)} process(es) (2.8)`, extra: { usPerPath: Math.round((s / n) * 1e6 * 10) / 10 } }
    }
    results.push({
      workload: `queryPathInfo for ${n} paths`,
      tsnix: { seconds: tsQ, label: 'queryPathInfo', extra: { usPerPath: Math.round((tsQ / n) * 1e6 * 10) / 10 } },
      cpp: cQ,
      ...(why ? { note: why } : {}),
    })
    await svc.close()
    rmSync(cRoot, { recursive: true, force: true })
    if (n !== 10_000) rmSync(tsRoot, { recursive: true, force: true })
  }

  // closure of a 10k-path graph (the 10k store above: the last path reaches every other)
  {
    const root = join(opts.tmpDir, 'ts-10000')
    const infos = makeGraph(10_000)
    const top = infos[infos.length - 1]!.path
    const svc = await openSqlitePathInfoService({ stateDir: stateDir(root), storeDir })
    let size = 0
    const ts = await time(reps * 3, async () => { size = (await svc.computeClosure([top])).length })
    await svc.close()
    let c: Measurement | undefined
    if (cpp) {
      const cRoot = join(opts.tmpDir, 'cpp-closure')
      rmSync(cRoot, { recursive: true, force: true })
      nixStore(cRoot, ['--load-db'], dumpDb(infos))
      let cSize = 0
      const s = await time(reps * 3, () => { cSize = nixStore(cRoot, ['-qR', storeDir.print(top)]).split('\n').filter(Boolean).length })
      if (cSize !== size) throw new Error(`closure sizes differ: tsnix ${size}, C++ ${cSize}`)
      c = { seconds: s, label: 'nix-store -qR (2.8)' }
    }
    results.push({ workload: `closure of a ${size}-path graph`, tsnix: { seconds: ts, label: 'computeClosure' }, cpp: c, ...(why ? { note: why } : {}) })
  }

  // lookups at scale: the same random sample of queries against growing stores
  const scales = opts.quick ? [10_000] : process.env['TSNIX_BENCH_1M'] === '1' ? [10_000, 100_000, 1_000_000] : [10_000, 100_000]
  for (const n of scales) {
    const root = join(opts.tmpDir, `scale-${n}`)
    mkdirSync(root, { recursive: true })
    const paths = graphPaths(n, 7)
    let svc = await freshService(root)
    for (let i = 0; i < n; i += 50_000) await svc.registerValidPaths(graphInfos(paths, i, Math.min(n, i + 50_000), 7).map(info => ({ info })))
    await svc.close()
    svc = await openSqlitePathInfoService({ stateDir: stateDir(root), storeDir })
    const r = rng(99)
    const sample = Array.from({ length: 20_000 }, () => paths[Math.floor(r() * n)]!)
    const per = async (fn: (p: StorePath) => Promise<unknown>): Promise<number> =>
      (await time(reps, async () => { for (const p of sample) await fn(p) })) / sample.length * 1e6
    const extra = {
      queryPathInfoUs: Math.round(await per(p => svc.queryPathInfo(p)) * 10) / 10,
      isValidPathUs: Math.round(await per(p => svc.isValidPath(p)) * 10) / 10,
      referrersUs: Math.round(await per(p => svc.queryReferrers(p)) * 10) / 10,
      hashPartUs: Math.round(await per(p => svc.queryPathFromHashPart(p.hashPart)) * 10) / 10,
    }
    await svc.close()
    rmSync(root, { recursive: true, force: true })
    results.push({
      workload: `20k random lookups in a ${n}-path store`,
      tsnix: { seconds: (extra.queryPathInfoUs * sample.length) / 1e6, label: 'queryPathInfo (extra: µs per op)', extra },
      note: 'no C++ equivalent run: µs per operation should stay flat as the store grows',
    })
  }
  if (process.env['TSNIX_BENCH_PG'] === '1') results.push(...await postgres(reps))
  return results
}

async function postgres(reps: number): Promise<BenchResult[]> {
  const { acquirePostgres, releasePostgres } = await import('../test/support/postgres.js')
  const server = await acquirePostgres()
  try {
    if (typeof server === 'string') return [{ workload: 'PostgreSQL', tsnix: { seconds: 0, label: 'skipped' }, note: server }]
    const n = 10_000
    const infos = makeGraph(n)
    const out: BenchResult[] = []
    let conn = await server.createDatabase()
    const reg = await time(reps, async () => {
      conn = await server.createDatabase()
      const svc = await openPostgresPathInfoService({ connection: conn, storeDir })
      await svc.registerValidPaths(infos.map(info => ({ info })))
      await svc.close()
    })
    out.push({ workload: `PostgreSQL: register ${n} paths in one transaction`, tsnix: { seconds: reg, label: 'registerValidPaths (pg)', extra: { pathsPerSec: Math.round(n / reg) } }, note: 'no C++ equivalent' })
    const svc = await openPostgresPathInfoService({ connection: conn, storeDir })
    const q = await time(reps, async () => { for (const i of infos) await svc.queryPathInfo(i.path) })
    out.push({ workload: `PostgreSQL: queryPathInfo for ${n} paths, one at a time`, tsnix: { seconds: q, label: 'queryPathInfo (pg)', extra: { usPerPath: Math.round((q / n) * 1e6) } }, note: 'no C++ equivalent' })
    const c = await time(reps, async () => { await svc.computeClosure([infos[n - 1]!.path]) })
    out.push({ workload: `PostgreSQL: closure of a ${n}-path graph`, tsnix: { seconds: c, label: 'computeClosure (pg)' }, note: 'no C++ equivalent' })
    await svc.close()
    return out
  } finally {
    await releasePostgres()
  }
}

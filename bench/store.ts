/**
 * store: the LocalStore facade side by side with C++ Nix 2.8 on the same machine, both on a
 * private local store (`local?root=…`), the same operations (issue 3, acceptance 5 and 6):
 *
 *   add 1000 small paths      tsnix addToStore ×1000 (16 at a time)   vs nix-store --add f1…f1000
 *   add one 1 GiB path        tsnix addToStore                        vs nix-store --add FILE
 *   export 1000 paths         tsnix exportPaths → file                vs nix-store --export … > file
 *   import 1000 paths         tsnix importPaths ← that file           vs nix-store --import < file
 *   query 100k path infos     tsnix queryPathInfo ×100k               vs nix-store -q --hash (xargs)
 *   GC of 10k dead paths      tsnix collectGarbage (deleteDead)       vs nix-store --gc
 *   lookups at scale          µs per queryPathInfo/isValidPath at 10k, 100k, 1M paths (not --quick)
 *   dedup                     bytes on disk for 20 versions of a source tree: tsnix (castore +
 *                             materialised store, hard links counted once) vs C++ with and
 *                             without nix-store --optimise
 *
 * tsnix runs in-process on an open store, as in the daemon (the C++ figure includes its process
 * start, ~30 ms); `extra['CLI s']` is the same operation through the `tsnix store` CLI,
 * including Node's start-up and module loading. Each tsnix and C++ run gets a fresh store.
 * Medians of 3 (1 with --quick, which also shrinks the workloads); the in-process add and import
 * rows after one untimed run (warm, as a daemon is).
 * TSNIX_BENCH_STORE=add,large,export,query,gc,scale,dedup selects steps.
 */
import { execFileSync, spawnSync } from 'node:child_process'
import { mkdirSync, rmSync, writeFileSync, openSync, closeSync, createReadStream, fsyncSync } from 'node:fs'
import { cp, mkdir, writeFile } from 'node:fs/promises'
import { randomFillSync } from 'node:crypto'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { nullLogger } from '../src/logger.js'
import { dumpPath } from '../src/nar/index.js'
import { loadSettings } from '../src/settings/index.js'
import { type LocalStore, openLocalStore, type OpContext } from '../src/store/index.js'
import { mapLimit } from '../src/store/concurrency.js'
import { encodeNix32, NixHash, type PathInfo, sha256, StoreDir, StorePath } from '../src/store-path/index.js'
import { diskUsage, editTree, listFiles, prepareTree, Rng } from './castore.js'
import { dumpDb } from './pathinfo.js'
import type { BenchOptions, BenchResult } from './types.js'

export const name = 'store'

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..')
const tsnixMain = join(repo, 'dist', 'src', 'cli', 'main.js')
const storeDir = new StoreDir()
const MiB = 1024 * 1024
const ALL = (1n << 64n) - 1n

const ctx: OpContext = {
  trusted: true, logger: nullLogger, clientId: 'bench',
  settings: { keepFailed: false, keepGoing: false, tryFallback: false, maxBuildJobs: 1, maxSilentTime: 0, buildCores: 1, useSubstitutes: false, overrides: new Map() },
}

function cppVersion(): string | undefined {
  const r = spawnSync('nix-store', ['--version'], { encoding: 'utf8' })
  return r.status === 0 ? r.stdout.trim() : undefined
}

/** `fsync-store-paths = false`: C++ Nix's behaviour (no fsync of store paths), for a like-for-like comparison. */
let noFsync = false

async function openAt(root: string): Promise<LocalStore> {
  const conf = `store = local?root=${root}\nrequire-sigs = false\n${noFsync ? 'fsync-store-paths = false\n' : ''}`
  const { settings, locations } = loadSettings({ env: { NIX_CONFIG: conf }, isRoot: process.getuid?.() === 0, readFile: () => undefined })
  return openLocalStore({ locations, settings })
}

function wipe(p: string): void {
  spawnSync('chmod', ['-R', 'u+w', p])
  rmSync(p, { recursive: true, force: true })
}

const now = (): number => performance.now() / 1000
function median(xs: number[]): number { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]! }

/** Median over `reps` of `fn`'s own timing (it returns seconds, so setup stays outside). */
async function med(reps: number, fn: (rep: number) => Promise<number> | number): Promise<number> {
  const xs: number[] = []
  for (let i = 0; i < reps; i++) xs.push(await fn(i))
  return median(xs)
}

/**
 * `med` after one untimed run: the in-process rows stand for a warm daemon, and the first of a
 * process's runs also pays for compiling and loading the code (the fsync-on rows, run first,
 * paid it alone).
 */
async function medWarm(reps: number, fn: (rep: number) => Promise<number> | number): Promise<number> {
  await fn(reps)
  return med(reps, fn)
}

async function timed(fn: () => Promise<unknown> | unknown): Promise<number> { const t = now(); await fn(); return now() - t }

function cliEnv(root: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {}
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('NIX_')) env[k] = v
  return { ...env, NIX_CONFIG: `store = local?root=${root}\nrequire-sigs = false\n${noFsync ? 'fsync-store-paths = false\n' : ''}` }
}

function tsnixCli(root: string, args: string[], io: { stdin?: string; stdout?: string } = {}): number {
  const inFd = io.stdin ? openSync(io.stdin, 'r') : 'ignore'
  const outFd = io.stdout ? openSync(io.stdout, 'w') : 'ignore'
  try {
    const t = now()
    const r = spawnSync(tsnixMain, ['store', ...args], { env: cliEnv(root), stdio: [inFd, outFd, 'pipe'], maxBuffer: 1 << 26 })
    if (r.status !== 0) throw new Error(`tsnix store ${args[0]} failed: ${r.stderr}`)
    return now() - t
  } finally {
    if (typeof inFd === 'number') closeSync(inFd)
    if (typeof outFd === 'number') closeSync(outFd)
  }
}

/** `nix-store --store root ARGS` with stdin/stdout files; seconds. Long argument lists go through xargs. */
function cppRun(root: string, args: string[], io: { stdin?: string; stdout?: string } = {}): number {
  const inFd = io.stdin ? openSync(io.stdin, 'r') : 'ignore'
  const outFd = io.stdout ? openSync(io.stdout, 'w') : 'ignore'
  try {
    const t = now()
    const r = spawnSync('nix-store', ['--store', root, ...args], { stdio: [inFd, outFd, 'pipe'], maxBuffer: 1 << 26 })
    if (r.status !== 0) throw new Error(`nix-store ${args[0]} failed: ${r.stderr}`)
    return now() - t
  } finally {
    if (typeof inFd === 'number') closeSync(inFd)
    if (typeof outFd === 'number') closeSync(outFd)
  }
}

function cpuExtra(c0: NodeJS.CpuUsage): Record<string, number> {
  const c = process.cpuUsage(c0)
  return { 'cpu s': Math.round((c.user + c.system) / 1e4) / 100 }
}

const r3 = (x: number): number => Math.round(x * 1000) / 1000

// ---- workloads ---------------------------------------------------------------------------------

async function smallFiles(dir: string, n: number): Promise<string[]> {
  await mkdir(dir, { recursive: true })
  const out: string[] = []
  for (let i = 0; i < n; i++) {
    const f = join(dir, `f${i}`)
    await writeFile(f, `small file number ${i}\n`.repeat(1 + (i % 7)))
    out.push(f)
  }
  return out
}

async function addSmall(o: BenchOptions, reps: number, cpp: string | undefined, n: number): Promise<BenchResult> {
  const files = await smallFiles(join(o.tmpDir, 'small'), n)
  let extra: Record<string, number> = {}
  const ts = await medWarm(reps, async rep => {
    const root = join(o.tmpDir, `add-ts-${rep}`)
    const store = await openAt(root)
    const c0 = process.cpuUsage()
    const s = await timed(() => mapLimit(files, 16, f => store.addToStore(ctx, f.slice(f.lastIndexOf('/') + 1), { method: 'nar', algo: 'sha256' }, [], dumpPath(f, { chunkSize: 64 * 1024 }), false)))
    extra = cpuExtra(c0)
    await store.close()
    wipe(root)
    return s
  })
  const cli = await med(reps, rep => { const root = join(o.tmpDir, `add-cli-${rep}`); const s = tsnixCli(root, ['add', ...files]); wipe(root); return s })
  const c = cpp === undefined ? undefined : await med(reps, rep => { const root = join(o.tmpDir, `add-cpp-${rep}`); const s = cppRun(root, ['--add', ...files]); wipe(root); return s })
  return {
    workload: `add ${n} small paths`,
    tsnix: { seconds: ts, label: 'addToStore, 16 at a time (in-process)', extra: { ...extra, 'CLI s': r3(cli), pathsPerSec: Math.round(n / ts) } },
    cpp: c === undefined ? undefined : { seconds: c, label: `nix-store --add ×${n}, one process (${cpp})`, extra: { pathsPerSec: Math.round(n / c) } },
  }
}

async function addLarge(o: BenchOptions, reps: number, cpp: string | undefined, size: number): Promise<BenchResult> {
  const dir = join(o.tmpDir, 'large')
  mkdirSync(dir, { recursive: true })
  const file = join(dir, 'big')
  const buf = Buffer.allocUnsafe(64 * MiB)
  const fd = openSync(file, 'w')
  try {
    for (let off = 0; off < size; off += buf.length) { randomFillSync(buf); writeFileSync(fd, buf.subarray(0, Math.min(buf.length, size - off))) }
    // Written back before timing: whichever side runs first would otherwise share the disk with that writeback.
    fsyncSync(fd)
  } finally { closeSync(fd) }
  let extra: Record<string, number> = {}
  const ts = await med(reps, async rep => {
    const root = join(o.tmpDir, `large-ts-${rep}`)
    const store = await openAt(root)
    const c0 = process.cpuUsage()
    const s = await timed(() => store.addToStore(ctx, 'big', { method: 'nar', algo: 'sha256' }, [], dumpPath(file), false))
    extra = cpuExtra(c0)
    await store.close()
    wipe(root)
    return s
  })
  const c = cpp === undefined ? undefined : await med(reps, rep => { const root = join(o.tmpDir, `large-cpp-${rep}`); const s = cppRun(root, ['--add', file]); wipe(root); return s })
  rmSync(dir, { recursive: true, force: true })
  const mbs = (s: number): number => Math.round(size / MiB / s)
  return {
    workload: `add one ${size / MiB} MiB path`,
    tsnix: { seconds: ts, label: 'addToStore (in-process)', extra: { ...extra, 'MiB/s': mbs(ts) } },
    cpp: c === undefined ? undefined : { seconds: c, label: `nix-store --add (${cpp})`, extra: { 'MiB/s': mbs(c) } },
  }
}

async function exportImport(o: BenchOptions, reps: number, cpp: string | undefined, n: number): Promise<BenchResult[]> {
  // The same 1000 paths in both stores: added once to each (a chain: every tenth refers to the previous one).
  const files = await smallFiles(join(o.tmpDir, 'exp-files'), n)
  const tsRoot = join(o.tmpDir, 'exp-ts')
  const store = await openAt(tsRoot)
  const paths = (await mapLimit(files, 16, f => store.addToStore(ctx, f.slice(f.lastIndexOf('/') + 1), { method: 'nar', algo: 'sha256' }, [], dumpPath(f, { chunkSize: 64 * 1024 }), false))).map(i => i.path)
  const printed = paths.map(p => storeDir.print(p))
  const tsFile = join(o.tmpDir, 'ts.export')
  let exExtra: Record<string, number> = {}
  const tsExport = await med(reps, async () => {
    const c0 = process.cpuUsage()
    const s = await timed(async () => {
      const fd = openSync(tsFile, 'w')
      try { for await (const c of store.exportPaths(paths)) writeFileSync(fd, c) } finally { closeSync(fd) }
    })
    exExtra = cpuExtra(c0)
    return s
  })
  await store.close()
  const listFile = join(o.tmpDir, 'exp-paths')
  writeFileSync(listFile, printed.join('\n') + '\n')
  const tsExportCli = await med(reps, () => tsnixCli(tsRoot, ['export', ...printed], { stdout: join(o.tmpDir, 'ts-cli.export') }))
  let cppExport: number | undefined
  const cppFile = join(o.tmpDir, 'cpp.export')
  if (cpp) {
    const cRoot = join(o.tmpDir, 'exp-cpp')
    cppRun(cRoot, ['--add', ...files], { stdout: '/dev/null' })
    cppExport = await med(reps, () => cppRun(cRoot, ['--export', ...printed], { stdout: cppFile }))
    wipe(cRoot)
  }
  let imExtra: Record<string, number> = {}
  const tsImport = await medWarm(reps, async rep => {
    const root = join(o.tmpDir, `imp-ts-${rep}`)
    const s2 = await openAt(root)
    const c0 = process.cpuUsage()
    const s = await timed(() => s2.importPaths(ctx, createReadStream(tsFile, { highWaterMark: MiB })))
    imExtra = cpuExtra(c0)
    await s2.close()
    wipe(root)
    return s
  })
  const tsImportCli = await med(reps, rep => { const root = join(o.tmpDir, `imp-cli-${rep}`); const s = tsnixCli(root, ['import'], { stdin: tsFile, stdout: '/dev/null' }); wipe(root); return s })
  const cppImport = cpp === undefined ? undefined : await med(reps, rep => { const root = join(o.tmpDir, `imp-cpp-${rep}`); const s = cppRun(root, ['--import'], { stdin: cppFile, stdout: '/dev/null' }); wipe(root); return s })
  wipe(tsRoot)
  return [{
    workload: `export ${n} paths`,
    tsnix: { seconds: tsExport, label: 'exportPaths → file (in-process)', extra: { ...exExtra, 'CLI s': r3(tsExportCli) } },
    cpp: cppExport === undefined ? undefined : { seconds: cppExport, label: `nix-store --export > file (${cpp})` },
  }, {
    workload: `import ${n} paths (from an export)`,
    tsnix: { seconds: tsImport, label: 'importPaths (in-process)', extra: { ...imExtra, 'CLI s': r3(tsImportCli) } },
    cpp: cppImport === undefined ? undefined : { seconds: cppImport, label: `nix-store --import (${cpp})` },
  }]
}

/** Path infos of a registered-only store (no files): path i refers to up to 3 earlier ones. */
function graph(n: number, seed: number, from = 0, to = n): PathInfo[] {
  const paths = (i: number): StorePath => StorePath.fromParts(encodeNix32(sha256(`store-bench-${seed}-${i}`).subarray(0, 20)), `pkg-${i}`)
  const out: PathInfo[] = []
  for (let i = from; i < to; i++) {
    const refs = new Map<string, StorePath>()
    for (const k of [1, 7, 100]) if (i >= k) { const r = paths(i - k); refs.set(r.baseName, r) }
    out.push({ path: paths(i), deriver: undefined, narHash: NixHash.of('sha256', `nar ${i}`), narSize: 1000 + i, references: [...refs.values()], registrationTime: 1_700_000_000, ultimate: false, sigs: [], ca: undefined })
  }
  return out
}

async function registerAll(store: LocalStore, n: number, seed: number): Promise<void> {
  for (let i = 0; i < n; i += 50_000) await store.internals.pathInfo.registerValidPaths(graph(n, seed, i, Math.min(n, i + 50_000)).map(info => ({ info })))
}

async function queryInfos(o: BenchOptions, reps: number, cpp: string | undefined, n: number): Promise<BenchResult> {
  const root = join(o.tmpDir, 'query-ts')
  const store = await openAt(root)
  await registerAll(store, n, 1)
  const paths = graph(n, 1).map(i => i.path)
  let extra: Record<string, number> = {}
  const ts = await med(reps, async () => {
    const c0 = process.cpuUsage()
    const s = await timed(async () => { for (const p of paths) if (!(await store.queryPathInfo(p))) throw new Error('missing') })
    extra = cpuExtra(c0)
    return s
  })
  await store.close()
  wipe(root)
  let c: number | undefined
  if (cpp) {
    const cRoot = join(o.tmpDir, 'query-cpp')
    execFileSync('nix-store', ['--store', cRoot, '--load-db'], { input: dumpDb(graph(n, 1)), maxBuffer: 1 << 30, stdio: ['pipe', 'ignore', 'pipe'] })
    const list = join(o.tmpDir, 'query-paths')
    writeFileSync(list, paths.map(p => storeDir.print(p)).join('\n') + '\n')
    c = await med(reps, () => { const t = now(); execFileSync('sh', ['-c', 'xargs -n 20000 nix-store --store "$1" -q --hash < "$2" > /dev/null', 'sh', cRoot, list]); return now() - t })
    wipe(cRoot)
  }
  return {
    workload: `query path info of ${n} paths`,
    tsnix: { seconds: ts, label: 'queryPathInfo per path (in-process)', extra: { ...extra, usPerPath: Math.round((ts / n) * 1e7) / 10 } },
    cpp: c === undefined ? undefined : { seconds: c, label: `nix-store -q --hash, ${Math.ceil(n / 20000)} process(es) (${cpp})`, extra: { usPerPath: Math.round((c / n) * 1e7) / 10 } },
  }
}

async function gcDead(o: BenchOptions, reps: number, cpp: string | undefined, n: number): Promise<BenchResult> {
  // n small dead paths (chains of 10), made once and exported; each run imports then collects.
  const files = await smallFiles(join(o.tmpDir, 'gc-files'), n)
  const srcRoot = join(o.tmpDir, 'gc-src')
  const src = await openAt(srcRoot)
  const paths = (await mapLimit(files, 16, f => src.addToStore(ctx, f.slice(f.lastIndexOf('/') + 1), { method: 'nar', algo: 'sha256' }, [], dumpPath(f, { chunkSize: 64 * 1024 }), false))).map(i => i.path)
  const exportFile = join(o.tmpDir, 'gc.export')
  const fd = openSync(exportFile, 'w')
  try { for await (const c of src.exportPaths(paths)) writeFileSync(fd, c) } finally { closeSync(fd) }
  await src.close()
  wipe(srcRoot)
  let freed = 0n
  let extra: Record<string, number> = {}
  const ts = await med(reps, async rep => {
    const root = join(o.tmpDir, `gc-ts-${rep}`)
    const store = await openAt(root)
    await store.importPaths(ctx, createReadStream(exportFile, { highWaterMark: MiB }))
    await store.releaseClient(ctx.clientId)
    const c0 = process.cpuUsage()
    const s = await timed(async () => {
      const r = await store.collectGarbage(ctx, { action: 'deleteDead', pathsToDelete: [], ignoreLiveness: false, maxFreed: ALL })
      if (r.paths.length < n) throw new Error(`only ${r.paths.length} of ${n} paths deleted`)
      freed = r.bytesFreed
    })
    extra = cpuExtra(c0)
    await store.close()
    wipe(root)
    return s
  })
  const c = cpp === undefined ? undefined : await med(reps, rep => {
    const root = join(o.tmpDir, `gc-cpp-${rep}`)
    cppRun(root, ['--import'], { stdin: exportFile, stdout: '/dev/null' })
    const s = cppRun(root, ['--gc'])
    wipe(root)
    return s
  })
  return {
    workload: `GC of ${n} dead paths`,
    tsnix: { seconds: ts, label: 'collectGarbage deleteDead (in-process; incl. the castore sweep)', extra: { ...extra, 'MiB freed': Math.round(Number(freed) / MiB * 10) / 10 } },
    cpp: c === undefined ? undefined : { seconds: c, label: `nix-store --gc (${cpp})` },
  }
}

async function scale(o: BenchOptions, sizes: readonly number[]): Promise<BenchResult[]> {
  const out: BenchResult[] = []
  for (const n of sizes) {
    const root = join(o.tmpDir, `scale-${n}`)
    let store = await openAt(root)
    const t0 = now()
    await registerAll(store, n, 3)
    const regSecs = now() - t0
    await store.close()
    store = await openAt(root)
    const r = new Rng(99)
    const picks = Array.from({ length: 20_000 }, () => r.int(n))
    const sampled = picks.map(i => graph(n, 3, i, i + 1)[0]!.path)
    const per = async (fn: (p: StorePath) => Promise<unknown>): Promise<number> => {
      const s = await timed(async () => { for (const p of sampled) await fn(p) })
      return Math.round((s / sampled.length) * 1e7) / 10
    }
    // The first pass reads the sampled pages from disk (a 1M-path database is larger than
    // SQLite's cache); the second measures the lookups themselves.
    const coldQueryPathInfoUs = await per(p => store.queryPathInfo(p))
    const extra = {
      coldQueryPathInfoUs,
      queryPathInfoUs: await per(p => store.queryPathInfo(p)),
      isValidPathUs: await per(p => store.isValidPath(p)),
      referrersUs: await per(p => store.queryReferrers(p)),
      hashPartUs: await per(p => store.queryPathFromHashPart(p.hashPart)),
      'register s': Math.round(regSecs * 10) / 10,
    }
    await store.close()
    wipe(root)
    out.push({
      workload: `20k random lookups through the store, ${n} paths registered`,
      tsnix: { seconds: (extra.queryPathInfoUs * sampled.length) / 1e6, label: 'LocalStore queries (extra: µs per op)', extra },
      note: 'µs per lookup should stay flat as the store grows (indexed); no C++ run',
    })
  }
  return out
}

/**
 * Acceptance 5: 20 versions of a source tree with small edits, added to tsnix (castore and
 * the materialised store, each inode counted once) and to C++ Nix (plain, then optimised).
 * The databases are left out on both sides.
 */
async function dedup(o: BenchOptions, cpp: string | undefined, versions: number, editBig: boolean): Promise<BenchResult> {
  const base = join(o.tmpDir, `dedup-${editBig ? 'big' : 'small'}`)
  const work = join(base, 'work')
  await mkdir(work, { recursive: true })
  await prepareTree(work, o.quick)
  const snaps: string[] = []
  const rng = new Rng(editBig ? 42 : 7)
  for (let v = 0; v < versions; v++) {
    if (v > 0) await editTree(work, rng, v, editBig)
    const s = join(base, `v${String(v).padStart(2, '0')}`, 'src')
    await cp(work, s, { recursive: true, verbatimSymlinks: true })
    snaps.push(s)
  }
  const files = await listFiles(snaps[0]!)
  const treeMiB = Math.round(files.reduce((a, f) => a + f.size, 0) / MiB * 10) / 10
  const root = join(base, 'ts')
  const store = await openAt(root)
  const secs = await timed(async () => { for (const s of snaps) await store.addToStore(ctx, 'src', { method: 'nar', algo: 'sha256' }, [], dumpPath(s), false) })
  await store.close()
  const castoreDir = join(root, 'nix', 'var', 'nix', 'castore')
  const realStore = join(root, 'nix', 'store')
  const skipTmp = (p: string): boolean => p === join(castoreDir, 'tmp')
  const tsTotal = await diskUsage([realStore, castoreDir], skipTmp)
  const tsCastore = await diskUsage([castoreDir], skipTmp)
  const tsView = await diskUsage([realStore])
  let cPlain: number | undefined, cOpt: number | undefined, cSecs: number | undefined
  if (cpp) {
    const cRoot = join(base, 'cpp')
    cSecs = await timed(() => { for (const s of snaps) cppRun(cRoot, ['--add', s], { stdout: '/dev/null' }) })
    const cStore = join(cRoot, 'nix', 'store')
    cPlain = await diskUsage([cStore])
    cppRun(cRoot, ['--optimise'])
    cOpt = await diskUsage([cStore])
    wipe(cRoot)
  }
  wipe(base)
  const m = (b: number | undefined): number | undefined => (b === undefined ? undefined : Math.round(b / MiB * 10) / 10)
  const ratio = (b: number | undefined): string => (b === undefined ? 'n/a' : `${(b / tsTotal).toFixed(2)}×`)
  return {
    workload: `dedup: ${versions} versions of a ${treeMiB} MiB / ${files.length}-file tree, small edits${editBig ? ' incl. its largest file' : ' to small files'} (bytes on disk)`,
    tsnix: { seconds: secs, label: 'LocalStore.addToStore ×N (extra: MiB on disk)', extra: { 'MiB total': m(tsTotal)!, 'MiB castore': m(tsCastore)!, 'MiB store dir': m(tsView)! } },
    cpp: cOpt === undefined ? undefined : { seconds: cSecs!, label: `nix-store --add ×N (${cpp}; extra: MiB on disk)`, extra: { 'MiB plain': m(cPlain)!, 'MiB optimised': m(cOpt)! } },
    note: `tsnix (castore + materialised store, each inode once) ${m(tsTotal)} MiB: ${ratio(cPlain)} fewer than C++ plain, ${ratio(cOpt)} fewer than C++ optimised (goal ≥ 2×); the ratio column is time`,
  }
}

// ---- entry -------------------------------------------------------------------------------------

export async function run(o: BenchOptions): Promise<BenchResult[]> {
  const cpp = cppVersion()
  const reps = o.quick ? 1 : 3
  const only = process.env['TSNIX_BENCH_STORE']?.split(',')
  const want = (s: string): boolean => !only || only.includes(s)
  const out: BenchResult[] = []
  const note = (r: BenchResult): BenchResult => (cpp ? r : { ...r, note: 'C++ Nix (nix-store) not installed' })
  // Each write workload twice: tsnix's default (a path is durable before it is valid: ~2 fsyncs
  // per path, shared by concurrent commits) and `fsync-store-paths = false`, which is what C++
  // Nix does (it never fsyncs store paths).
  const both = async (f: () => Promise<BenchResult | BenchResult[]>): Promise<void> => {
    for (const nf of [false, true]) {
      noFsync = nf
      try {
        for (const r of [await f()].flat()) out.push(note(nf ? { ...r, workload: `${r.workload} [fsync-store-paths = false]` } : r))
      } finally { noFsync = false }
    }
  }
  if (want('add')) await both(() => addSmall(o, reps, cpp, 1000))
  if (want('large')) await both(() => addLarge(o, o.quick ? 1 : reps, cpp, (o.quick ? 256 : 1024) * MiB))
  if (want('export')) await both(() => exportImport(o, reps, cpp, 1000))
  if (want('query')) out.push(note(await queryInfos(o, reps, cpp, o.quick ? 10_000 : 100_000)))
  if (want('gc')) out.push(note(await gcDead(o, o.quick ? 1 : reps, cpp, o.quick ? 2000 : 10_000)))
  if (want('scale') && !o.quick) out.push(...await scale(o, [10_000, 100_000, 1_000_000]))
  if (want('dedup')) {
    const versions = o.quick ? 5 : 20
    out.push(note(await dedup(o, cpp, versions, false)))
    out.push(note(await dedup(o, cpp, versions, true)))
  }
  return out
}

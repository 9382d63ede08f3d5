/**
 * castore benchmarks, side by side with C++ Nix (2.8, private store root):
 *
 *  1. Dedup (issue 3 acceptance): 20 versions of a source tree that differ by small edits.
 *     Bytes on disk for C++ Nix with and without `nix-store --optimise`, and for the castore
 *     alone and together with a materialised store view (hard-linked where possible), in two
 *     scenarios: edits to small files only, and edits that also touch the tree's one large
 *     file. Bytes are allocated blocks, each inode counted once.
 *  2. Throughput: ingesting a tree and a large file (vs `nix-store --add`), materialising them
 *     (vs `nix-store --restore` of their NAR), rendering their NAR from the castore (vs
 *     `nix-store --dump` from the filesystem) and ingesting their NAR (vs `nix-store --restore`).
 *
 * The source tree is a mix of packages from the repository's node_modules (TypeScript, knex,
 * mocha, zod, and better-sqlite3's sources with the 9.5 MB SQLite amalgamation), or the tree
 * named by TSNIX_BENCH_TREE.
 */
import { execFileSync, spawnSync } from 'node:child_process'
import { cp, lstat, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { createReadStream, existsSync, statSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import {
  FsBlobService, FsDirectoryService, FsObjectStore, ingestPath, materialise, removeTree,
  type ChunkedBlobServiceOptions, type Compression, type Node,
} from '../src/castore/index.js'
import { collectBytes } from '../src/nar/index.js'
import { ingestNar, renderNar } from '../src/store/nar-castore.js'
import type { BenchOptions, BenchResult, Measurement } from './types.js'

export const name = 'castore'

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..')
const MiB = 1024 * 1024

// ---- helpers ---------------------------------------------------------------------------------

/** Allocated bytes under the given roots, each inode once (hard links shared across roots). */
export async function diskUsage(roots: string[], skip: (p: string) => boolean = () => false): Promise<number> {
  const seen = new Set<string>()
  let total = 0
  const walk = async (p: string): Promise<void> => {
    if (skip(p)) return
    const st = await lstat(p)
    const key = `${st.dev}:${st.ino}`
    if (!seen.has(key)) { seen.add(key); total += st.blocks * 512 }
    if (st.isDirectory()) for (const n of await readdir(p)) await walk(join(p, n))
  }
  for (const r of roots) if (existsSync(r)) await walk(r)
  return total
}

export class Rng {
  private s: number
  constructor(seed: number) { this.s = seed | 0 || 1 }
  int(n: number): number { let x = this.s; x ^= x << 13; x ^= x >>> 17; x ^= x << 5; this.s = x; return (x >>> 0) % n }
}

export async function listFiles(root: string): Promise<Array<{ path: string; size: number }>> {
  const out: Array<{ path: string; size: number }> = []
  const walk = async (p: string): Promise<void> => {
    const st = await lstat(p)
    if (st.isDirectory()) for (const n of (await readdir(p)).sort()) await walk(join(p, n))
    else if (st.isFile()) out.push({ path: p, size: st.size })
  }
  await walk(root)
  return out
}

/** Copy the benchmark source tree into `dest` (regular files, dirs, symlinks only). */
export async function prepareTree(dest: string, quick: boolean): Promise<void> {
  const custom = process.env['TSNIX_BENCH_TREE']
  const nm = join(repo, 'node_modules')
  const parts: Array<[string, string]> = custom ? [[custom, 'tree']] : [
    [join(nm, 'typescript'), 'typescript'], [join(nm, 'knex'), 'knex'], [join(nm, 'mocha'), 'mocha'],
    ...(quick ? [] : [[join(nm, 'zod'), 'zod'] as [string, string]]),
    [join(nm, 'better-sqlite3', 'src'), 'better-sqlite3/src'], [join(nm, 'better-sqlite3', 'lib'), 'better-sqlite3/lib'],
    [join(nm, 'better-sqlite3', 'deps'), 'better-sqlite3/deps'],
  ]
  for (const [from, to] of parts) {
    if (!existsSync(from)) continue
    await cp(from, join(dest, to), { recursive: true, dereference: false, verbatimSymlinks: true, filter: async (s) => { const st = await lstat(s); return st.isFile() || st.isDirectory() || st.isSymbolicLink() } })
  }
}

/** One version step: a few small edits, optionally one in the largest file. */
export async function editTree(root: string, rng: Rng, step: number, editBig: boolean): Promise<void> {
  const files = await listFiles(root)
  const small = files.filter(f => f.size > 0 && f.size < 256 * 1024)
  const insertLine = async (path: string, text: string): Promise<void> => {
    const data = await readFile(path)
    let at = rng.int(data.length + 1)
    const nl = data.indexOf(0x0a, at)
    at = nl < 0 ? data.length : nl + 1
    await writeFile(path, Buffer.concat([data.subarray(0, at), Buffer.from(text + '\n'), data.subarray(at)]))
  }
  for (let i = 0; i < 3; i++) await insertLine(small[rng.int(small.length)]!.path, `// edit ${step}.${i}`)
  const last = small[rng.int(small.length)]!.path
  await writeFile(last, Buffer.concat([await readFile(last), Buffer.from(`\n// appended in version ${step}\n`)]))
  if (step % 2 === 0) await writeFile(join(dirname(small[rng.int(small.length)]!.path), `new-in-${step}.txt`), `added in version ${step}\n`)
  if (step % 3 === 0) await rm(small[rng.int(small.length)]!.path, { force: true })
  if (editBig) {
    const big = files.reduce((a, b) => (b.size > a.size ? b : a))
    await insertLine(big.path, `/* edited in version ${step} */`)
  }
}

function nixStore(): string | undefined {
  const r = spawnSync('nix-store', ['--version'], { encoding: 'utf8' })
  return r.status === 0 ? r.stdout.trim() : undefined
}

const now = (): number => performance.now() / 1000

async function chmodTreeWritable(p: string): Promise<void> {
  spawnSync('chmod', ['-R', 'u+w', p])
}

async function timeIt(fn: () => Promise<void> | void): Promise<number> {
  const t = now()
  await fn()
  return now() - t
}

const mib = (b: number): number => Math.round((b / MiB) * 10) / 10

interface CastoreConfig { label: string; blob: ChunkedBlobServiceOptions & { compression?: Compression } }

const CONFIGS: CastoreConfig[] = [
  { label: 'castore (FastCDC 256 KiB, raw)', blob: {} },
  { label: 'castore (whole files, raw)', blob: { chunking: false } },
  { label: 'castore (FastCDC 64 KiB, raw)', blob: { chunking: { min: 16 * 1024, avg: 64 * 1024, max: 256 * 1024 } } },
  { label: 'castore (FastCDC 256 KiB, brotli-1)', blob: { compression: 'brotli' } },
]

// ---- 1. dedup ---------------------------------------------------------------------------------

async function dedupScenario(opts: BenchOptions, editBig: boolean, versions: number, cpp: string | undefined): Promise<BenchResult[]> {
  const base = join(opts.tmpDir, editBig ? 'dedup-big' : 'dedup-small')
  const work = join(base, 'work')
  await mkdir(work, { recursive: true })
  await prepareTree(work, opts.quick)
  const snapshots: string[] = []
  // Versions are kept as plain copies so every system ingests exactly the same trees.
  const rng = new Rng(editBig ? 42 : 7)
  for (let v = 0; v < versions; v++) {
    if (v > 0) await editTree(work, rng, v, editBig)
    const snap = join(base, `v${String(v).padStart(2, '0')}`)
    await cp(work, snap, { recursive: true, verbatimSymlinks: true })
    snapshots.push(snap)
  }
  const treeFiles = await listFiles(snapshots[0]!)
  const treeBytes = treeFiles.reduce((a, f) => a + f.size, 0)
  const scenario = `${versions} versions of a ${mib(treeBytes)} MiB / ${treeFiles.length}-file tree, small edits${editBig ? ' incl. its largest file' : ' to small files only'}`

  let cppPlain: number | undefined, cppOpt: number | undefined, cppSecs: number | undefined, cppOptSecs: number | undefined
  if (cpp) {
    const root = join(base, 'nix-root')
    cppSecs = await timeIt(() => { for (const s of snapshots) execFileSync('nix-store', ['--store', root, '--add', s], { stdio: ['ignore', 'ignore', 'inherit'] }) })
    const storeDir = join(root, 'nix', 'store')
    cppPlain = await diskUsage([storeDir])
    cppOptSecs = await timeIt(() => { execFileSync('nix-store', ['--store', root, '--optimise'], { stdio: 'ignore' }) })
    cppOpt = await diskUsage([storeDir])
    await chmodTreeWritable(root)
    await rm(root, { recursive: true, force: true })
  }

  const results: BenchResult[] = []
  const cppMeasure = (bytes: number | undefined, secs: number | undefined, label: string): Measurement | undefined =>
    bytes === undefined || secs === undefined ? undefined : { seconds: secs, label, extra: { MiB: mib(bytes) } }
  for (const cfg of CONFIGS) {
    const dir = join(base, 'castore')
    const store = await FsObjectStore.open(dir, cfg.blob.compression ? { compression: cfg.blob.compression } : {})
    const blobs = await FsBlobService.open(store, cfg.blob), dirs = await FsDirectoryService.open(store)
    const roots: Node[] = []
    const secs = await timeIt(async () => { for (const s of snapshots) roots.push(await ingestPath(s, blobs, dirs)) })
    const castoreBytes = await diskUsage([dir], p => p === join(dir, 'tmp'))
    // The materialised view stock clients need: every version as a store tree, hard-linked.
    const view = join(base, 'view'), links = join(base, 'links')
    await mkdir(view)
    const viewSecs = await timeIt(async () => {
      for (const [i, r] of roots.entries()) await materialise(r, join(view, `v${i}`), blobs, dirs, { hardLinks: true, linkDir: links, fsync: false })
    })
    const withView = await diskUsage([dir, view, links], p => p === join(dir, 'tmp'))
    const ratio = (x: number | undefined, y: number): string => (x === undefined ? 'n/a' : `${(x / y).toFixed(2)}×`)
    results.push({
      workload: `dedup: ${scenario}; ${cfg.label}`,
      tsnix: { seconds: secs, label: cfg.label, extra: { MiB: mib(castoreBytes), 'MiB with view': mib(withView), 'view s': Math.round(viewSecs * 100) / 100 } },
      cpp: cppMeasure(cppOpt, cppSecs, 'nix-store --add ×N, then --optimise (MiB after optimise)'),
      note: `bytes on disk: C++ ${cppPlain === undefined ? 'n/a' : mib(cppPlain)} MiB plain, ${cppOpt === undefined ? 'n/a' : mib(cppOpt)} MiB optimised (--optimise took ${cppOptSecs?.toFixed(1) ?? 'n/a'} s); ` +
        `castore ${mib(castoreBytes)} MiB = ${ratio(cppOpt, castoreBytes)} fewer than optimised C++; castore + hard-linked view ${mib(withView)} MiB = ${ratio(cppOpt, withView)}`,
    })
    await removeTree(view); await removeTree(links); await removeTree(dir)
  }
  await chmodTreeWritable(base)
  await rm(base, { recursive: true, force: true })
  return results
}

// ---- 2. throughput ----------------------------------------------------------------------------

async function median(n: number, fn: () => Promise<number>): Promise<number> {
  const xs: number[] = []
  for (let i = 0; i < n; i++) xs.push(await fn())
  xs.sort((a, b) => a - b)
  return xs[Math.floor(xs.length / 2)]!
}

async function throughput(opts: BenchOptions, cpp: string | undefined): Promise<BenchResult[]> {
  const base = join(opts.tmpDir, 'tp')
  const tree = join(base, 'tree'), bigDir = join(base, 'big')
  await mkdir(tree, { recursive: true }); await mkdir(bigDir)
  await prepareTree(tree, opts.quick)
  const bigSize = (opts.quick ? 64 : 512) * MiB
  {
    const { randomFillSync } = await import('node:crypto')
    const buf = Buffer.allocUnsafe(bigSize)
    for (let o = 0; o < bigSize; o += 64 * MiB) randomFillSync(buf, o, Math.min(64 * MiB, bigSize - o))
    await writeFile(join(bigDir, 'file'), buf)
  }
  const reps = opts.quick ? 1 : 3
  const results: BenchResult[] = []
  const treeBytes = (await listFiles(tree)).reduce((a, f) => a + f.size, 0)
  for (const [what, src, bytes] of [['a source tree', tree, treeBytes], ['one large random file', join(bigDir, 'file'), bigSize]] as const) {
    const label = `${what} (${mib(bytes)} MiB)`
    let root: Node | undefined
    const castoreDir = join(base, 'castore')
    const ingestWith = (fsync: boolean): Promise<number> => median(reps, async () => {
      await removeTree(castoreDir)
      const store = await FsObjectStore.open(castoreDir, { fsync })
      const blobs = await FsBlobService.open(store), dirs = await FsDirectoryService.open(store)
      return timeIt(async () => { root = await ingestPath(src, blobs, dirs) })
    })
    const ingestNoSync = await ingestWith(false)
    const ingest = await ingestWith(true)
    let cppAdd: number | undefined, cppRestore: number | undefined
    const narFile = join(base, 'nar')
    if (cpp) {
      cppAdd = await median(reps, async () => {
        const r = join(base, 'nix-root')
        await chmodTreeWritable(r); await rm(r, { recursive: true, force: true })
        return timeIt(() => { execFileSync('nix-store', ['--store', r, '--add', src], { stdio: 'ignore' }) })
      })
      execFileSync('sh', ['-c', `nix-store --dump "$1" > "$2"`, 'sh', src, narFile])
      cppRestore = await median(reps, async () => {
        const out = join(base, 'restored')
        await chmodTreeWritable(out); await rm(out, { recursive: true, force: true })
        return timeIt(() => { execFileSync('sh', ['-c', `nix-store --restore "$1" < "$2"`, 'sh', out, narFile]) })
      })
    }
    const store = await FsObjectStore.open(castoreDir)
    const blobs = await FsBlobService.open(store), dirs = await FsDirectoryService.open(store)
    const render = async (o: { fsync: boolean; hardLinks: boolean }): Promise<number> => median(reps, async () => {
      const out = join(base, 'materialised')
      await removeTree(out)
      return timeIt(async () => { await materialise(root!, out, blobs, dirs, o) })
    })
    // NAR out of the castore (consumed, not hashed) vs C++ dumping the tree from disk.
    const narOut = await median(reps, () => timeIt(async () => { for await (const piece of renderNar(root!, blobs, dirs)) void piece }))
    const cppDump = cpp === undefined ? undefined : await median(reps, () => timeIt(() => { execFileSync('sh', ['-c', 'nix-store --dump "$1" > /dev/null', 'sh', src]) }))
    // NAR into a fresh castore (sha256 computed on the way) vs C++ restoring it to disk.
    if (cpp === undefined) await writeFile(narFile, await collectBytes(renderNar(root!, blobs, dirs)))
    const narSize = statSync(narFile).size
    const narInWith = (fsync: boolean): Promise<number> => median(reps, async () => {
      const d = join(base, 'castore-nar')
      await removeTree(d)
      const st = await FsObjectStore.open(d, { fsync })
      const b = await FsBlobService.open(st), ds = await FsDirectoryService.open(st)
      return timeIt(async () => { await ingestNar(createReadStream(narFile, { highWaterMark: MiB }), b, ds) })
    })
    const narInNoSync = await narInWith(false)
    const narIn = await narInWith(true)
    const matNoSync = await render({ fsync: false, hardLinks: false })
    const matSync = await render({ fsync: true, hardLinks: false })
    const matLinks = await render({ fsync: false, hardLinks: true })
    const mbs = (s: number): number => Math.round(bytes / MiB / s)
    results.push({
      workload: `ingest ${label} into the castore vs nix-store --add`,
      tsnix: { seconds: ingest, label: 'ingestPath → FsBlobService/FsDirectoryService (fsync on)', extra: { 'MiB/s': mbs(ingest), 'no fsync s': Math.round(ingestNoSync * 1000) / 1000, 'no fsync MiB/s': mbs(ingestNoSync) } },
      cpp: cppAdd === undefined ? undefined : { seconds: cppAdd, label: `nix-store --add (${cpp})`, extra: { 'MiB/s': mbs(cppAdd) } },
      ...(cpp ? {} : { note: 'C++ Nix not installed' }),
    })
    const nmbs = (s: number): number => Math.round(narSize / MiB / s)
    results.push({
      workload: `render the NAR of ${label} from the castore vs nix-store --dump from disk`,
      tsnix: { seconds: narOut, label: 'renderNar (consumed, not hashed)', extra: { 'MiB/s': nmbs(narOut) } },
      cpp: cppDump === undefined ? undefined : { seconds: cppDump, label: `nix-store --dump > /dev/null (${cpp})`, extra: { 'MiB/s': nmbs(cppDump) } },
    })
    results.push({
      workload: `ingest the NAR of ${label} into the castore vs nix-store --restore`,
      tsnix: { seconds: narIn, label: 'ingestNar from a file stream (+ sha256, fsync on)', extra: { 'MiB/s': nmbs(narIn), 'no fsync s': Math.round(narInNoSync * 1000) / 1000, 'no fsync MiB/s': nmbs(narInNoSync) } },
      cpp: cppRestore === undefined ? undefined : { seconds: cppRestore, label: `nix-store --restore (${cpp}, no hash, no fsync)`, extra: { 'MiB/s': nmbs(cppRestore) } },
    })
    results.push({
      workload: `materialise ${label} from the castore vs nix-store --restore of its NAR`,
      tsnix: { seconds: matNoSync, label: 'materialise (copy, no fsync)', extra: { 'MiB/s': mbs(matNoSync), 'with fsync s': Math.round(matSync * 1000) / 1000, 'hard links s': Math.round(matLinks * 1000) / 1000 } },
      cpp: cppRestore === undefined ? undefined : { seconds: cppRestore, label: `nix-store --restore (${cpp}, no fsync)`, extra: { 'MiB/s': mbs(cppRestore) } },
    })
  }
  await removeTree(base)
  return results
}

export async function run(opts: BenchOptions): Promise<BenchResult[]> {
  const cpp = nixStore()
  const versions = opts.quick ? 5 : 20
  const only = process.env['TSNIX_BENCH_CASTORE']?.split(',')
  const out: BenchResult[] = []
  if (!only || only.includes('dedup')) {
    out.push(...await dedupScenario(opts, false, versions, cpp))
    out.push(...await dedupScenario(opts, true, versions, cpp))
  }
  if (!only || only.includes('throughput')) out.push(...await throughput(opts, cpp))
  return out
}

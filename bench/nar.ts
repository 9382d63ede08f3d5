/**
 * NAR throughput, tsnix vs C++ Nix on the same trees (generated in the bench tmp dir, hot in
 * the page cache; use TSNIX_BENCH_TMP=/dev/shm to keep the disk out of the restore figures):
 *
 *   - a 1 GiB mixed tree (4 × 192 MiB files + ~21k small files in 100 directories, some
 *     executables and symlinks) and a small-files tree (30k files, ~104 MiB);
 *   - hash:      `tsnix hash path --type sha256 --base32` vs `nix-hash --type sha256 --base32`
 *                (plus tsnix's in-process `hashPath` — no process start-up, warm JIT, the
 *                daemon's case — as extra figures);
 *   - dump|hash: `tsnix nar dump P | nix-hash --flat --type sha256 /dev/stdin` vs the same with
 *                `nix-store --dump P` (coreutils' sha256sum would hide both producers: it has
 *                no SHA-NI and runs at ~220 MB/s here);
 *   - dump:      `… nar dump P > /dev/null` vs `nix-store --dump P > /dev/null`;
 *   - restore:   `tsnix nar restore OUT < nar` vs `nix-store --restore OUT < nar` (plus the
 *                in-process `restorePath`).
 *
 * Each figure is the median of 3 runs (2 with --quick, which also divides the sizes by 8),
 * after a warm-up run, tsnix and C++ runs interleaved so that both see the same load. Per
 * side: wall seconds (the ratio: C++ / tsnix, above 1 means tsnix is faster) and the CPU
 * seconds of all its processes and threads (`cpu ratio`: C++ CPU / tsnix CPU). tsnix may use a
 * second thread for big files' I/O (src/nar/fs-helper.ts), so its CPU can exceed its wall time.
 * When the native addon is built, a dump walks directories on the thread pool (a directory's
 * entries framed as NAR there, small files' contents included: src/nar/fs-walk.ts; the JS
 * thread hands the bytes on), `nar dump` sends big files' contents with sendfile
 * (src/nar/fs-output.ts), and a restore makes one native call per small file. Into a pipe,
 * `nar dump`'s walk writes small files to it itself (direct fills, src/cli/nar.ts; TSNIX_NAR_DIRECT=0
 * turns that off). TSNIX_NAR_WALK=0 turns the walk off (then one native call per small file),
 * TSNIX_NAR_NATIVE=0 all native calls.
 *
 * tsnix runs as its bin (dist/src/cli/main.js, executable), whose launcher lines defer the CA bundle
 * named by NODE_EXTRA_CA_CERTS that Node would otherwise parse at every start-up (~45 ms of CPU
 * on the dev machine, where it is set); the note says when it is set.
 *
 * On a shared, loaded machine wall times mostly measure the scheduler. TSNIX_BENCH_RT=1 moves
 * this process (and so every command it starts, both sides, and tsnix's threads) to real-time
 * priority (`chrt -a -f -p 1`, root only), so each side runs as on an idle machine. Keep such
 * runs short: they hold both cores while they last.
 */
import { execFileSync, spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { chmodSync, createReadStream, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { hashPath, restorePath } from '../src/nar/index.js'
import type { BenchOptions, BenchResult, Measurement } from './types.js'

export const name = 'nar'

const here = dirname(fileURLToPath(import.meta.url))
const tsnixMain = join(here, '..', 'src', 'cli', 'main.js')
const MiB = 1024 * 1024

function which(cmd: string): string | undefined {
  const r = spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' })
  return r.status === 0 ? r.stdout.trim() : undefined
}

export interface TreeShape { bigFiles: number; bigSize: number; smallDirs: number; smallPerDir: number; smallMax: number }

/** Write a tree of the given shape under `root`; returns the bytes of file contents. */
export function makeTree(root: string, opts: TreeShape): number {
  const block = randomBytes(MiB)
  let total = 0
  mkdirSync(root)
  for (let i = 0; i < opts.bigFiles; i++) {
    const data = Buffer.allocUnsafe(opts.bigSize)
    for (let o = 0; o < opts.bigSize; o += MiB) {
      block.copy(data, o, 0, Math.min(MiB, opts.bigSize - o))
      data.writeUInt32LE(i * 100_000 + o / MiB, o)
    }
    writeFileSync(join(root, `big-${i}.bin`), data)
    total += opts.bigSize
  }
  let seed = 1
  const rnd = (n: number): number => { seed = (seed * 1103515245 + 12345) >>> 0; return seed % n }
  for (let d = 0; d < opts.smallDirs; d++) {
    const dir = join(root, `dir-${String(d).padStart(3, '0')}`)
    mkdirSync(dir)
    for (let f = 0; f < opts.smallPerDir; f++) {
      const size = rnd(opts.smallMax)
      const off = rnd(MiB - size)
      const p = join(dir, `file-${f}`)
      writeFileSync(p, block.subarray(off, off + size))
      if (f % 10 === 0) chmodSync(p, 0o755)
      if (f % 50 === 0) symlinkSync(`file-${f}`, join(dir, `link-${f}`))
      total += size
    }
  }
  return total
}

interface Timing { wall: number; cpu: number }

/** Run a shell command; wall seconds and the CPU seconds (user + sys) of all its processes. */
function sh(cmd: string): Timing {
  const t = performance.now()
  // `times` prints the shell's, then its children's, user and system time.
  const out = execFileSync('bash', ['-c', `${cmd}\ntimes`], { stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' })
  const wall = (performance.now() - t) / 1000
  const last = out.trim().split('\n').pop() ?? ''
  const secs = [...last.matchAll(/(\d+)m([\d.]+)s/g)].map(m => Number(m[1]) * 60 + Number(m[2]))
  return { wall, cpu: secs.reduce((a, b) => a + b, 0) }
}

function inProcess(fn: () => Promise<unknown>): () => Promise<Timing> {
  return async () => {
    const c0 = process.cpuUsage()
    const t = performance.now()
    await fn()
    const c = process.cpuUsage(c0)
    return { wall: (performance.now() - t) / 1000, cpu: (c.user + c.system) / 1e6 }
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.floor(s.length / 2)]!
}

type Run = () => Timing | Promise<Timing>

/**
 * Median wall and CPU seconds of each command over `reps` runs after a warm-up, the commands
 * interleaved (a, b, a, b, …) so that a change in load hits both.
 */
async function measure(reps: number, fns: Run[], before?: () => void): Promise<Timing[]> {
  const runs: Timing[][] = fns.map(() => [])
  for (let i = 0; i <= reps; i++) {
    for (const [j, fn] of fns.entries()) {
      before?.()
      const t = await fn()
      if (i > 0) runs[j]!.push(t)
    }
  }
  return runs.map(r => ({ wall: median(r.map(x => x.wall)), cpu: median(r.map(x => x.cpu)) }))
}

const q = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`
const r3 = (n: number): number => Number(n.toFixed(3))

function m(label: string, t: Timing, bytes: number, extra: Record<string, number> = {}): Measurement {
  return { label, seconds: t.wall, extra: { 'MiB/s': Math.round(bytes / MiB / t.wall), 'cpu s': r3(t.cpu), ...extra } }
}

function result(workload: string, ours: Measurement, theirs: Measurement | undefined, ourCpu: number, theirCpu: number | undefined, note: string): BenchResult {
  if (theirCpu !== undefined) ours.extra = { ...ours.extra, 'cpu ratio': Number((theirCpu / ourCpu).toFixed(2)) }
  return { workload, tsnix: ours, cpp: theirs, note }
}

export async function run(opts: BenchOptions): Promise<BenchResult[]> {
  const rt = process.env['TSNIX_BENCH_RT'] === '1' && process.getuid?.() === 0 && which('chrt') !== undefined
  if (rt) execFileSync('chrt', ['-a', '-f', '-p', '1', String(process.pid)])
  try {
    return await runAll(opts, rt)
  } finally {
    if (rt) execFileSync('chrt', ['-a', '-o', '-p', '0', String(process.pid)])
  }
}

async function runAll(opts: BenchOptions, rt: boolean): Promise<BenchResult[]> {
  const div = opts.quick ? 8 : 1
  const reps = opts.quick ? 2 : 3
  const nixStore = which('nix-store')
  const nixHash = which('nix-hash')
  const cppLabel = nixStore ? execFileSync(nixStore, ['--version'], { encoding: 'utf8' }).trim() : 'C++ Nix not installed'
  const tsnix = q(tsnixMain)
  const results: BenchResult[] = []
  const mode = (rt ? 'real-time priority (idle-machine figures)' : 'normal priority') +
    (process.env['NODE_EXTRA_CA_CERTS'] ? '; NODE_EXTRA_CA_CERTS is set (the tsnix launcher defers it, see src/cli/main.ts)' : '')

  const trees = [
    { what: `${1024 / div} MiB mixed tree (4 big files + ${Math.round(21_000 / div)} small)`, dir: join(opts.tmpDir, 'mixed'),
      shape: { bigFiles: 4, bigSize: (192 * MiB) / div, smallDirs: 100, smallPerDir: Math.round(210 / div), smallMax: 24 * 1024 } },
    { what: `small-files tree (${Math.round(30_000 / div)} files)`, dir: join(opts.tmpDir, 'small'),
      shape: { bigFiles: 0, bigSize: 0, smallDirs: 100, smallPerDir: Math.round(300 / div), smallMax: 8 * 1024 } },
  ]
  for (const t of trees) {
    const bytes = makeTree(t.dir, t.shape)
    const nar = join(opts.tmpDir, 'tree.nar')
    const out = join(opts.tmpDir, 'restored')
    const note = `${Math.round(bytes / MiB)} MiB of file data; ${mode}`

    const [hashIn] = await measure(reps, [inProcess(() => hashPath(t.dir))])
    const inExtra = { 'in-process s': r3(hashIn!.wall), 'in-process cpu s': r3(hashIn!.cpu) }
    if (nixHash === undefined || nixStore === undefined) {
      const [cli] = await measure(reps, [() => sh(`${tsnix} hash path --type sha256 --base32 ${q(t.dir)} > /dev/null`)])
      results.push(result(`NAR sha256 of a ${t.what}: tsnix hash path`, m('tsnix hash path', cli!, bytes, inExtra), undefined, cli!.cpu, undefined,
        `${note}; C++ Nix not installed: nothing to compare`))
      rmSync(t.dir, { recursive: true, force: true })
      continue
    }
    const [ourHash, cppHash] = await measure(reps, [
      () => sh(`${tsnix} hash path --type sha256 --base32 ${q(t.dir)} > /dev/null`),
      () => sh(`${q(nixHash)} --type sha256 --base32 ${q(t.dir)} > /dev/null`),
    ])
    results.push(result(`NAR sha256 of a ${t.what}: tsnix hash path vs nix-hash`,
      m('tsnix hash path', ourHash!, bytes, inExtra), m(`nix-hash (${cppLabel})`, cppHash!, bytes), ourHash!.cpu, cppHash!.cpu, note))

    const consumer = `${q(nixHash)} --flat --type sha256 /dev/stdin > /dev/null`
    const [ourPipe, cppPipe] = await measure(reps, [
      () => sh(`${tsnix} nar dump ${q(t.dir)} | ${consumer}`),
      () => sh(`${q(nixStore)} --dump ${q(t.dir)} | ${consumer}`),
    ])
    results.push(result(`NAR dump of a ${t.what} through a pipe into nix-hash --flat`,
      m('tsnix nar dump | nix-hash', ourPipe!, bytes), m(`nix-store --dump | nix-hash (${cppLabel})`, cppPipe!, bytes), ourPipe!.cpu, cppPipe!.cpu, note))

    const [ourDump, cppDump] = await measure(reps, [
      () => sh(`${tsnix} nar dump ${q(t.dir)} > /dev/null`),
      () => sh(`${q(nixStore)} --dump ${q(t.dir)} > /dev/null`),
    ])
    results.push(result(`NAR dump of a ${t.what} to /dev/null`,
      m('tsnix nar dump', ourDump!, bytes), m(`nix-store --dump (${cppLabel})`, cppDump!, bytes), ourDump!.cpu, cppDump!.cpu, note))

    sh(`${q(nixStore)} --dump ${q(t.dir)} > ${q(nar)}`)
    const clean = (): void => rmSync(out, { recursive: true, force: true })
    const [ourRestore, cppRestore, restoreIn] = await measure(reps, [
      () => sh(`${tsnix} nar restore ${q(out)} < ${q(nar)}`),
      () => sh(`${q(nixStore)} --restore ${q(out)} < ${q(nar)}`),
      inProcess(() => restorePath(out, createReadStream(nar, { highWaterMark: MiB }))),
    ], clean)
    clean()
    results.push(result(`NAR restore of a ${t.what}`,
      m('tsnix nar restore', ourRestore!, bytes, { 'in-process s': r3(restoreIn!.wall), 'in-process cpu s': r3(restoreIn!.cpu) }),
      m(`nix-store --restore (${cppLabel})`, cppRestore!, bytes), ourRestore!.cpu, cppRestore!.cpu, note))
    rmSync(nar, { force: true })
    rmSync(t.dir, { recursive: true, force: true })
  }
  return results
}

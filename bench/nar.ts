/**
 * NAR throughput, tsnix vs C++ Nix on the same trees (generated in the bench tmp dir, hot in
 * the page cache):
 *
 *   - a 1 GiB mixed tree (4 × 192 MiB files + ~21k small files in 100 directories, some
 *     executables and symlinks) and a small-files tree (~30k files, ~120 MiB);
 *   - hash:    `tsnix hash path --type sha256 --base32` vs `nix-hash --type sha256 --base32`
 *              (plus tsnix in-process `hashPath`, without process start-up, as an extra figure);
 *   - dump|hash: `tsnix nar dump P | nix-hash --flat --type sha256 /dev/stdin` vs the same with
 *              `nix-store --dump P` (both through a pipe to the same consumer; `sha256sum` is
 *              not used because coreutils' SHA-256 runs at ~220 MB/s here, without SHA-NI, and
 *              would hide both producers);
 *   - dump:    `… nar dump P > /dev/null` vs `nix-store --dump P > /dev/null`;
 *   - restore: `tsnix nar restore OUT < nar` vs `nix-store --restore OUT < nar`.
 *
 * `--quick` divides the sizes by 8. Each figure is the median of 3 runs (2 with --quick) after
 * a warm-up run; besides wall seconds (the ratio), `cpu s` gives the CPU seconds of all
 * processes involved, steadier than wall time when other work shares the machine. Set
 * TSNIX_BENCH_TMP=/dev/shm to keep the disk out of the restore figures.
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

export function makeTree(root: string, opts: { bigFiles: number; bigSize: number; smallDirs: number; smallPerDir: number; smallMax: number }): number {
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

/** Median wall and CPU seconds over `reps` runs after a warm-up. */
async function measure(reps: number, fn: () => Timing | Promise<Timing>, before?: () => void): Promise<Timing> {
  before?.()
  await fn() // warm-up
  const runs: Timing[] = []
  for (let i = 0; i < reps; i++) {
    before?.()
    runs.push(await fn())
  }
  return { wall: median(runs.map(r => r.wall)), cpu: median(runs.map(r => r.cpu)) }
}

const q = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`

function m(label: string, t: Timing, bytes: number, extra: Record<string, number> = {}): Measurement {
  return { label, seconds: t.wall, extra: { 'MiB/s': Math.round(bytes / MiB / t.wall), 'cpu s': Number(t.cpu.toFixed(3)), ...extra } }
}

export async function run(opts: BenchOptions): Promise<BenchResult[]> {
  const div = opts.quick ? 8 : 1
  const reps = opts.quick ? 2 : 3
  const nixStore = which('nix-store')
  const nixHash = which('nix-hash')
  const cppLabel = nixStore ? execFileSync(nixStore, ['--version'], { encoding: 'utf8' }).trim() : 'C++ Nix not installed'
  const tsnix = `${q(process.execPath)} ${q(tsnixMain)}`
  const results: BenchResult[] = []

  const trees = [
    { what: `${1024 / div} MiB mixed tree (4 big files + many small)`, dir: join(opts.tmpDir, 'mixed'),
      shape: { bigFiles: 4, bigSize: (192 * MiB) / div, smallDirs: 100, smallPerDir: Math.round(210 / div), smallMax: 24 * 1024 } },
    { what: `small-files tree (${Math.round(30_000 / div)} files)`, dir: join(opts.tmpDir, 'small'),
      shape: { bigFiles: 0, bigSize: 0, smallDirs: 100, smallPerDir: Math.round(300 / div), smallMax: 8 * 1024 } },
  ]
  for (const t of trees) {
    const bytes = makeTree(t.dir, t.shape)
    const nar = join(opts.tmpDir, 'tree.nar')
    const out = join(opts.tmpDir, 'restored')
    const note = `${Math.round(bytes / MiB)} MiB of file data`

    // Hash: in-process figure as an extra; CLI against nix-hash for the ratio.
    const hashIn = await measure(reps, inProcess(() => hashPath(t.dir)))
    const cliHash = await measure(reps, () => sh(`${tsnix} hash path --type sha256 --base32 ${q(t.dir)} > /dev/null`))
    const cppHash = nixHash ? await measure(reps, () => sh(`${q(nixHash)} --type sha256 --base32 ${q(t.dir)} > /dev/null`)) : undefined
    results.push({
      workload: `NAR sha256 of a ${t.what}: tsnix hash path vs nix-hash`,
      tsnix: m('tsnix hash path', cliHash, bytes, { 'in-process s': Number(hashIn.wall.toFixed(3)), 'in-process cpu s': Number(hashIn.cpu.toFixed(3)) }),
      cpp: cppHash !== undefined ? m(`nix-hash (${cppLabel})`, cppHash, bytes) : undefined,
      note,
    })

    if (!nixStore || !nixHash) {
      results.push({ workload: `NAR dump/restore of a ${t.what}`, tsnix: m('tsnix', { wall: 0, cpu: 0 }, 0), note: 'C++ Nix not installed: nothing to compare' })
      continue
    }
    const consumer = `${q(nixHash)} --flat --type sha256 /dev/stdin > /dev/null`
    const ourPipe = await measure(reps, () => sh(`${tsnix} nar dump ${q(t.dir)} | ${consumer}`))
    const cppPipe = await measure(reps, () => sh(`${q(nixStore)} --dump ${q(t.dir)} | ${consumer}`))
    results.push({
      workload: `NAR dump of a ${t.what} through a pipe into nix-hash --flat`,
      tsnix: m('tsnix nar dump | nix-hash', ourPipe, bytes), cpp: m(`nix-store --dump | nix-hash (${cppLabel})`, cppPipe, bytes), note,
    })

    const ourDump = await measure(reps, () => sh(`${tsnix} nar dump ${q(t.dir)} > /dev/null`))
    const cppDump = await measure(reps, () => sh(`${q(nixStore)} --dump ${q(t.dir)} > /dev/null`))
    results.push({
      workload: `NAR dump of a ${t.what} to /dev/null`,
      tsnix: m('tsnix nar dump', ourDump, bytes), cpp: m(`nix-store --dump (${cppLabel})`, cppDump, bytes), note,
    })

    sh(`${q(nixStore)} --dump ${q(t.dir)} > ${q(nar)}`)
    const clean = (): void => rmSync(out, { recursive: true, force: true })
    const ourRestore = await measure(reps, () => sh(`${tsnix} nar restore ${q(out)} < ${q(nar)}`), clean)
    const restoreIn = await measure(reps, inProcess(() => restorePath(out, createReadStream(nar, { highWaterMark: MiB }))), clean)
    const cppRestore = await measure(reps, () => sh(`${q(nixStore)} --restore ${q(out)} < ${q(nar)}`), clean)
    clean()
    results.push({
      workload: `NAR restore of a ${t.what}`,
      tsnix: m('tsnix nar restore', ourRestore, bytes, { 'in-process s': Number(restoreIn.wall.toFixed(3)), 'in-process cpu s': Number(restoreIn.cpu.toFixed(3)) }),
      cpp: m(`nix-store --restore (${cppLabel})`, cppRestore, bytes), note,
    })
    rmSync(nar, { force: true })
    rmSync(t.dir, { recursive: true, force: true })
  }
  return results
}

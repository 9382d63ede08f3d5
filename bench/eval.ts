/**
 * Evaluator benchmarks: the fixed set in ../shared/bench/eval (README there lists expected
 * outputs and C++ 2.34.8 figures), run as whole processes — `tsnix instantiate --eval --strict
 * FILE` beside C++ Nix 2.34.8 (`reference-nix run 'nix-instantiate --eval --strict …'`) when the
 * reference chroot is set up. Each run is timed with GNU time (wall, peak RSS) and, where the
 * native addon is built, its CPU time (user + sys, every thread) from getrusage(RUSAGE_CHILDREN)
 * around it, at µs rather than GNU time's 10 ms. The two sides take turns run by run, so that
 * the machine's drift (±10% between minutes on the shared 2-core VMs) falls on both alike;
 * medians are reported. The ratio uses CPU seconds: C++ CPU / tsnix CPU, above 1.0 means tsnix
 * is faster.
 *
 *   npm run bench -- eval            (all, 5 runs each)
 *   npm run bench -- --quick eval    (a subset, 1 run each)
 */
import { spawnSync } from 'node:child_process'
import { copyFileSync, existsSync, mkdirSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { nativeAddon } from '../src/os/native.js'
import type { BenchOptions, BenchResult, Measurement } from './types.js'

export const name = 'eval'

const here = fileURLToPath(new URL('.', import.meta.url))
const repo = resolve(here, '..', '..')
const benchDir = process.env['TSNIX_SHARED'] ? join(process.env['TSNIX_SHARED'], 'bench', 'eval') : resolve(repo, '..', 'shared', 'bench', 'eval')
const referenceNix = resolve(benchDir, '..', '..', 'tools', 'reference-nix')
const cli = join(repo, 'dist', 'src', 'cli', 'main.js')

interface Workload { file?: string; expr?: string; expected: string; quick: boolean }
const WORKLOADS: Record<string, Workload> = {
  'start-up (-E 1)': { expr: '1', expected: '1', quick: true },
  'fib25': { file: 'fib25.nix', expected: '75025', quick: true },
  'fib30': { file: 'fib30.nix', expected: '832040', quick: true },
  'foldl-genlist-1e6': { file: 'foldl-genlist-1e6.nix', expected: '499999500000', quick: true },
  'sort-1e5': { file: 'sort-1e5.nix', expected: '{ first = 0; inputHead = 13; last = 99999; length = 100000; middle = 50000; }', quick: false },
  'listToAttrs-1e5': { file: 'listToAttrs-1e5.nix', expected: '4999950000', quick: false },
  'concatStringsSep-1e5': { file: 'concatStringsSep-1e5.nix', expected: '588889', quick: false },
  'deepseq-tree': { file: 'deepseq-tree.nix', expected: '"ok"', quick: true },
  'fix-1e4': { file: 'fix-1e4.nix', expected: '123617', quick: false },
  'fix-chain-1e4': { file: 'fix-chain-1e4.nix', expected: '9999', quick: false },
  'fix-chain-2e4': { file: 'fix-chain-2e4.nix', expected: '19999', quick: false },
  'rec-1e4': { file: 'rec-1e4.nix', expected: '123617', quick: false },
}

interface Run { wall: number; cpu: number; rssMiB: number; stdout: string }

const childrenCpu = nativeAddon()?.childrenCpu

/** Run `argv` under GNU time; returns wall/CPU seconds and peak RSS. */
function timed(argv: string[], env: NodeJS.ProcessEnv): Run {
  const before = childrenCpu?.()
  const r = spawnSync('/usr/bin/time', ['-f', '%e %U %S %M', ...argv], { env, encoding: 'utf8', maxBuffer: 1 << 26 })
  const after = childrenCpu?.()
  const last = r.stderr.trim().split('\n').pop() ?? ''
  const [e, u, s, m] = last.split(' ').map(Number)
  if (r.status !== 0 || e === undefined || Number.isNaN(e)) throw new Error(`${argv.join(' ')} failed: ${r.stderr.slice(-500)}`)
  const cpu = before !== undefined && after !== undefined ? (after[0] - before[0] + after[1] - before[1]) / 1e6 : u! + s!
  return { wall: e, cpu, rssMiB: Math.round(m! / 1024), stdout: r.stdout.trim() }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.floor(s.length / 2)]!
}

interface Side { label: string; run: () => Run }

/** Each side once to warm the file cache, then `runs` rounds in which the sides take turns. */
function measure(runs: number, sides: Side[], expected: string): Measurement[] {
  for (const side of sides) side.run()
  const rs: Run[][] = sides.map(() => [])
  for (let i = 0; i < runs; i++) sides.forEach((side, k) => rs[k]!.push(side.run()))
  return sides.map((side, k) => {
    const got = rs[k]!
    const bad = got.find(r => r.stdout !== expected)
    if (bad) throw new Error(`${side.label}: unexpected output ${JSON.stringify(bad.stdout.slice(0, 200))}, expected ${expected}`)
    const cpuS = median(got.map(r => r.cpu))
    return {
      label: side.label,
      seconds: cpuS,
      extra: { wallS: median(got.map(r => r.wall)), cpuS: Number(cpuS.toFixed(4)), peakRssMiB: median(got.map(r => r.rssMiB)) },
    }
  })
}

function referenceRoot(): string | undefined {
  if (!existsSync(referenceNix)) return undefined
  const root = process.env['REFERENCE_NIX_ROOT'] ?? '/var/tmp/reference-nix'
  return existsSync(join(root, 'usr', 'bin', 'nix-instantiate')) ? root : undefined
}

export async function run(opts: BenchOptions): Promise<BenchResult[]> {
  const out: BenchResult[] = []
  const runs = opts.quick ? 1 : 5
  const ref = referenceRoot()
  if (ref) mkdirSync(join(ref, 'data', 'tsnix-bench'), { recursive: true })
  const env = { ...process.env, NIX_REMOTE: 'dummy://' }
  for (const [workload, w] of Object.entries(WORKLOADS)) {
    if (opts.quick && !w.quick) continue
    const args = w.expr !== undefined ? ['-E', w.expr] : [join(benchDir, w.file!)]
    const sides: Side[] = [{ label: 'tsnix instantiate', run: () => timed([cli, 'instantiate', '--eval', '--strict', ...args], env) }]
    let note: string | undefined
    if (ref) {
      const target = w.expr !== undefined ? `-E '${w.expr}'` : `/data/tsnix-bench/${w.file!}`
      if (w.file) copyFileSync(join(benchDir, w.file), join(ref, 'data', 'tsnix-bench', w.file))
      const cmd = `NIX_REMOTE=dummy:// nix-instantiate --eval --strict ${target}`
      sides.push({ label: 'C++ Nix 2.34.8', run: () => timed([referenceNix, 'run', cmd], env) })
    } else {
      note = 'reference C++ Nix 2.34.8 not set up (shared/tools/reference-nix setup); see shared/bench/eval/README.md for its figures'
    }
    if (workload.startsWith('start-up') && !existsSync(join(repo, 'dist', 'src', 'cli', 'eval-bundle.cjs'))) {
      note = `${note === undefined ? '' : `${note}; `}no eval bundle (esbuild not installed): tsnix loads its ES modules (see src/cli/eval-bundle.ts)`
    }
    const [tsnix, cpp] = measure(runs, sides, w.expected)
    out.push(note === undefined ? { workload, tsnix: tsnix!, cpp } : { workload, tsnix: tsnix!, cpp, note })
  }
  return out
}

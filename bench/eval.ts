/**
 * Evaluator benchmarks: the fixed set in ../shared/bench/eval (README there lists expected
 * outputs and C++ 2.34.8 figures), run as whole processes — `tsnix instantiate --eval --strict
 * FILE` beside C++ Nix 2.34.8 (`reference-nix run 'nix-instantiate --eval --strict …'`) when the
 * reference chroot is set up. Each run is timed with GNU time (wall, user+sys CPU, peak RSS);
 * medians are reported. The ratio uses CPU seconds (the machines are shared; wall time is
 * noisy): C++ CPU / tsnix CPU, above 1.0 means tsnix is faster.
 *
 *   npm run bench -- eval            (all, 3 runs each)
 *   npm run bench -- --quick eval    (a subset, 1 run each)
 */
import { spawnSync } from 'node:child_process'
import { copyFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
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

/** Run `argv` under GNU time; returns wall/CPU seconds and peak RSS. */
function timed(argv: string[], env: NodeJS.ProcessEnv): Run {
  const r = spawnSync('/usr/bin/time', ['-f', '%e %U %S %M', ...argv], { env, encoding: 'utf8', maxBuffer: 1 << 26 })
  const last = r.stderr.trim().split('\n').pop() ?? ''
  const [e, u, s, m] = last.split(' ').map(Number)
  if (r.status !== 0 || e === undefined || Number.isNaN(e)) throw new Error(`${argv.join(' ')} failed: ${r.stderr.slice(-500)}`)
  return { wall: e, cpu: u! + s!, rssMiB: Math.round(m! / 1024), stdout: r.stdout.trim() }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.floor(s.length / 2)]!
}

function measure(label: string, runs: number, run: () => Run, expected: string): Measurement {
  const rs: Run[] = []
  run() // warm-up (file cache)
  for (let i = 0; i < runs; i++) rs.push(run())
  const bad = rs.find(r => r.stdout !== expected)
  if (bad) throw new Error(`${label}: unexpected output ${JSON.stringify(bad.stdout.slice(0, 200))}, expected ${expected}`)
  return {
    label,
    seconds: median(rs.map(r => r.cpu)),
    extra: { wallS: median(rs.map(r => r.wall)), cpuS: median(rs.map(r => r.cpu)), peakRssMiB: median(rs.map(r => r.rssMiB)) },
  }
}

function referenceRoot(): string | undefined {
  if (!existsSync(referenceNix)) return undefined
  const root = process.env['REFERENCE_NIX_ROOT'] ?? '/var/tmp/reference-nix'
  return existsSync(join(root, 'usr', 'bin', 'nix-instantiate')) ? root : undefined
}

export async function run(opts: BenchOptions): Promise<BenchResult[]> {
  const out: BenchResult[] = []
  const runs = opts.quick ? 1 : 3
  const ref = referenceRoot()
  if (ref) mkdirSync(join(ref, 'data', 'tsnix-bench'), { recursive: true })
  const env = { ...process.env, NIX_REMOTE: 'dummy://' }
  for (const [workload, w] of Object.entries(WORKLOADS)) {
    if (opts.quick && !w.quick) continue
    const args = w.expr !== undefined ? ['-E', w.expr] : [join(benchDir, w.file!)]
    const tsnix = measure('tsnix instantiate', runs, () => timed([cli, 'instantiate', '--eval', '--strict', ...args], env), w.expected)
    let cpp: Measurement | undefined
    let note: string | undefined
    if (ref) {
      let target = w.expr !== undefined ? `-E '${w.expr}'` : `/data/tsnix-bench/${w.file!}`
      if (w.file) copyFileSync(join(benchDir, w.file), join(ref, 'data', 'tsnix-bench', w.file))
      const cmd = `NIX_REMOTE=dummy:// nix-instantiate --eval --strict ${target}`
      cpp = measure('C++ Nix 2.34.8', runs, () => timed([referenceNix, 'run', cmd], env), w.expected)
      target = ''
    } else {
      note = 'reference C++ Nix 2.34.8 not set up (shared/tools/reference-nix setup); see shared/bench/eval/README.md for its figures'
    }
    if (workload.startsWith('start-up') && !existsSync(join(repo, 'dist', 'src', 'cli', 'eval-bundle.cjs'))) {
      note = `${note === undefined ? '' : `${note}; `}no eval bundle (esbuild not installed): tsnix loads its ES modules (see src/cli/eval-bundle.ts)`
    }
    out.push(note === undefined ? { workload, tsnix, cpp } : { workload, tsnix, cpp, note })
  }
  void readFileSync
  return out
}

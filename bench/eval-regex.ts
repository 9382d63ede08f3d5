/**
 * `builtins.match` / `builtins.split` throughput (src/eval/regex) against C++ Nix 2.34 (the
 * reference chroot; skipped without it). C++ time is the evaluation with the regex calls minus
 * the same evaluation building the same inputs without them (median of 3 each), so start-up
 * and input construction cancel out. tsnix time is the regex calls alone on prebuilt inputs.
 *
 * Workloads: a `lib.splitString "\n"`-style split of a large text (JS fast path), a path
 * `match` over many strings (fast path), a split with `|` (libstdc++ executor port), and a
 * `match` whose group is not set on every iteration (executor).
 */
import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { join, resolve, dirname } from 'node:path'
import { fileURLToPath } from 'node:url'
import { compilePosixEre } from '../src/eval/regex/index.js'
import type { BenchOptions, BenchResult } from './types.js'

export const name = 'eval-regex'

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..')
const script = join(process.env['TSNIX_SHARED'] ?? join(repo, '..', 'shared'), 'tools', 'reference-nix')
const chroot = process.env['REFERENCE_NIX_ROOT'] ?? '/var/tmp/reference-nix'
const haveCpp = existsSync(script) && existsSync(join(chroot, 'usr', 'bin', 'nix')) && process.getuid?.() === 0

function median(xs: number[]): number {
  const s = xs.slice().sort((a, b) => a - b)
  return s[s.length >> 1]!
}

function cppSeconds(expr: string): number {
  const times: number[] = []
  for (let i = 0; i < 3; i++) {
    const t = process.hrtime.bigint()
    execFileSync(script, ['run', `nix-instantiate --eval --strict -E '${expr}'`], { stdio: ['ignore', 'ignore', 'inherit'] })
    times.push(Number(process.hrtime.bigint() - t) / 1e9)
  }
  return median(times)
}

function tsSeconds(f: () => unknown): number {
  f() // warm-up: compiles the pattern and lets V8 optimise
  const times: number[] = []
  for (let i = 0; i < 3; i++) {
    const t = process.hrtime.bigint()
    f()
    times.push(Number(process.hrtime.bigint() - t) / 1e9)
  }
  return median(times)
}

interface Workload {
  workload: string
  /** Nix: the inputs, bound to `xs` (a list) or `text` (a string). */
  setup: string
  /** Nix: the measured expression and the baseline, both small results. */
  withRegex: string
  baseline: string
  inputs: () => string[]
  run: (inputs: string[]) => unknown
}

export async function run(opts: BenchOptions): Promise<BenchResult[]> {
  const n = opts.quick ? 5000 : 40000
  const line = (i: number): string => `line number ${i} of the text, with some words`
  const path = (i: number): string => `dir${i % 97}/sub/file-${i}.nix`
  const words = (i: number): string => `Nix rocks! That's why I use it, number ${i}.`
  const abc = (i: number): string => 'abcab'.repeat(4 + (i % 5)) + (i % 2 === 0 ? 'd' : 'e')
  const workloads: Workload[] = [
    {
      workload: `split "\\n" over ${n} lines (fast path)`,
      setup: `text = builtins.concatStringsSep "\\n" (builtins.genList (i: "line number \${toString i} of the text, with some words") ${n});`,
      withRegex: 'builtins.length (builtins.split "\\n" text)',
      baseline: 'builtins.stringLength text',
      inputs: () => [Array.from({ length: n }, (_, i) => line(i)).join('\n')],
      run: ([t]) => compilePosixEre('\n').split(t!).length,
    },
    {
      workload: `match "([^/]*)/(.*)" on ${n} paths (fast path)`,
      setup: `xs = builtins.genList (i: "dir\${toString (i - (i / 97) * 97)}/sub/file-\${toString i}.nix") ${n};`,
      withRegex: 'builtins.length (builtins.filter (x: x != null) (map (builtins.match "([^/]*)/(.*)") xs))',
      baseline: 'builtins.length (builtins.filter (x: x != null) (map (x: x) xs))',
      inputs: () => Array.from({ length: n }, (_, i) => path(i)),
      run: (xs) => { const re = compilePosixEre('([^/]*)/(.*)'); return xs.filter((x) => re.matchWhole(x) !== null).length },
    },
    {
      workload: `split "[[:space:]]+|([',.!?])" over ${n / 10} sentences (executor)`,
      setup: `text = builtins.concatStringsSep " " (builtins.genList (i: "Nix rocks! That\\x27s why I use it, number \${toString i}.") ${n / 10});`,
      withRegex: 'builtins.length (builtins.split "[[:space:]]+|([\\x27,.!?])" text)',
      baseline: 'builtins.stringLength text',
      inputs: () => [Array.from({ length: n / 10 }, (_, i) => words(i)).join(' ')],
      run: ([t]) => compilePosixEre("[[:space:]]+|([',.!?])").split(t!).length,
    },
    {
      workload: `match "((a)|b|c)*d" on ${n / 4} strings of 20-40 bytes (executor)`,
      setup: `xs = builtins.genList (i: builtins.concatStringsSep "" (builtins.genList (_: "abcab") (4 + i - (i / 5) * 5)) + (if i - (i / 2) * 2 == 0 then "d" else "e")) ${n / 4};`,
      withRegex: 'builtins.length (builtins.filter (x: x != null) (map (builtins.match "((a)|b|c)*d") xs))',
      baseline: 'builtins.length (builtins.filter (x: x != null) (map (x: x) xs))',
      inputs: () => Array.from({ length: n / 4 }, (_, i) => abc(i)),
      run: (xs) => { const re = compilePosixEre('((a)|b|c)*d'); return xs.filter((x) => re.matchWhole(x) !== null).length },
    },
  ]
  const out: BenchResult[] = []
  for (const w of workloads) {
    const inputs = w.inputs()
    const ts = tsSeconds(() => w.run(inputs))
    let cpp: BenchResult['cpp']
    if (haveCpp) {
      // Single quotes delimit the shell argument; the Nix text uses \x27 for "'", restored here.
      const expr = (body: string): string => `let ${w.setup} in ${body}`.replaceAll('\\x27', `'"'"'`)
      const seconds = Math.max(cppSeconds(expr(w.withRegex)) - cppSeconds(expr(w.baseline)), 1e-4)
      cpp = { seconds, label: 'nix-instantiate 2.34.8 (minus baseline)' }
    }
    out.push({
      workload: w.workload,
      tsnix: { seconds: ts, label: 'tsnix eval/regex' },
      cpp,
      ...(haveCpp ? {} : { note: 'C++ Nix 2.34 reference chroot not available (needs root)' }),
    })
  }
  return out
}

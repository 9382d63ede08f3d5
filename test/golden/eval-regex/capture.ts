/**
 * Captures the regex goldens from C++ Nix (the reference chroot, tools/reference-nix):
 *
 *   npx tsc -p . && node dist/test/golden/eval-regex/capture.js
 *
 * writes test/golden/eval-regex/cpp-regex.json. Needs root and the chroot. The cases are the
 * hand-picked ones plus `generateCases(SEED, COUNT)`; for each pattern C++ Nix either rejects it
 * (the error message is recorded) or gives `builtins.match` and `builtins.split` over each
 * subject. Also records the (regex, string) pairs of the lang suite's eval-okay-regex-match2.nix
 * as C++ Nix evaluates them (its indented strings are parsed by Nix, not by us).
 *
 * Strings travel through JSON as binary strings: bytes ≥ 0x80 and '<' are rewritten by Nix
 * itself (`replaceStrings`) to `<hh>` because C++ Nix refuses to print invalid UTF-8 as JSON.
 */
import { execFileSync } from 'node:child_process'
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fixturesRoot, repoRoot, sharedRoot } from '../../support/paths.js'
import { generateCases, handPicked, type RegexCase } from './generate.js'

export const SEED = 20260801
export const COUNT = 330

const script = join(sharedRoot, 'tools', 'reference-nix')
const root = execFileSync(script, ['root'], { encoding: 'utf8' }).trim()
const work = join(root, 'data', 'tsnix-regex')

/** A Nix double-quoted string literal for a binary string (bytes ≥ 0x80 written raw). */
export function nixString(s: string): string {
  let out = '"'
  for (const ch of s) {
    if (ch === '\\' || ch === '"' || ch === '$') out += '\\' + ch
    else if (ch === '\n') out += '\\n'
    else if (ch === '\t') out += '\\t'
    else if (ch === '\r') out += '\\r'
    else out += ch
  }
  return out + '"'
}

const prelude = (() => {
  const from = ['<']
  const to = ['<3c>']
  for (let b = 0x80; b < 0x100; b++) { from.push(String.fromCharCode(b)); to.push(`<${b.toString(16)}>`) }
  return `let
  enc = builtins.replaceStrings [ ${from.map(nixString).join(' ')} ] [ ${to.map(nixString).join(' ')} ];
  encL = l: if l == null then null else map (x: if x == null then null else enc x) l;
  encS = map (x: if builtins.isList x then encL x else enc x);
  t = p: s: [ (encL (builtins.match p s)) (encS (builtins.split p s)) ];
in
`
})()

function decode(v: unknown): unknown {
  if (typeof v === 'string') return v.replace(/<([0-9a-f]{2})>/g, (_, h: string) => String.fromCharCode(parseInt(h, 16)))
  if (Array.isArray(v)) return v.map(decode)
  return v
}

/** Evaluate a file in the chroot: stdout, or the error text of a failed evaluation. */
function evaluate(name: string, text: string, timeout = 600): { ok: true; out: string } | { ok: false; err: string; timedOut: boolean } {
  writeFileSync(join(work, name), Buffer.from(text, 'latin1'))
  try {
    const out = execFileSync(script, ['run', `timeout -s KILL ${timeout} nix-instantiate --eval --strict --json tsnix-regex/${name}`], { encoding: 'latin1', maxBuffer: 1 << 28, stdio: ['ignore', 'pipe', 'pipe'] })
    return { ok: true, out }
  } catch (e) {
    const x = e as { stderr?: string; status?: number }
    return { ok: false, err: String(x.stderr ?? e), timedOut: x.status === 137 }
  }
}

type Results = Array<[Array<string | null> | null, Array<string | Array<string | null>>]>

/**
 * `match`/`split` results for (pattern, subject) pairs, in chunks under a time limit: libstdc++
 * backtracks exponentially on some nested quantifiers, and such patterns are set aside.
 */
function results(pairs: Array<[string, string]>, slow: Set<string>): Map<number, Results[number]> {
  const out = new Map<number, Results[number]>()
  const run = (idx: number[]): void => {
    if (idx.length === 0) return
    const r = evaluate('results.nix', prelude + '[\n' + idx.map((i) => `(t ${nixString(pairs[i]![0])} ${nixString(pairs[i]![1])})\n`).join('') + ']\n', 5)
    if (r.ok) {
      const res = decode(JSON.parse(r.out)) as Results
      idx.forEach((i, k) => out.set(i, res[k]!))
    } else if (!r.timedOut) throw new Error(r.err)
    else if (idx.length === 1) {
      slow.add(pairs[idx[0]!]![0])
      process.stdout.write(`too slow in C++: ${JSON.stringify(pairs[idx[0]!])}\n`)
    } else {
      const half = idx.length >> 1
      run(idx.slice(0, half))
      run(idx.slice(half))
    }
  }
  for (let i = 0; i < pairs.length; i += 100) run(Array.from({ length: Math.min(100, pairs.length - i) }, (_, k) => i + k))
  return out
}

export interface CapturedCase {
  pattern: string
  /** C++ Nix's message when it rejects the pattern. */
  error?: string
  results?: Array<{ subject: string; match: Array<string | null> | null; split: Array<string | Array<string | null>> }>
}

function capture(): void {
  rmSync(work, { recursive: true, force: true })
  mkdirSync(work, { recursive: true })
  const version = execFileSync(script, ['run', 'nix --version'], { encoding: 'utf8' }).trim()

  const all: RegexCase[] = [...handPicked, ...generateCases(SEED, COUNT)]
  const byPattern = new Map<string, string[]>()
  for (const c of all) byPattern.set(c.pattern, [...new Set([...(byPattern.get(c.pattern) ?? []), ...c.subjects])])
  const patterns = [...byPattern.keys()]

  // Find the patterns C++ rejects: evaluate all, drop the one that fails, repeat.
  const errors = new Map<string, string>()
  let pending = patterns.slice()
  for (;;) {
    const r = evaluate('valid.nix', '[\n' + pending.map((p) => `(builtins.match ${nixString(p)} "")\n`).join('') + ']\n')
    if (r.ok) break
    const idx = /while evaluating list element at index (\d+)/.exec(r.err)
    const msg = /\n {7}error: ([^]*)$/.exec(r.err)
    if (!idx || !msg) throw new Error(`unexpected failure:\n${r.err}`)
    const p = pending[Number(idx[1])]!
    errors.set(p, msg[1]!.trimEnd().replace(/\n {7}/g, '\n'))
    pending = pending.filter((q) => q !== p)
    process.stdout.write(`rejected: ${JSON.stringify(p)}\n`)
  }

  const pairs: Array<[string, string]> = pending.flatMap((p) => byPattern.get(p)!.map((s) => [p, s] as [string, string]))
  const slow = new Set<string>()
  const res = results(pairs, slow)
  const out: CapturedCase[] = patterns.filter((p) => !slow.has(p)).map((pattern) => {
    const error = errors.get(pattern)
    return error !== undefined ? { pattern, error } : { pattern, results: [] }
  })
  const index = new Map(out.map((c) => [c.pattern, c]))
  pairs.forEach(([p, s], i) => {
    if (slow.has(p)) return
    const [match, split] = res.get(i)!
    index.get(p)!.results!.push({ subject: s, match, split })
  })

  // The lang suite's instrumented nixpkgs cases: let C++ Nix parse its indented strings.
  const match2 = readFileSync(join(fixturesRoot, 'nixos-nix-2.34.8', 'tests', 'functional', 'lang', 'eval-okay-regex-match2.nix'), 'latin1')
  const instrumented = match2.replace('builtins.match re str', '{ inherit re str; }')
  if (instrumented === match2) throw new Error('eval-okay-regex-match2.nix changed shape')
  const m2 = evaluate('match2.nix', instrumented)
  if (!m2.ok) throw new Error(m2.err)

  const golden = {
    capturedWith: version,
    command: 'node dist/test/golden/eval-regex/capture.js',
    seed: SEED,
    generated: COUNT,
    /** Patterns left out because C++ Nix took over 10 s on one of their subjects. */
    tooSlowInCpp: [...slow],
    cases: out,
    langMatch2Pairs: JSON.parse(m2.out) as Array<{ re: string; str: string }>,
  }
  writeFileSync(join(repoRoot, 'test', 'golden', 'eval-regex', 'cpp-regex.json'), JSON.stringify(golden, null, 1) + '\n')
  const nPairs = out.reduce((n, c) => n + (c.results?.length ?? 0), 0)
  process.stdout.write(`${version}: ${patterns.length} patterns (${errors.size} rejected), ${nPairs} pattern/subject pairs\n`)
}

capture()

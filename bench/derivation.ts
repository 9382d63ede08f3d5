/**
 * Derivations: ATerm parse/print, `.drv` paths and hash modulo, and `derivation show`.
 *
 * The workload is a private store of generated derivations (test/golden/derivation/generate.ts,
 * 2000 of them, or 300 with --quick) written by C++ Nix 2.8's nix-instantiate; without Nix 2.8
 * the module reports nothing.
 *
 * - in-process: parse + print every `.drv`; and the evaluator's part of `derivationStrict`
 *   (hash modulo over the inputs, output paths, `.drv` path) for every derivation. No C++
 *   equivalent runs in isolation (nix-instantiate also evaluates), so these are tsnix only.
 * - `tsnix derivation show -r` vs `nix show-derivation -r` (2.8) on the whole closure: both
 *   start a process, read every `.drv`, parse it and print JSON (2.8's older JSON shape).
 */
import { execFileSync, spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { type Derivation, derivationPath, DrvHashCache, finalizeDerivation, nameFromDrvPath, parseDerivation, printDerivation } from '../src/derivation/index.js'
import { StorePath } from '../src/store-path/index.js'
import { generateCases } from '../test/golden/derivation/generate.js'
import type { BenchOptions, BenchResult, Measurement } from './types.js'

export const name = 'derivation'

const here = resolve(fileURLToPath(import.meta.url), '..')

function which(cmd: string): string | undefined {
  for (const d of (process.env['PATH'] ?? '').split(':')) if (d && existsSync(join(d, cmd))) return join(d, cmd)
  return undefined
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.floor(s.length / 2)]!
}

function time(reps: number, fn: () => void): number {
  const ts: number[] = []
  for (let i = 0; i < reps; i++) {
    const t0 = process.hrtime.bigint()
    fn()
    ts.push(Number(process.hrtime.bigint() - t0) / 1e9)
  }
  return median(ts)
}

export async function run(opts: BenchOptions): Promise<BenchResult[]> {
  const inst = which('nix-instantiate')
  const nix = which('nix')
  if (!inst || !nix) return []
  const count = opts.quick ? 300 : 2000
  const root = join(opts.tmpDir, 'root')
  mkdirSync(join(opts.tmpDir, 'conf'), { recursive: true })
  writeFileSync(join(opts.tmpDir, 'expr.nix'), generateCases({ seed: 7, count, experimental: true }).nix)
  const env = { ...process.env, NIX_CONF_DIR: join(opts.tmpDir, 'conf'), NIX_REMOTE: '', HOME: opts.tmpDir }
  const xp = ['--extra-experimental-features', 'ca-derivations impure-derivations nix-command']
  const top = execFileSync(inst, ['--store', root, ...xp, join(opts.tmpDir, 'expr.nix')], { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })
    .trim().split('\n').map(l => l.replace(/!.*$/, ''))
  const storePath = join(root, 'nix', 'store')
  const files = readdirSync(storePath).filter(f => f.endsWith('.drv')).map(f => [StorePath.fromBaseName(f), readFileSync(join(storePath, f))] as const)
  const bytes = files.reduce((a, [, b]) => a + b.length, 0)
  const mb = bytes / 1e6
  const results: BenchResult[] = []
  const reps = opts.quick ? 3 : 7

  let parsed: Derivation[] = []
  const tParse = time(reps, () => { parsed = files.map(([p, b]) => parseDerivation(b, { name: nameFromDrvPath(p) })) })
  const tPrint = time(reps, () => { for (const d of parsed) printDerivation(d) })
  results.push({
    workload: `parse ${files.length} .drv files (${mb.toFixed(1)} MB)`,
    tsnix: { seconds: tParse, label: 'tsnix in-process', extra: { 'MB/s': Math.round(mb / tParse), 'us/drv': Math.round(tParse / files.length * 1e6) } },
    note: 'no C++ equivalent in isolation',
  }, {
    workload: `print ${files.length} derivations as ATerm`,
    tsnix: { seconds: tPrint, label: 'tsnix in-process', extra: { 'MB/s': Math.round(mb / tPrint), 'us/drv': Math.round(tPrint / files.length * 1e6) } },
    note: 'no C++ equivalent in isolation',
  })

  // derivationStrict's store-path work, in dependency order (inputs first)
  const byName = new Map(files.map(([p], i) => [p.baseName, parsed[i]!]))
  const order: Array<[StorePath, Derivation]> = []
  const seen = new Set<string>()
  const visit = (p: StorePath): void => {
    if (seen.has(p.baseName)) return
    seen.add(p.baseName)
    const d = byName.get(p.baseName)!
    for (const i of d.inputDrvs) visit(i.path)
    order.push([p, d])
  }
  for (const [p] of files) visit(p)
  const tStrict = time(reps, () => {
    const cache = new DrvHashCache()
    for (const [, d] of order) {
      const done = finalizeDerivation(d, cache.lookup)
      cache.record(derivationPath(done), done)
    }
  })
  results.push({
    workload: `derivationStrict path work for ${order.length} derivations (hash modulo, output paths, .drv path)`,
    tsnix: { seconds: tStrict, label: 'tsnix in-process', extra: { 'us/drv': Math.round(tStrict / order.length * 1e6) } },
    note: 'C++ does this inside nix-instantiate, together with evaluation',
  })

  const cli = join(here, '..', 'src', 'cli', 'main.js')
  const show = (cmd: string, args: string[]): Measurement['seconds'] => time(reps, () => {
    const r = spawnSync(cmd, args, { env, stdio: ['ignore', 'ignore', 'ignore'] })
    if (r.status !== 0) throw new Error(`${cmd} ${args.slice(0, 3).join(' ')} failed`)
  })
  const drvArgs = top.slice(0, 50)
  const tTs = show(cli, ['derivation', 'show', '-r', '--store', root, ...drvArgs])
  const tCpp = show(nix, ['--store', root, ...xp, 'show-derivation', '-r', ...drvArgs])
  const version = execFileSync(nix, ['--version'], { encoding: 'utf8' }).trim()
  results.push({
    workload: `derivation show -r of 50 derivations and their closure (${files.length} .drv in store)`,
    tsnix: { seconds: tTs, label: 'tsnix derivation show -r' },
    cpp: { seconds: tCpp, label: `${version} show-derivation -r` },
    note: 'process start included; C++ 2.8 prints its older JSON shape',
  })
  return results
}

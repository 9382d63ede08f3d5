/**
 * `builtins.fromTOML` throughput (src/eval/toml) against C++ Nix 2.34 (the reference chroot;
 * skipped without it). C++ time is `builtins.fromTOML (builtins.readFile f)` forced, minus
 * `builtins.readFile f` alone (median of 3 each); tsnix time is `fromToml` on the same text.
 *
 * Workloads: a Cargo.lock-shaped document (arrays of tables, long strings), and a config-shaped
 * one mixing every value type (numbers, dates, inline tables, nested arrays, dotted keys).
 */
import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, writeFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { fromToml } from '../src/eval/toml/index.js'
import type { BenchOptions, BenchResult } from './types.js'

export const name = 'eval-toml'

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..')
const script = join(process.env['TSNIX_SHARED'] ?? join(repo, '..', 'shared'), 'tools', 'reference-nix')
const chroot = process.env['REFERENCE_NIX_ROOT'] ?? '/var/tmp/reference-nix'
const haveCpp = existsSync(script) && existsSync(join(chroot, 'usr', 'bin', 'nix')) && process.getuid?.() === 0

const median = (xs: number[]): number => xs.slice().sort((a, b) => a - b)[xs.length >> 1]!

function time(f: () => void, runs = 3): number {
  const t: number[] = []
  for (let i = 0; i < runs; i++) { const s = process.hrtime.bigint(); f(); t.push(Number(process.hrtime.bigint() - s) / 1e9) }
  return median(t)
}

function cargoLock(n: number): string {
  return Array.from({ length: n }, (_, i) => `[[package]]\nname = "crate-${i}"\nversion = "1.${i}.0"\nsource = "registry+https://github.com/rust-lang/crates.io-index"\nchecksum = "d6531d44de723825aa81398a6415283229725a00fa30713812ab9323faa82fc4"\ndependencies = [\n "libc 0.2.${i % 100}",\n "memchr 2.0.1",\n]\n`).join('\n')
}

function config(n: number): string {
  return Array.from({ length: n }, (_, i) => `[server-${i}]\nhost = "10.0.${i % 256}.1"\nports = [ 8000, 8001, ${8002 + i} ]\nratio = ${i}.5e-3\nenabled = ${i % 2 === 0}\nlimits = { cpu = ${i % 8}, mem = "4G", nested = { a = [1, [2, 3]] } }\nmeta.owner = 'team ${i}'\nmeta.tags = ["a", "b"]\nnote = """\nmulti\nline ${i}"""\n`).join('\n')
}

export async function run(opts: BenchOptions): Promise<BenchResult[]> {
  const n = opts.quick ? 2000 : 20000
  const docs: Array<[string, string]> = [[`Cargo.lock with ${n} packages`, cargoLock(n)], [`config with ${n / 4} tables of mixed values`, config(n / 4)]]
  const out: BenchResult[] = []
  for (const [workload, doc] of docs) {
    fromToml(doc) // warm-up
    const ts = time(() => fromToml(doc))
    let cpp: BenchResult['cpp']
    if (haveCpp) {
      const dir = join(chroot, 'data', 'tsnix-bench-toml')
      mkdirSync(dir, { recursive: true })
      writeFileSync(join(dir, 'doc.toml'), doc)
      const nix = (expr: string): number => time(() => execFileSync(script, ['run', `nix-instantiate --eval --strict -E '${expr}' >/dev/null`]))
      const seconds = Math.max(nix('builtins.seq (builtins.fromTOML (builtins.readFile /data/tsnix-bench-toml/doc.toml)) 0') -
        nix('builtins.stringLength (builtins.readFile /data/tsnix-bench-toml/doc.toml)'), 1e-4)
      cpp = { seconds, label: 'nix-instantiate 2.34.8 (minus readFile)' }
    }
    out.push({
      workload: `${workload} (${(doc.length / 1e6).toFixed(1)} MB)`,
      tsnix: { seconds: ts, label: 'tsnix eval/toml', extra: { 'MB/s': Math.round(doc.length / 1e6 / ts) } },
      cpp,
      ...(haveCpp ? {} : { note: 'C++ Nix 2.34 reference chroot not available (needs root)' }),
    })
  }
  return out
}

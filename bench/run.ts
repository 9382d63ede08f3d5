/**
 * `npm run bench [-- --quick] [-- NAME...]`: runs every benchmark module in bench/ (or the
 * named ones) and prints, per workload, tsnix vs C++ Nix seconds and the ratio
 * (C++ seconds / tsnix seconds; > 1 means tsnix is faster). Results are also written as JSON
 * to bench/results/latest.json in the repository.
 */
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { BenchModule, BenchResult } from './types.js'

const here = dirname(fileURLToPath(import.meta.url))
const repo = resolve(here, '..', '..')
const args = process.argv.slice(2)
const quick = args.includes('--quick')
const names = args.filter(a => !a.startsWith('--'))

const files = readdirSync(here).filter(f => f.endsWith('.js') && !['run.js', 'types.js'].includes(f) && !f.startsWith('_')).sort()
const all: Array<{ module: string } & BenchResult> = []
for (const f of files) {
  const mod = (await import(join(here, f))) as Partial<BenchModule>
  if (typeof mod.run !== 'function' || typeof mod.name !== 'string') continue
  if (names.length > 0 && !names.includes(mod.name)) continue
  const tmp = mkdtempSync(join(process.env['TSNIX_BENCH_TMP'] ?? tmpdir(), `tsnix-bench-${mod.name}-`))
  console.log(`\n## ${mod.name}`)
  try {
    for (const r of await mod.run({ quick, tmpDir: tmp })) {
      all.push({ module: mod.name, ...r })
      const ratio = r.cpp ? (r.cpp.seconds / r.tsnix.seconds).toFixed(2) + '×' : 'n/a'
      const cpp = r.cpp ? `${r.cpp.seconds.toFixed(3)} s (${r.cpp.label})` : '—'
      console.log(`${r.workload}\n  tsnix ${r.tsnix.seconds.toFixed(3)} s | C++ ${cpp} | ratio ${ratio}${r.note ? ` | ${r.note}` : ''}`)
      for (const m of [r.tsnix, r.cpp]) if (m?.extra) console.log(`  ${m.label}: ${Object.entries(m.extra).map(([k, v]) => `${k}=${v}`).join(' ')}`)
    }
  } catch (e) {
    console.log(`  FAILED: ${(e as Error).stack ?? e}`)
  } finally {
    rmSync(tmp, { recursive: true, force: true })
  }
}
mkdirSync(join(repo, 'bench', 'results'), { recursive: true })
writeFileSync(join(repo, 'bench', 'results', 'latest.json'), JSON.stringify({ date: new Date().toISOString(), quick, results: all }, null, 2) + '\n')

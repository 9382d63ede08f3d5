/**
 * The test entry point (`npm test`): runs every compiled spec under dist/ with mocha and ends
 * with the one line CI reads, `N passed, N failed`.
 *
 *   node dist/test/run.js [--only unit|golden] [--grep RE] [--jobs N] [FILE_SUBSTRING...]
 *
 * Unit specs sit beside the code (`src/**\/*.test.ts`); cross-implementation specs live in
 * `test/golden/**`. Specs that need a missing tool call `skipBecause()` (test/support/env.ts),
 * which prints the reason — or fails the spec when TSNIX_REQUIRE_ALL=1 (set by .ci/run).
 *
 * With `--jobs N` (default TSNIX_TEST_JOBS, else 2 for a whole run) the spec files are split
 * into N shards run as separate processes: much of the suite waits on C++ Nix processes, so
 * shards overlap well even on two cores. Files are balanced by their durations in the last
 * run (dist/.test-timings.json). Each shard's output is printed when it ends.
 *
 * A sharded run also checks that the host's store (test/support/paths.ts) gains no entries:
 * tests use private stores, and a C++ Nix that escapes one (as 2.8's builtin builders did with
 * a chroot store) would otherwise go unnoticed. New entries count as one failure.
 */
import Mocha from 'mocha'
import { spawn } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, relative } from 'node:path'
import { SummaryReporter } from './support/reporter.js'
import { distRoot, hostStoreDir, repoRoot } from './support/paths.js'

function findSpecs(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name)
    if (statSync(p).isDirectory()) findSpecs(p, out)
    else if (name.endsWith('.test.js')) out.push(p)
  }
  return out
}

const args = process.argv.slice(2)
let only: string | undefined
let grep: string | undefined
let jobs: number | undefined
let shardList: string | undefined
const filters: string[] = []
for (let i = 0; i < args.length; i++) {
  const a = args[i]!
  if (a === '--only') only = args[++i]
  else if (a === '--grep') grep = args[++i]
  else if (a === '--jobs') jobs = Number(args[++i])
  else if (a === '--shard-files') shardList = args[++i]
  else filters.push(a)
}

let files: string[]
if (shardList !== undefined) {
  files = JSON.parse(readFileSync(shardList, 'utf8')) as string[]
} else {
  const roots: string[] = []
  if (only !== 'golden') roots.push(join(distRoot, 'src'))
  if (only !== 'unit') roots.push(join(distRoot, 'test'))
  // Only specs whose TypeScript source still exists: tsc never deletes outputs of removed files.
  files = roots.flatMap(r => { try { return findSpecs(r) } catch { return [] } })
    .filter(f => existsSync(join(repoRoot, relative(distRoot, f)).replace(/\.js$/, '.ts')))
  if (filters.length > 0) files = files.filter(f => filters.some(s => relative(distRoot, f).includes(s)))
}

jobs ??= Number(process.env['TSNIX_TEST_JOBS'] ?? (filters.length === 0 && grep === undefined ? 2 : 1))
if (shardList === undefined && jobs > 1 && files.length > 1) await runSharded(files, jobs)
else await runHere(files)

async function runHere(specs: string[]): Promise<void> {
  const mocha = new Mocha({ reporter: SummaryReporter, timeout: 120_000, ...(grep ? { grep } : {}) })
  for (const f of specs) mocha.addFile(f)
  await mocha.loadFilesAsync()
  await new Promise<void>(resolve => mocha.run(failures => { process.exitCode = failures > 0 ? 1 : 0; resolve() }))
}

function hostStoreEntries(): Set<string> {
  try { return new Set(readdirSync(hostStoreDir)) } catch { return new Set() }
}

interface ShardSummary { passed: number; failed: number; skipped: number; suiteTimes: Array<{ title: string; ms: number }>; fileTimes: Record<string, number> }

async function runSharded(specs: string[], n: number): Promise<void> {
  const timingsFile = join(distRoot, '.test-timings.json')
  let timings: Record<string, number> = {}
  try { timings = JSON.parse(readFileSync(timingsFile, 'utf8')) as Record<string, number> } catch { /* first run */ }
  // Longest first onto the least loaded shard; unknown files count as golden-heavy or unit-light.
  const cost = (f: string) => timings[f] ?? (f.includes('/golden/') ? 20_000 : 1_000)
  const shards = Array.from({ length: n }, () => ({ files: [] as string[], load: 0 }))
  for (const f of [...specs].sort((a, b) => cost(b) - cost(a))) {
    const s = shards.reduce((x, y) => (y.load < x.load ? y : x))
    s.files.push(f)
    s.load += cost(f)
  }
  const work = mkdtempSync(join(tmpdir(), 'tsnix-test-shards-'))
  const started = Date.now()
  const hostBefore = hostStoreEntries()
  try {
    const results = await Promise.all(shards.filter(s => s.files.length > 0).map((s, k) => new Promise<{ out: string; summary: ShardSummary | undefined; code: number | null }>(resolve => {
      const list = join(work, `shard-${k}.json`)
      const summaryFile = join(work, `summary-${k}.json`)
      writeFileSync(list, JSON.stringify(s.files))
      const child = spawn(process.execPath, [process.argv[1]!, '--shard-files', list, ...(grep ? ['--grep', grep] : [])], {
        env: { ...process.env, TSNIX_TEST_SUMMARY_FILE: summaryFile, TSNIX_TEST_SHARD: String(k) },
        stdio: ['ignore', 'pipe', 'pipe'],
      })
      let out = ''
      child.stdout.on('data', (d: Buffer) => { out += d.toString() })
      child.stderr.on('data', (d: Buffer) => { out += d.toString() })
      child.on('close', code => {
        let summary: ShardSummary | undefined
        try { summary = JSON.parse(readFileSync(summaryFile, 'utf8')) as ShardSummary } catch { /* crashed */ }
        process.stdout.write(`\n===== shard ${k + 1}/${shards.length} (${s.files.length} files) =====\n${out}\n`)
        resolve({ out, summary, code })
      })
    })))
    let passed = 0
    let failed = 0
    let skipped = 0
    const suiteTimes: Array<{ title: string; ms: number }> = []
    const newTimings: Record<string, number> = { ...timings }
    for (const r of results) {
      if (!r.summary) { failed++; continue } // a shard that died without a summary is a failure
      passed += r.summary.passed
      failed += r.summary.failed
      skipped += r.summary.skipped
      suiteTimes.push(...r.summary.suiteTimes)
      Object.assign(newTimings, r.summary.fileTimes)
    }
    const written = [...hostStoreEntries()].filter(e => !hostBefore.has(e))
    if (written.length > 0) {
      failed++
      console.log(`\nFAILED: the run wrote to the host store ${hostStoreDir}: ${written.join(', ')}`)
    }
    writeFileSync(timingsFile, JSON.stringify(newTimings))
    console.log('\nslowest suites (all shards):')
    for (const x of suiteTimes.sort((a, b) => b.ms - a.ms).slice(0, 12)) console.log(`  ${(x.ms / 1000).toFixed(1).padStart(6)} s  ${x.title}`)
    console.log(`${skipped} skipped (reasons above), ${((Date.now() - started) / 1000).toFixed(1)} s, ${results.length} shards`)
    console.log(`${passed} passed, ${failed} failed`)
    process.exitCode = failed > 0 ? 1 : 0
  } finally {
    rmSync(work, { recursive: true, force: true })
  }
}

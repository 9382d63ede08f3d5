/**
 * The test entry point (`npm test`): runs every compiled spec under dist/ with mocha and ends
 * with the one line CI reads, `N passed, N failed`.
 *
 *   node dist/test/run.js [--only unit|golden] [--grep RE] [FILE_SUBSTRING...]
 *
 * Unit specs sit beside the code (`src/**\/*.test.ts`); cross-implementation specs live in
 * `test/golden/**`. Specs that need a missing tool call `skipBecause()` (test/support/env.ts),
 * which prints the reason — or fails the spec when TSNIX_REQUIRE_ALL=1 (set by .ci/run).
 */
import Mocha from 'mocha'
import { existsSync, readdirSync, statSync } from 'node:fs'
import { join, relative } from 'node:path'
import { SummaryReporter } from './support/reporter.js'
import { distRoot, repoRoot } from './support/paths.js'

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
const filters: string[] = []
for (let i = 0; i < args.length; i++) {
  const a = args[i]!
  if (a === '--only') only = args[++i]
  else if (a === '--grep') grep = args[++i]
  else filters.push(a)
}

const roots: string[] = []
if (only !== 'golden') roots.push(join(distRoot, 'src'))
if (only !== 'unit') roots.push(join(distRoot, 'test'))
// Only specs whose TypeScript source still exists: tsc never deletes outputs of removed files.
let files = roots.flatMap(r => { try { return findSpecs(r) } catch { return [] } })
  .filter(f => existsSync(join(repoRoot, relative(distRoot, f)).replace(/\.js$/, '.ts')))
if (filters.length > 0) files = files.filter(f => filters.some(s => relative(distRoot, f).includes(s)))

const mocha = new Mocha({ reporter: SummaryReporter, timeout: 120_000, ...(grep ? { grep } : {}) })
for (const f of files) mocha.addFile(f)
await mocha.loadFilesAsync()
mocha.run(failures => { process.exitCode = failures > 0 ? 1 : 0 })

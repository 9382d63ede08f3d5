/**
 * The upstream Nix language suite against `tsnix instantiate` (see lang-suite.ts and README.md).
 * Both suites run: 2.34.8 (notyetpassing.txt) and master (notyetpassing-master.txt);
 * TSNIX_LANG_SUITE=2.34.8 or =master runs one. Listed cases must still fail exactly at the
 * listed level; every other case must pass all three levels. So a regression fails the spec,
 * and so does an unrecorded fix.
 */
import assert from 'node:assert/strict'
import { readFileSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Worker } from 'node:worker_threads'
import { fixture, skipBecause } from '../../support/env.js'
import { distRoot, repoRoot } from '../../support/paths.js'
import { type CaseResult, type Level, listCases, prepareSuite, type SuiteDir } from './lang-suite.js'

const SUITES = [
  { label: '2.34.8', rel: ['nixos-nix-2.34.8', 'tests', 'functional'], list: 'notyetpassing.txt' },
  { label: 'master', rel: ['nixos-nix', 'tests', 'functional'], list: 'notyetpassing-master.txt' },
].filter(s => !process.env['TSNIX_LANG_SUITE'] || process.env['TSNIX_LANG_SUITE'] === s.label)
const CASE_TIMEOUT_MS = 30_000

function readNotYetPassing(listFile: string): Map<string, Level> {
  const m = new Map<string, Level>()
  let text = ''
  try { text = readFileSync(listFile, 'utf8') } catch { return m }
  for (const line of text.split('\n')) {
    const t = line.replace(/#.*/, '').trim()
    if (t === '') continue
    const [name, level] = t.split(/\s+/)
    if (level !== 'exit' && level !== 'stdout' && level !== 'stderr') throw new Error(`${listFile}: bad level in '${line}'`)
    m.set(name!, level)
  }
  return m
}

/** Run every case in Workers with a 1 GiB stack; a case that hangs is recorded and the rest resumes. */
async function runAll(dir: SuiteDir): Promise<CaseResult[]> {
  const cases = listCases(dir.functional)
  const results: CaseResult[] = new Array(cases.length)
  const here = dirname(fileURLToPath(import.meta.url))
  const cliModule = join(distRoot, 'src', 'cli', 'instantiate.js')
  let start = 0
  while (start < cases.length) {
    start = await new Promise<number>(resolve => {
      const w = new Worker(join(here, 'lang-suite-worker.js'), {
        workerData: { dir, start, cliModule }, resourceLimits: { stackSizeMb: 1024 }, stdout: true, stderr: true,
      })
      let current = start
      let timer: NodeJS.Timeout | undefined
      const arm = (): void => {
        clearTimeout(timer)
        timer = setTimeout(() => {
          results[current] = { ...cases[current]!, failsAt: 'exit', detail: `no result after ${CASE_TIMEOUT_MS} ms` }
          void w.terminate()
          resolve(current + 1)
        }, CASE_TIMEOUT_MS)
      }
      arm()
      w.on('message', (m: { kind: string; index?: number; result?: CaseResult }) => {
        if (m.kind === 'start') { current = m.index!; arm() }
        else if (m.kind === 'result') results[m.index!] = m.result!
        else if (m.kind === 'done') { clearTimeout(timer); resolve(cases.length) }
      })
      w.on('error', e => {
        clearTimeout(timer)
        results[current] = { ...cases[current]!, failsAt: 'exit', detail: `worker error: ${e.message}` }
        resolve(current + 1)
      })
    })
  }
  return results
}

for (const { label, rel: suiteRel, list } of SUITES) {
  const listFile = join(repoRoot, 'test', 'golden', 'eval', list)
  describe(`golden: Nix language suite (${label})`, function () {
    this.timeout(20 * 60_000)
    let results: CaseResult[] = []
    let dir: SuiteDir | undefined
    const expected = readNotYetPassing(listFile)

    before(async function () {
      const suite = fixture(...suiteRel)
      if (!suite) skipBecause(this, `fixtures ${suiteRel.join('/')} not found`)
      dir = prepareSuite(suite!)
      results = await runAll(dir)
      const out = process.env['TSNIX_LANG_SUITE_OUT']
      if (out) writeFileSync(out, JSON.stringify(results, null, 1))
    })

    after(() => { if (dir && !process.env['TSNIX_KEEP']) rmSync(dir.root, { recursive: true, force: true }) })

    it('scores the three levels', () => {
      const n = results.length
      const exitOk = results.filter(r => r.failsAt !== 'exit').length
      const stdoutOk = results.filter(r => r.failsAt === undefined || r.failsAt === 'stderr').length
      const allOk = results.filter(r => r.failsAt === undefined).length
      console.log(`\n    lang suite: exit status ${exitOk}/${n}, stdout ${stdoutOk}/${n}, stderr ${allOk}/${n}`)
      assert.ok(n > 0)
    })

    it('keeps notyetpassing honest: listed cases still fail at their level, others pass', () => {
      const problems: string[] = []
      const seen = new Set<string>()
      for (const r of results) {
        seen.add(r.name)
        const want = expected.get(r.name)
        if (want === undefined && r.failsAt !== undefined) problems.push(`${r.name}: fails at ${r.failsAt} (not listed)${r.detail ? `\n      ${r.detail.slice(0, 400).replace(/\n/g, '\n      ')}` : ''}`)
        else if (want !== undefined && r.failsAt !== want) problems.push(`${r.name}: listed as failing at ${want}, now ${r.failsAt === undefined ? 'passes' : `fails at ${r.failsAt}`}: update ${listFile.split('/').pop()}`)
      }
      for (const name of expected.keys()) if (!seen.has(name)) problems.push(`${name}: listed but not a case of this suite`)
      assert.deepEqual(problems, [])
    })
  })
}

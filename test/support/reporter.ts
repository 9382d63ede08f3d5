/**
 * A compact mocha reporter: one line per failing or skipped spec as it happens, a dot line for
 * progress, the failures in full at the end, the skip reasons, and last the line CI reads:
 * `N passed, N failed`.
 */
import Mocha from 'mocha'
import { writeFileSync } from 'node:fs'
import { skipReasons } from './env.js'

const { EVENT_RUN_END, EVENT_TEST_FAIL, EVENT_TEST_PASS, EVENT_TEST_PENDING, EVENT_SUITE_BEGIN, EVENT_SUITE_END } =
  Mocha.Runner.constants

export class SummaryReporter extends Mocha.reporters.Base {
  constructor(runner: Mocha.Runner, options?: Mocha.MochaOptions) {
    super(runner, options)
    let passed = 0
    let failed = 0
    let skipped = 0
    const failures: Array<{ title: string; err: unknown }> = []
    const started = Date.now()
    const verbose = process.env['TSNIX_TEST_VERBOSE'] === '1'
    // Wall time per top-level suite, to keep the whole run within its budget.
    const suiteStart = new Map<Mocha.Suite, number>()
    const suiteTimes: Array<{ title: string; ms: number }> = []
    runner.on(EVENT_SUITE_BEGIN, suite => {
      if (suite.file && suite.parent?.root) {
        suiteStart.set(suite, Date.now())
        process.stdout.write(`\n${suite.fullTitle()} `)
      }
    })
    const fileTimes = new Map<string, number>()
    runner.on(EVENT_SUITE_END, suite => {
      const t = suiteStart.get(suite)
      if (t === undefined) return
      const ms = Date.now() - t
      suiteTimes.push({ title: suite.fullTitle(), ms })
      if (suite.file) fileTimes.set(suite.file, (fileTimes.get(suite.file) ?? 0) + ms)
    })
    runner.on(EVENT_TEST_PASS, test => {
      passed++
      if (verbose) process.stdout.write(`\n  ok ${test.fullTitle()} (${test.duration ?? 0} ms)`)
      else process.stdout.write('.')
    })
    runner.on(EVENT_TEST_PENDING, test => {
      skipped++
      const why = skipReasons.get(test.fullTitle()) ?? "skipped (no reason given)"
      process.stdout.write(`\n  SKIP ${test.fullTitle()}: ${why}`)
    })
    runner.on(EVENT_TEST_FAIL, (test, err) => {
      failed++
      failures.push({ title: test.fullTitle(), err })
      process.stdout.write(`\n  FAIL ${test.fullTitle()}: ${firstLine(err)}`)
    })
    runner.once(EVENT_RUN_END, () => {
      process.stdout.write('\n\n')
      failures.forEach((f, i) => {
        const e = f.err as { stack?: string; message?: string }
        console.log(`${i + 1}) ${f.title}\n${indent(e?.stack ?? String(e))}\n`)
      })
      // A shard of a parallel run reports its numbers to the parent (test/run.ts).
      const summaryFile = process.env['TSNIX_TEST_SUMMARY_FILE']
      if (summaryFile) {
        writeFileSync(summaryFile, JSON.stringify({ passed, failed, skipped, suiteTimes, fileTimes: Object.fromEntries(fileTimes) }))
      }
      const slowest = suiteTimes.sort((a, b) => b.ms - a.ms).slice(0, 12)
      if (slowest.length > 0) {
        console.log('slowest suites:')
        for (const x of slowest) console.log(`  ${(x.ms / 1000).toFixed(1).padStart(6)} s  ${x.title}`)
      }
      const secs = ((Date.now() - started) / 1000).toFixed(1)
      console.log(`${skipped} skipped (reasons above), ${secs} s`)
      console.log(`${passed} passed, ${failed} failed`)
    })
  }
}

function firstLine(err: unknown): string {
  const m = (err as { message?: string })?.message ?? String(err)
  return m.split('\n')[0]!.slice(0, 300)
}
function indent(s: string): string {
  return s.split('\n').slice(0, 40).map(l => '   ' + l).join('\n')
}

/**
 * Worker side of the lang-suite spec: runs cases with a large stack (deep-recursion cases need
 * it, as the CLI's own Worker does) and posts one result per case.
 */
import { parentPort, workerData } from 'node:worker_threads'
import { listCases, runCase, type Main, type SuiteDir } from './lang-suite.js'

const { dir, start, cliModule } = workerData as { dir: SuiteDir; start: number; cliModule: string }
const { main } = (await import(cliModule)) as { main: Main }
;(globalThis as { __tsnixWorker?: boolean }).__tsnixWorker = true
const cases = listCases(dir.functional)
for (let i = start; i < cases.length; i++) {
  const c = cases[i]!
  parentPort!.postMessage({ kind: 'start', index: i })
  let r
  try {
    r = runCase(dir, main, c)
  } catch (e) {
    r = { name: c.name, kind: c.kind, failsAt: 'exit', detail: `crash: ${(e as Error).stack ?? String(e)}` }
  }
  parentPort!.postMessage({ kind: 'result', index: i, result: r })
}
parentPort!.postMessage({ kind: 'done' })

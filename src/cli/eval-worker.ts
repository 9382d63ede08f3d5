/** Worker entry of eval-run.ts: runs one command with a large stack, streaming output back. */
import { parentPort, workerData } from 'node:worker_threads'
import { loadEvalBundle } from './eval-bundle.js'
import type { CommandMain, Sinks } from './eval-run.js'

(globalThis as { __tsnixWorker?: boolean }).__tsnixWorker = true
const { command, args } = workerData as { command: string; args: string[] }
const post = (kind: 'stdout' | 'stderr', data: string): void => { parentPort!.postMessage({ kind, data }) }
const sinks: Sinks = { stdout: s => post('stdout', s), stderr: s => post('stderr', s) }

// The bundle (as on the main thread) when it is fresh: loading the ES modules again would cost
// the Worker ~0.1 s.
const bundle = loadEvalBundle()
const main: CommandMain = bundle !== undefined
  ? (command === 'eval' ? bundle.evalMain : bundle.instantiateMain)
  : ((await import(command === 'eval' ? './eval.js' : './instantiate.js')) as { main: CommandMain }).main
let code: number
try {
  code = main(args, sinks)
} catch (e) {
  post('stderr', `error: ${(e as Error).message}\n`)
  code = 1
}
parentPort!.postMessage({ kind: 'exit', code })

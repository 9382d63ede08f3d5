/** Worker entry of eval-run.ts: runs one command with a large stack, streaming output back. */
import { parentPort, workerData } from 'node:worker_threads'
import type { CommandMain, Sinks } from './eval-run.js'

(globalThis as { __tsnixWorker?: boolean }).__tsnixWorker = true
const { command, args } = workerData as { command: string; args: string[] }
const post = (kind: 'stdout' | 'stderr', data: string): void => { parentPort!.postMessage({ kind, data }) }
const sinks: Sinks = { stdout: s => post('stdout', s), stderr: s => post('stderr', s) }

const mod = (await import(command === 'eval' ? './eval.js' : './instantiate.js')) as { main: CommandMain }
let code: number
try {
  code = mod.main(args, sinks)
} catch (e) {
  post('stderr', `error: ${(e as Error).message}\n`)
  code = 1
}
parentPort!.postMessage({ kind: 'exit', code })

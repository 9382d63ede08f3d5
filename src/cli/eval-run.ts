/**
 * Where evaluation runs. Evaluation recurses on the JS stack (≈ 5 frames per Nix call), and a
 * Node main thread only has ~1 MB of it (59 MiB when started by the `tsnix` launcher, see
 * main.ts), while C++ Nix allows 10,000 nested calls. Starting a
 * Worker with a large stack costs ~30 ms, a third of the start-up budget, so by default
 * (`TSNIX_EVAL_THREAD=auto`) a command first runs on the main thread with its output buffered,
 * and only if the JS stack overflows is it run again, from scratch, in a Worker with a 1 GiB
 * stack (evaluation has no side effects besides output and idempotent store writes).
 * `TSNIX_EVAL_THREAD=worker` always uses the Worker; `main` never does.
 */
import { readFileSync, writeSync } from 'node:fs'
import type { Worker as WorkerT } from 'node:worker_threads'

export interface Sinks {
  stdout(text: string): void
  stderr(text: string): void
}

/** The process environment a command sees (overridable for in-process test runs). */
export interface CommandContext {
  env: NodeJS.ProcessEnv
  cwd: string
  readStdin(): string
}

export const processContext = (): CommandContext => ({
  env: process.env,
  cwd: process.cwd(),
  readStdin: () => readFileSync(0).toString('latin1'),
})

/** A command body: gets sinks, returns the exit status. Must be deterministic apart from output. */
export type CommandMain = (args: string[], sinks: Sinks, ctx?: CommandContext) => number

export class JsStackOverflow extends Error {}

export function isJsStackOverflow(e: unknown): boolean {
  return e instanceof RangeError && /call stack/i.test(e.message)
}

const STACK_MB = 1024

export async function runCommand(command: string, main: CommandMain, args: string[]): Promise<number> {
  const mode = process.env['TSNIX_EVAL_THREAD'] ?? 'auto'
  if (mode === 'worker') return runInWorker(command, args)
  const out: string[] = []
  const err: string[] = []
  const buffered: Sinks = { stdout: s => { out.push(s) }, stderr: s => { err.push(s) } }
  let code: number
  try {
    code = main(args, mode === 'main' ? directSinks : buffered)
  } catch (e) {
    if (mode === 'auto' && (e instanceof JsStackOverflow || isJsStackOverflow(e))) return runInWorker(command, args)
    throw e
  }
  const written = (err.length === 0 || writeFinal(2, err.join(''))) && (out.length === 0 || writeFinal(1, out.join('')))
  if (written && nothingPending()) process.exit(code)
  return code
}

/**
 * Whether the process has nothing left to do but exit (no handles or requests besides the
 * close of a file the loader read). Then a finished command exits at once: otherwise the
 * event loop turns once more, and V8 runs the garbage-collection work it has scheduled
 * (finishing an incremental mark of the evaluator's heap, a scavenge): 10–50 ms of CPU after
 * a big evaluation, for a heap that is about to be dropped (C++ Nix does not free its heap
 * at exit either).
 */
function nothingPending(): boolean {
  return process.getActiveResourcesInfo().every(r => r === 'CloseReq') && process.listenerCount('beforeExit') === 0
}

export const directSinks: Sinks = {
  stdout: s => { writeBinary(process.stdout, s) },
  stderr: s => { writeBinary(process.stderr, s) },
}

/**
 * A finished command's buffered output, written straight to the descriptor: creating
 * process.stdout loads Node's stream classes (~5 ms, a tenth of the start-up budget). Whatever
 * cannot be written so (a full non-blocking pipe, a closed one) goes through the stream as
 * before; false then (the stream's write is still pending).
 */
function writeFinal(fd: 1 | 2, s: string): boolean {
  const buf = Buffer.from(s, 'latin1')
  let off = 0
  try {
    while (off < buf.length) off += writeSync(fd, buf, off)
    return true
  } catch {
    (fd === 1 ? process.stdout : process.stderr).write(buf.subarray(off))
    return false
  }
}

function writeBinary(stream: NodeJS.WriteStream, s: string): void {
  stream.write(Buffer.from(s, 'latin1'))
}

async function runInWorker(command: string, args: string[]): Promise<number> {
  const { Worker } = await import('node:worker_threads')
  return new Promise<number>((resolve, reject) => {
    const w: WorkerT = new Worker(new URL('./eval-worker.js', import.meta.url), {
      workerData: { command, args },
      resourceLimits: { stackSizeMb: STACK_MB },
      stdout: false,
      stderr: false,
    })
    let done = false
    w.on('message', (m: { kind: 'stdout' | 'stderr' | 'exit'; data?: string; code?: number }) => {
      if (m.kind === 'stdout') writeBinary(process.stdout, m.data!)
      else if (m.kind === 'stderr') writeBinary(process.stderr, m.data!)
      else { done = true; resolve(m.code!) }
    })
    w.on('error', e => { if (!done) reject(e) })
    w.on('exit', c => { if (!done) resolve(c === 0 ? 1 : c) })
  })
}

/**
 * The runc command line: `run` supervised (log stream, limits, kill, cleanup) and the small
 * commands (`kill`, `delete`, `state`). Every call passes our own `--root`, so our
 * containers never mix with anybody else's (build-sandbox.md §3.1 quirk 12).
 */
import { ChildProcess, execFile, spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { SandboxRuntimeError } from './errors.js'
import { BuildLimiter } from './limits.js'
import type { BuildLimits, LimitHit, LogSink } from './types.js'

/** Absolute path of `runc` on PATH (or $TSNIX_RUNC), or undefined. */
export function findRunc(): string | undefined {
  const env = process.env['TSNIX_RUNC']
  if (env) return existsSync(env) ? env : undefined
  for (const dir of (process.env['PATH'] ?? '').split(':').concat(['/usr/sbin', '/sbin'])) {
    if (dir && existsSync(join(dir, 'runc'))) return join(dir, 'runc')
  }
  return undefined
}

/** Result of one short runc command. */
interface CmdResult { code: number | null; stdout: string; stderr: string }

export class Runc {
  constructor(readonly binary: string, readonly stateRoot: string) {}

  /** Run `runc --root <state> ...args`, never throwing on a non-zero status. */
  command(args: string[], timeoutMs = 30_000): Promise<CmdResult> {
    return new Promise(resolve => {
      execFile(this.binary, ['--root', this.stateRoot, ...args], { timeout: timeoutMs, maxBuffer: 4 << 20 }, (err, stdout, stderr) => {
        const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : null) : 0
        resolve({ code, stdout, stderr })
      })
    })
  }

  kill(id: string, signal = 'KILL'): Promise<CmdResult> { return this.command(['kill', id, signal]) }
  delete(id: string): Promise<CmdResult> { return this.command(['delete', '--force', id]) }

  /** Whether runc still has state for `id` (cheap: no runc process). */
  hasState(id: string): boolean { return existsSync(join(this.stateRoot, id)) }

  /** Make sure `id` is gone: its processes killed, its state and cgroups deleted. */
  async destroy(id: string): Promise<void> {
    if (!this.hasState(id)) return
    await this.kill(id)
    const r = await this.delete(id)
    if (this.hasState(id)) throw new SandboxRuntimeError(`runc could not delete container ${id}: ${r.stderr.trim()}`)
  }
}

/** runc reports its own failures in logrus format on stderr. */
const RUNC_ERROR = /level=error msg="((?:[^"\\]|\\.)*)"/

export function runcErrorMessage(stderr: string): string | undefined {
  const m = RUNC_ERROR.exec(stderr)
  if (!m) return undefined
  try { return JSON.parse(`"${m[1]}"`) as string } catch { return m[1] }
}

export interface SupervisedRun {
  code: number | null
  /** Set when we killed the container (limit or abort). */
  killed: boolean
  limit: LimitHit | null
  /** runc's own error text (setup failures), if any. */
  runcError: string | undefined
  logBytes: number
  startTime: number
  stopTime: number
}

export interface SuperviseOptions {
  runc: Runc
  bundle: string
  id: string
  limits: BuildLimits
  onLog?: LogSink | undefined
  signal?: AbortSignal | undefined
  /**
   * True when the container's stderr is merged into its stdout (the exec shim does that);
   * then runc's stderr carries only runc's own messages. Otherwise stderr is build log too.
   */
  stderrIsRuncOnly: boolean
}

const MAX_RUNC_STDERR = 64 << 10

/**
 * `runc run` in the foreground: streams the log through the limits, kills the container when
 * a limit is hit or the signal aborts, and makes sure nothing is left afterwards.
 */
export async function superviseRun(o: SuperviseOptions): Promise<SupervisedRun> {
  const startTime = Date.now()
  const child: ChildProcess = spawn(o.runc.binary, ['--root', o.runc.stateRoot, 'run', '--bundle', o.bundle, o.id], {
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const exited = new Promise<number | null>((resolve, reject) => {
    child.once('error', reject)
    child.once('close', code => resolve(code))
  })
  let killed = false
  let killing: Promise<void> | undefined
  const killContainer = (): void => {
    if (killed) return
    killed = true
    killing = (async () => {
      await o.runc.kill(o.id)
      // runc run exits once its init is gone; if it does not, take it down too.
      const t = setTimeout(() => child.kill('SIGKILL'), 5000)
      await exited.catch(() => undefined)
      clearTimeout(t)
    })()
  }
  const limiter = new BuildLimiter(o.limits, () => killContainer())
  const onAbort = (): void => killContainer()
  o.signal?.addEventListener('abort', onAbort, { once: true })
  if (o.signal?.aborted) killContainer()

  let stderrText = ''
  const pump = async (stream: NodeJS.ReadableStream, isLog: boolean): Promise<void> => {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      if (!isLog) {
        if (stderrText.length < MAX_RUNC_STDERR) stderrText += chunk.toString('utf8')
        continue
      }
      if (!limiter.output(chunk.length)) continue
      if (o.onLog) await o.onLog(chunk)
    }
  }
  limiter.start()
  let code: number | null
  try {
    const pumps = Promise.all([pump(child.stdout!, true), o.stderrIsRuncOnly ? pump(child.stderr!, false) : pumpStderrMixed()])
    code = await exited
    await pumps
  } catch (e) {
    killContainer()
    throw new SandboxRuntimeError(`cannot run runc: ${(e as Error).message}`, { cause: e })
  } finally {
    limiter.stop()
    o.signal?.removeEventListener('abort', onAbort)
    if (killing) await killing
    await o.runc.destroy(o.id)
  }
  return {
    code,
    killed,
    limit: limiter.limitHit,
    runcError: runcErrorMessage(stderrText),
    logBytes: limiter.logBytes,
    startTime,
    stopTime: Date.now(),
  }

  // Without the shim, the builder's stderr and runc's messages share one stream.
  async function pumpStderrMixed(): Promise<void> {
    for await (const chunk of child.stderr! as AsyncIterable<Buffer>) {
      const text = chunk.toString('utf8')
      if (RUNC_ERROR.test(text)) { if (stderrText.length < MAX_RUNC_STDERR) stderrText += text; continue }
      if (!limiter.output(chunk.length)) continue
      if (o.onLog) await o.onLog(chunk)
    }
  }
}

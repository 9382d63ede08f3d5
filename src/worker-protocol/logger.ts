/**
 * What op handlers log with (C++ `Logger` as the daemon's TunnelLogger implements it): log
 * lines filtered by the client's verbosity, activities with ids and parents, and results.
 * Everything becomes STDERR_* frames; the connection decides when they can be sent.
 */
import { ActivityType, Verbosity } from './constants.js'
import type { LoggerField, StderrFrame } from './codec/index.js'

/** An int (number or bigint) or a string. */
export type FieldValue = number | bigint | string

export interface Activity {
  readonly id: bigint
  result(type: number, ...fields: FieldValue[]): void
  /** Idempotent. */
  stop(): void
}

export interface ActivityOptions {
  readonly type: number
  readonly text?: string
  readonly level?: number
  readonly fields?: readonly FieldValue[]
  /** Parent activity; none by default. */
  readonly parent?: Activity
}

export interface Logger {
  /** A line at `level` (sent only if the client's verbosity is at least that). */
  log(level: number, message: string): void
  warn(message: string): void
  startActivity(opts: ActivityOptions): Activity
}

/** Where a FrameLogger's frames go. */
export interface FrameSink {
  frame(f: StderrFrame): void
  /** C++ daemons below 1.20 turn activities into log lines. */
  readonly activitiesSupported: boolean
  /** The client's verbosity (SetOptions); lines above it are dropped. */
  readonly verbosity: number
}

const pid = BigInt(process.pid & 0xffffffff)
let counter = 0n

/** Activity ids are `(pid << 32) + counter`, as C++ makes them, unique per process. */
export function nextActivityId(): bigint { return (pid << 32n) + counter++ }

function toField(v: FieldValue): LoggerField { return typeof v === 'number' ? BigInt(v) : v }

/** C++ `warn()`: the text C++ puts before a warning (with its ANSI colours). */
export const WARNING_PREFIX = '\x1b[35;1mwarning:\x1b[0m '

export class FrameLogger implements Logger {
  private readonly out: FrameSink
  constructor(out: FrameSink) { this.out = out }

  log(level: number, message: string): void {
    if (level > this.out.verbosity) return
    this.out.frame({ kind: 'next', message: message + '\n' })
  }

  warn(message: string): void { this.log(Verbosity.Warn, WARNING_PREFIX + message) }

  startActivity(opts: ActivityOptions): Activity {
    const id = nextActivityId()
    const level = opts.level ?? Verbosity.Error
    const text = opts.text ?? ''
    const out = this.out
    if (!out.activitiesSupported) {
      if (text !== '') this.log(level, `${text}...`)
      return { id, result() {}, stop() {} }
    }
    out.frame({ kind: 'startActivity', id, level, type: opts.type, text, fields: (opts.fields ?? []).map(toField), parent: opts.parent?.id ?? 0n })
    let stopped = false
    return {
      id,
      result(type, ...fields) { if (!stopped) out.frame({ kind: 'result', id, type, fields: fields.map(toField) }) },
      stop() { if (!stopped) { stopped = true; out.frame({ kind: 'stopActivity', id }) } },
    }
  }
}

/** A logger that drops everything (handlers run outside a connection, tests). */
export const nullLogger: Logger = {
  log() {},
  warn() {},
  startActivity() { return { id: nextActivityId(), result() {}, stop() {} } },
}

export { ActivityType }

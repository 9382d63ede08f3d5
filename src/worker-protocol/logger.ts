/**
 * The shared Logger (src/logger.ts) as the daemon implements it for a client (C++
 * TunnelLogger): log lines filtered by the client's verbosity, activities with ids and parents,
 * and results, all turned into STDERR_* frames. The connection decides when frames can be sent.
 */
import { type Activity, type ActivityType, type LogField, type Logger, type ResultType, Verbosity } from '../logger.js'
import type { LoggerField, StderrFrame } from './codec/index.js'

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

function toField(v: LogField): LoggerField { return typeof v === 'number' ? BigInt(v) : v }

/** C++ `warn()`: the text C++ puts before a warning (with its ANSI colours). */
export const WARNING_PREFIX = '\x1b[35;1mwarning:\x1b[0m '

export class FrameLogger implements Logger {
  private readonly out: FrameSink
  constructor(out: FrameSink) { this.out = out }

  log(level: Verbosity, message: string): void {
    if (level > this.out.verbosity) return
    this.out.frame({ kind: 'next', message: message + '\n' })
  }

  warn(message: string): void { this.log(Verbosity.Warn, WARNING_PREFIX + message) }

  startActivity(type: ActivityType, level: Verbosity, text: string, fields: readonly LogField[] = [], parent?: Activity): Activity {
    const id = nextActivityId()
    const out = this.out
    if (!out.activitiesSupported) {
      if (text !== '') this.log(level, `${text}...`)
      return { id, result() {}, stop() {} }
    }
    out.frame({ kind: 'startActivity', id, level, type, text, fields: fields.map(toField), parent: parent?.id ?? 0n })
    let stopped = false
    return {
      id,
      result(rtype: ResultType, rfields: readonly LogField[]) { if (!stopped) out.frame({ kind: 'result', id, type: rtype, fields: rfields.map(toField) }) },
      stop() { if (!stopped) { stopped = true; out.frame({ kind: 'stopActivity', id }) } },
    }
  }
}

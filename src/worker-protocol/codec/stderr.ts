/**
 * The logger channel D→C (worker-protocol.md §3): STDERR_* frames between a request and its
 * reply. `fields` = u64 count, then per field u64 type (0 int → u64, 1 string → string).
 *
 * Error frames, by version:
 *   ≥ 1.26  string "Error", u64 level, string "Error" (old name, ignored), string message,
 *           u64 havePos (0), u64 n traces, n × (u64 havePos (0), string hint)
 *   < 1.26  string message, u64 exit status
 */
import { LIMITS, ProtocolError, type WireReader, type WireWriter } from '../../wire/index.js'
import {
  STDERR_ERROR, STDERR_LAST, STDERR_NEXT, STDERR_READ, STDERR_RESULT, STDERR_START_ACTIVITY, STDERR_STOP_ACTIVITY,
  STDERR_WRITE,
} from '../constants.js'
import { InvalidWireValueError } from '../errors.js'
import { atLeast, type Codec, type CodecContext } from './context.js'

/** An int field (u64) or a string field. */
export type LoggerField = bigint | string

/** The error carried by STDERR_ERROR. */
export interface WireError {
  readonly message: string
  /** C++ `Verbosity` of the error (normally 0); ≥ 1.26 only. */
  readonly level: number
  /** Trace hints, outermost last as C++ stores them; ≥ 1.26 only. */
  readonly traces: readonly string[]
  /** Exit status the client should use; < 1.26 only (newer clients use 1). */
  readonly exitStatus: number
}

export type StderrFrame =
  | { readonly kind: 'next'; readonly message: string }
  | { readonly kind: 'read'; readonly length: number }
  | { readonly kind: 'write'; readonly data: Uint8Array }
  | { readonly kind: 'last' }
  | { readonly kind: 'error'; readonly error: WireError }
  | {
    readonly kind: 'startActivity'; readonly id: bigint; readonly level: number; readonly type: number
    readonly text: string; readonly fields: readonly LoggerField[]; readonly parent: bigint
  }
  | { readonly kind: 'stopActivity'; readonly id: bigint }
  | { readonly kind: 'result'; readonly id: bigint; readonly type: number; readonly fields: readonly LoggerField[] }

/** Bound on fields per frame (C++ writers send at most a handful). */
export const MAX_FIELDS = 1024
/** Bound on error traces. */
export const MAX_TRACES = 65536

function readFields(r: WireReader): LoggerField[] {
  const n = r.count('logger fields', MAX_FIELDS)
  const out: LoggerField[] = []
  for (let i = 0; i < n; i++) {
    const t = r.u64()
    if (t === 0n) out.push(r.u64())
    else if (t === 1n) out.push(r.string({ max: LIMITS.text, what: 'logger field' }))
    else throw new InvalidWireValueError('logger field type', t)
  }
  return out
}

function writeFields(w: WireWriter, fields: readonly (LoggerField | number)[]): void {
  w.u64(fields.length)
  for (const f of fields) {
    if (typeof f === 'string') w.u64(1).string(f)
    else w.u64(0).u64(f)
  }
}

export function readWireError(r: WireReader, ctx: CodecContext): WireError {
  if (!atLeast(ctx, 26)) {
    const message = r.string({ max: LIMITS.text, what: 'error message' })
    return { message, level: 0, traces: [], exitStatus: r.u32('exit status') }
  }
  const type = r.string({ what: 'error type' })
  if (type !== 'Error') throw new ProtocolError(`expected error type "Error", got ${JSON.stringify(type.slice(0, 80))}`, 'ERR_BAD_ERROR_FRAME')
  const level = r.u32('error level')
  r.string({ what: 'error name' }) // obsolete name, ignored by every reader
  const message = r.string({ max: LIMITS.text, what: 'error message' })
  if (r.u64() !== 0n) throw new ProtocolError('error frame carries a position, which is not supported', 'ERR_BAD_ERROR_FRAME')
  const n = r.count('error traces', MAX_TRACES)
  const traces: string[] = []
  for (let i = 0; i < n; i++) {
    if (r.u64() !== 0n) throw new ProtocolError('error trace carries a position, which is not supported', 'ERR_BAD_ERROR_FRAME')
    traces.push(r.string({ max: LIMITS.text, what: 'error trace' }))
  }
  return { message, level, traces, exitStatus: 1 }
}

/** Old clients print this string as is, so it carries the `error: ` prefix C++ `what()` has. */
export function oldFormatErrorText(e: WireError): string {
  return `error: ${e.message}${e.traces.map(t => `\n… ${t}`).join('')}`
}

export function writeWireError(w: WireWriter, ctx: CodecContext, e: WireError): void {
  if (!atLeast(ctx, 26)) { w.string(e.message).u64(e.exitStatus); return }
  w.string('Error').u64(e.level).string('Error').string(e.message).u64(0).u64(e.traces.length)
  for (const t of e.traces) w.u64(0).string(t)
}

export const StderrFrameCodec: Codec<StderrFrame> = {
  read(r, ctx) {
    const code = r.u64()
    switch (code) {
      case STDERR_NEXT: return { kind: 'next', message: r.string({ max: LIMITS.text, what: 'log line' }) }
      case STDERR_READ: return { kind: 'read', length: r.num('read length') }
      case STDERR_WRITE: return { kind: 'write', data: r.bytes({ max: LIMITS.frame, what: 'written data' }).slice() }
      case STDERR_LAST: return { kind: 'last' }
      case STDERR_ERROR: return { kind: 'error', error: readWireError(r, ctx) }
      case STDERR_START_ACTIVITY: {
        const id = r.u64()
        const level = r.u32('activity level')
        const type = r.u32('activity type')
        const text = r.string({ max: LIMITS.text, what: 'activity text' })
        const fields = readFields(r)
        return { kind: 'startActivity', id, level, type, text, fields, parent: r.u64() }
      }
      case STDERR_STOP_ACTIVITY: return { kind: 'stopActivity', id: r.u64() }
      case STDERR_RESULT: {
        const id = r.u64()
        const type = r.u32('result type')
        return { kind: 'result', id, type, fields: readFields(r) }
      }
      default: throw new ProtocolError(`unknown logger frame 0x${code.toString(16)} from the daemon`, 'ERR_BAD_STDERR')
    }
  },
  write(w, ctx, f) {
    switch (f.kind) {
      case 'next': w.u64(STDERR_NEXT).string(f.message); return
      case 'read': w.u64(STDERR_READ).u64(f.length); return
      case 'write': w.u64(STDERR_WRITE).bytes(f.data); return
      case 'last': w.u64(STDERR_LAST); return
      case 'error': w.u64(STDERR_ERROR); writeWireError(w, ctx, f.error); return
      case 'startActivity':
        w.u64(STDERR_START_ACTIVITY).u64(f.id).u64(f.level).u64(f.type).string(f.text)
        writeFields(w, f.fields)
        w.u64(f.parent)
        return
      case 'stopActivity': w.u64(STDERR_STOP_ACTIVITY).u64(f.id); return
      case 'result':
        w.u64(STDERR_RESULT).u64(f.id).u64(f.type)
        writeFields(w, f.fields)
    }
  },
}

export { writeFields as writeLoggerFields }

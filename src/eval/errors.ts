/**
 * Evaluation and parse errors, and their rendering in C++ Nix's format (`showErrorInfo`:
 * `error:` + `… while …` trace frames with code excerpts, then the message and its position).
 *
 * The class hierarchy follows C++ Nix where the distinction is observable: `tryEval` catches
 * `AssertionError` and its subclass `ThrownError` only; `abort` and type errors pass through.
 * Trace frames are appended innermost-first as the error propagates (C++ `addTrace` pushes to
 * the front of its list; we push to the back and print in reverse).
 */
import { NixError } from '../errors.js'
import { lineOfCode, noPos, type PosIdx, type Pos, type PosTable, showPos } from './pos.js'

export interface TraceFrame {
  readonly pos: PosIdx
  readonly hint: string
  /** C++ TracePrint::Always (addErrorContext): shown even without --show-trace. */
  readonly always?: boolean
}

export class EvalError extends NixError {
  /** The message without position or trace (C++ `ErrorInfo::msg`). */
  msg: string
  pos: PosIdx
  /** Innermost first. */
  trace: TraceFrame[] = []
  /** "Did you mean …?" line printed after the position (C++ Suggestions). */
  suggestions: string | undefined

  constructor(msg: string, pos: PosIdx = noPos, code = 'ERR_EVAL') {
    super(code, msg)
    this.msg = msg
    this.pos = pos
  }

  addTrace(pos: PosIdx, hint: string, always = false): this {
    this.trace.push(always ? { pos, hint, always } : { pos, hint })
    return this
  }

  /** Set the position unless one is known (C++ `atPos` on errors raised without one). */
  withPos(pos: PosIdx): this {
    if (this.pos === noPos) this.pos = pos
    return this
  }

  /** A copy with its own trace list: memoised thunk failures rethrow copies (Nix ≥ 2.34). */
  clone(): EvalError {
    const c = Object.create(Object.getPrototypeOf(this) as object) as EvalError
    Object.assign(c, this)
    c.trace = this.trace.slice()
    return c
  }
}

/**
 * A C++ exception that is not a Nix `Error` (a library's, as nlohmann's parse errors): it passes
 * through every frame that adds a trace or a position, and prints as `error: <what>` alone.
 */
export class ForeignError extends EvalError {
  override addTrace(): this { return this }
  override withPos(): this { return this }
}

/** `assert` failures; the base of `throw` (caught by `tryEval`). */
export class AssertionError extends EvalError {
  constructor(msg: string, pos: PosIdx = noPos, code = 'ERR_EVAL_ASSERTION') { super(msg, pos, code) }
}
export class ThrownError extends AssertionError {
  constructor(msg: string, pos: PosIdx = noPos) { super(msg, pos, 'ERR_EVAL_THROWN') }
}
export class AbortError extends EvalError {
  constructor(msg: string, pos: PosIdx = noPos) { super(msg, pos, 'ERR_EVAL_ABORT') }
}
export class NixTypeError extends EvalError {
  constructor(msg: string, pos: PosIdx = noPos) { super(msg, pos, 'ERR_EVAL_TYPE') }
}
export class UndefinedVarError extends EvalError {
  constructor(msg: string, pos: PosIdx = noPos) { super(msg, pos, 'ERR_EVAL_UNDEFINED_VAR') }
}
export class MissingArgumentError extends EvalError {
  constructor(msg: string, pos: PosIdx = noPos) { super(msg, pos, 'ERR_EVAL_MISSING_ARGUMENT') }
}
export class InfiniteRecursionError extends EvalError {
  constructor(msg = 'infinite recursion encountered', pos: PosIdx = noPos) { super(msg, pos, 'ERR_EVAL_INFINITE_RECURSION') }
}
export class StackOverflowError extends EvalError {
  constructor(msg = 'stack overflow; max-call-depth exceeded', pos: PosIdx = noPos) { super(msg, pos, 'ERR_EVAL_STACK_OVERFLOW') }
}
export class ParseError extends EvalError {
  constructor(msg: string, pos: PosIdx = noPos) { super(msg, pos, 'ERR_PARSE') }
}
/** File-system and store access failures raised by builtins (C++ `SysError`, `FileNotFound`…). */
export class EvalIOError extends EvalError {
  constructor(msg: string, pos: PosIdx = noPos) { super(msg, pos, 'ERR_EVAL_IO') }
}
/** Impure or restricted operations refused by settings (pure-eval, restrict-eval). */
export class RestrictedError extends EvalError {
  constructor(msg: string, pos: PosIdx = noPos) { super(msg, pos, 'ERR_EVAL_RESTRICTED') }
}

/** Every evaluator error class, for the errors table test. */
export const evalErrorClasses = [
  EvalError, AssertionError, ThrownError, AbortError, NixTypeError, UndefinedVarError, MissingArgumentError,
  InfiniteRecursionError, StackOverflowError, ParseError, EvalIOError, RestrictedError,
] as const

// ---------------------------------------------------------------------------------------------
// Rendering (C++ libutil error.cc showErrorInfo / printCodeLines)

function codeLines(p: Pos): string {
  const o = p.origin
  if (o.kind === 'none') return ''
  let out = ''
  const prev = p.line > 1 ? lineOfCode(o, p.line - 1) : undefined
  const cur = lineOfCode(o, p.line)
  const next = lineOfCode(o, p.line + 1)
  if (cur === undefined) return ''
  if (prev !== undefined) out += `\n ${String(p.line - 1).padStart(5)}| ${prev}`
  out += `\n ${String(p.line).padStart(5)}| ${cur}`
  if (p.column > 0) out += `\n      |${' '.repeat(p.column)}^`
  if (next !== undefined) out += `\n ${String(p.line + 1).padStart(5)}| ${next}`
  return out
}

function posBlock(positions: PosTable, idx: PosIdx, indent: string): string | undefined {
  const p = positions.resolve(idx)
  if (!p) return undefined
  let out = `${indent}at ${showPos(p)}:`
  const lines = codeLines(p)
  if (lines) out += lines + '\n'
  return out
}

export interface RenderOptions {
  showTrace: boolean
  /** Prefix: `error` (default), `warning`, or `evaluation warning` (builtins.warn). */
  level?: 'error' | 'warning' | 'evaluation warning'
}

/**
 * An argument of a C++ `HintFmt` message as it is rendered: in magenta, whose escape codes
 * the printers strip again (terminal.ts `filterANSIEscapes`) — but only after trimming, so an
 * argument ending in a newline leaves a blank last line where a plain one would not.
 */
export function hintArg(s: string): string {
  return `\x1b[35;1m${s}\x1b[0m`
}

/** The text C++ Nix prints for an error (without the trailing newline). */
export function renderError(e: EvalError, positions: PosTable, opts: RenderOptions): string {
  const prefix = `${opts.level ?? 'error'}: `
  let oss = ''
  const traces = e.trace.slice().reverse()
  if (traces.length > 0) {
    const seen = new Set<string>()
    let skipped: TraceFrame[] = []
    let count = 0
    // C++ counts a printed frame once, and once more when it shows a position (duplicates
    // printed late count only their position); without --show-trace, ordinary frames stop
    // after the count passes 3.
    const printTrace = (t: TraceFrame): void => {
      oss += `\n\xe2\x80\xa6 ${t.hint}\n`
      const pb = posBlock(positions, t.pos, '  ')
      if (pb !== undefined) { oss += pb; count++ }
    }
    const flushSkipped = (): void => {
      if (skipped.length > 0) {
        // C++ passes its "seen" set by value here, so clearing it has no effect: reproduced.
        if (skipped.length <= 5) for (const t of skipped) printTrace(t)
        else oss += `\n(${skipped.length} duplicate frames omitted)\n`
      }
      skipped = []
    }
    for (const t of traces) {
      if (t.hint === '') continue
      if (!opts.showTrace && count > 3 && t.always !== true) {
        oss += "\n(stack trace truncated; use '--show-trace' to show the full, detailed trace)\n"
        break
      }
      const key = traceKey(positions, t)
      if (seen.has(key)) { skipped.push(t); continue }
      seen.add(key)
      flushSkipped()
      count++
      printTrace(t)
    }
    flushSkipped()
    oss += '\n'
    oss += prefix
  }
  oss += e.msg + '\n'
  if (e.pos !== noPos) {
    const pb = posBlock(positions, e.pos, '')
    if (pb !== undefined) oss += pb
  }
  if (e.suggestions !== undefined) oss += e.suggestions + '\n'
  return indentAndTrim(prefix, oss.replace(/[ \n\r\t]+$/, ''))
}

function traceKey(positions: PosTable, t: TraceFrame): string {
  const p = positions.resolve(t.pos)
  return p ? `${showPos(p)}\0${t.hint}` : `\0${t.hint}`
}

/** C++ `indent(prefix, spaces, text)`, then trailing whitespace removed from every line. */
/** C++ `indent` over an already chomped text: each line prefixed, then chomped; "" stays "". */
function indentAndTrim(first: string, s: string): string {
  if (s === '') return ''
  const rest = ' '.repeat(first.length)
  return s.split('\n').map((l, i) => ((i === 0 ? first : rest) + l).replace(/[ \t\r]+$/, '')).join('\n')
}

/** A warning in C++ format (`warning: msg` + position block). */
export function renderWarning(msg: string, positions: PosTable, pos: PosIdx): string {
  const e = new EvalError(msg, pos)
  return renderError(e, positions, { showTrace: false, level: 'warning' })
}

/**
 * Value printers:
 * - `printAmbiguous`: what `nix-instantiate --eval` prints (C++ print-ambiguous.cc): unforced
 *   values as `<CODE>`, functions as `<LAMBDA>`/`<PRIMOP>`/`<PRIMOP-APP>`, sets and lists
 *   already printed once as `«repeated»`.
 * - `printValue`: the printer of error messages and `trace` (C++ print.cc `ValuePrinter`):
 *   `«thunk»`, `«lambda f @ file:1:2»`, `«primop map»`, with depth and size limits.
 */
import { PosTable, showPos } from './pos.js'
import { formatG, printIdentifier, printLiteralString } from './show.js'
import { Attrs, Lambda, NixFloat, NixPath, NixString, PrimOp, PrimOpApp, Thunk, type Value, BLACKHOLE, FAILED } from './value.js'

/** The value of an evaluated thunk, or the thunk itself. */
function peel(v: Value): Value {
  while (v instanceof Thunk && v.code === null) v = v.value as Value
  return v
}

export function printAmbiguous(v: Value, seen: Set<object> = new Set(), depth = Number.MAX_SAFE_INTEGER): string {
  const out: string[] = []
  const go = (v: Value, depth: number): void => {
    v = peel(v)
    if (depth <= 0) { out.push('\xc2\xabtoo deep\xc2\xbb'); return }
    switch (typeof v) {
      case 'number': case 'bigint': out.push(String(v)); return
      case 'boolean': out.push(v ? 'true' : 'false'); return
      case 'string': out.push(printLiteralString(v)); return
    }
    if (v === null) { out.push('null'); return }
    if (v instanceof NixString) { out.push(printLiteralString(v.s)); return }
    if (v instanceof NixFloat) { out.push(formatG(v.value)); return }
    if (v instanceof NixPath) { out.push(v.path); return }
    if (v instanceof Attrs) {
      if (v.size > 0 && seen.has(v)) { out.push('\xc2\xabrepeated\xc2\xbb'); return }
      seen.add(v)
      out.push('{ ')
      for (const k of v.keys()) {
        out.push(k, ' = ')
        go(v.map.get(k)!, depth - 1)
        out.push('; ')
      }
      out.push('}')
      return
    }
    if (Array.isArray(v)) {
      if (v.length > 0 && seen.has(v)) { out.push('\xc2\xabrepeated\xc2\xbb'); return }
      seen.add(v)
      out.push('[ ')
      for (const x of v) { go(x, depth - 1); out.push(' ') }
      out.push(']')
      return
    }
    if (v instanceof Thunk) { out.push(v.code === BLACKHOLE ? '\xc2\xabpotential infinite recursion\xc2\xbb' : '<CODE>'); return }
    if (v instanceof Lambda) { out.push('<LAMBDA>'); return }
    if (v instanceof PrimOp) { out.push('<PRIMOP>'); return }
    if (v instanceof PrimOpApp) { out.push('<PRIMOP-APP>'); return }
    out.push('\xc2\xabunknown\xc2\xbb')
  }
  go(v, depth)
  return out.join('')
}

export interface PrintOptions {
  /** Force thunks while printing (trace does not; `nix eval` does). */
  force?: (v: Value) => Value
  maxDepth: number
  maxAttrs: number
  maxListItems: number
  maxStringLength: number
  /** Print derivations as «derivation /nix/store/…drv». */
  derivationPaths: boolean
  trackRepeated: boolean
  positions?: PosTable
}

/** C++ `errorPrintOptions`. */
export const errorPrintOptions: PrintOptions = {
  maxDepth: 10, maxAttrs: 10, maxListItems: 10, maxStringLength: 1024, derivationPaths: true, trackRepeated: true,
}

function isDerivation(a: Attrs): boolean {
  const t = peel(a.map.get('type') ?? null)
  return (typeof t === 'string' && t === 'derivation') || (t instanceof NixString && t.s === 'derivation')
}

export function printValue(v: Value, opts: PrintOptions = errorPrintOptions): string {
  const out: string[] = []
  const seen = new Set<object>()
  const str = (s: string): void => {
    if (s.length > opts.maxStringLength) {
      out.push(printLiteralString(s.slice(0, opts.maxStringLength)).slice(0, -1) + `"\xc2\xab${s.length - opts.maxStringLength} bytes elided\xc2\xbb`)
    } else out.push(printLiteralString(s))
  }
  const go = (v: Value, depth: number): void => {
    v = peel(v)
    if (opts.force && v instanceof Thunk) v = opts.force(v)
    switch (typeof v) {
      case 'number': case 'bigint': out.push(String(v)); return
      case 'boolean': out.push(v ? 'true' : 'false'); return
      case 'string': str(v); return
    }
    if (v === null) { out.push('null'); return }
    if (v instanceof NixString) { str(v.s); return }
    if (v instanceof NixFloat) { out.push(formatG(v.value)); return }
    if (v instanceof NixPath) { out.push(v.path); return }
    if (v instanceof Attrs) {
      if (opts.derivationPaths && isDerivation(v)) {
        const dp = peel(v.map.get('drvPath') ?? null)
        const p = typeof dp === 'string' ? dp : dp instanceof NixString ? dp.s : undefined
        out.push(p !== undefined ? `\xc2\xabderivation ${p}\xc2\xbb` : '\xc2\xabderivation\xc2\xbb')
        return
      }
      if (opts.trackRepeated && v.size > 0) {
        if (seen.has(v)) { out.push('\xc2\xabrepeated\xc2\xbb'); return }
        seen.add(v)
      }
      if (v.size === 0) { out.push('{ }'); return }
      if (depth >= opts.maxDepth) { out.push('{ ... }'); return }
      out.push('{ ')
      let n = 0
      const keys = v.keys()
      for (const k of keys) {
        if (n >= opts.maxAttrs) break
        out.push(printIdentifier(k), ' = ')
        go(v.map.get(k)!, depth + 1)
        out.push('; ')
        n++
      }
      if (keys.length > n) out.push(`\xc2\xab${keys.length - n} attribute${keys.length - n === 1 ? '' : 's'} elided\xc2\xbb `)
      out.push('}')
      return
    }
    if (Array.isArray(v)) {
      if (opts.trackRepeated && v.length > 0) {
        if (seen.has(v)) { out.push('\xc2\xabrepeated\xc2\xbb'); return }
        seen.add(v)
      }
      if (v.length === 0) { out.push('[ ]'); return }
      if (depth >= opts.maxDepth) { out.push('[ ... ]'); return }
      out.push('[ ')
      let n = 0
      for (const x of v) {
        if (n >= opts.maxListItems) break
        go(x, depth + 1)
        out.push(' ')
        n++
      }
      if (v.length > n) out.push(`\xc2\xab${v.length - n} item${v.length - n === 1 ? '' : 's'} elided\xc2\xbb `)
      out.push(']')
      return
    }
    if (v instanceof Thunk) {
      out.push(v.code === BLACKHOLE ? '\xc2\xabpotential infinite recursion\xc2\xbb' : v.code === FAILED ? '\xc2\xabfailed\xc2\xbb' : '\xc2\xabthunk\xc2\xbb')
      return
    }
    if (v instanceof Lambda) {
      const p = opts.positions?.resolve(v.info.pos)
      const where = p ? ` @ ${showPos(p)}` : ''
      out.push(v.info.name !== undefined ? `\xc2\xablambda ${v.info.name}${where}\xc2\xbb` : `\xc2\xablambda${where}\xc2\xbb`)
      return
    }
    if (v instanceof PrimOp) { out.push(`\xc2\xabprimop ${v.name}\xc2\xbb`); return }
    if (v instanceof PrimOpApp) { out.push(`\xc2\xabpartially applied primop ${v.primop.name}\xc2\xbb`); return }
    out.push('\xc2\xabunknown\xc2\xbb')
  }
  go(v, 0)
  return out.join('')
}

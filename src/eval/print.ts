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
import { Attrs, Lambda, NixFloat, NixPath, NixString, PrimOp, PrimOpApp, Thunk, type Value, BLACKHOLE, FAILED, isList, listIdentity } from './value.js'

/** The value of an evaluated thunk, or the thunk itself. */
function peel(v: Value): Value {
  while (v instanceof Thunk && v.code === null) v = v.value as Value
  return v
}

export function printAmbiguous(v: Value, seen: Set<object> = new Set(), depth = Number.MAX_SAFE_INTEGER): string {
  const out: string[] = []
  const go = (raw: Value, depth: number): void => {
    // C++ tracks lists by the address of the Value holding them: a thunk here, or the list.
    const v = peel(raw)
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
        out.push(printIdentifier(k), ' = ')
        go(v.get(k)!, depth - 1)
        out.push('; ')
      }
      out.push('}')
      return
    }
    if (isList(v)) {
      const listKey = listIdentity(raw, v)
      if (v.length > 0 && seen.has(listKey)) { out.push('\xc2\xabrepeated\xc2\xbb'); return }
      seen.add(listKey)
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
  const t = peel(a.get('type') ?? null)
  return (typeof t === 'string' && t === 'derivation') || (t instanceof NixString && t.s === 'derivation')
}

const isImportant = (k: string): boolean => k === 'type' || k === '_type'

export function printValue(v: Value, opts: PrintOptions = errorPrintOptions): string {
  const out: string[] = []
  const seen = new Set<object>()
  // C++ ValuePrinter counts printed attributes and list items over the whole value, after
  // printing each child, so limits apply globally.
  let attrsPrinted = 0
  let listItemsPrinted = 0
  const E = (s: string): string => `\xc2\xab${s}\xc2\xbb`
  const str = (s: string): void => {
    if (s.length > opts.maxStringLength) {
      out.push(printLiteralString(s.slice(0, opts.maxStringLength)) + E(`${s.length - opts.maxStringLength} bytes elided`))
    } else out.push(printLiteralString(s))
  }
  const go = (raw: Value, depth: number): void => {
    let v = peel(raw)
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
      if (opts.trackRepeated && v.size > 0) {
        if (seen.has(v)) { out.push(E('repeated')); return }
        seen.add(v)
      }
      if (opts.force && opts.derivationPaths && isDerivation(v)) {
        const dp = peel(v.get('drvPath') ?? null)
        const p = typeof dp === 'string' ? dp : dp instanceof NixString ? dp.s : undefined
        out.push(p !== undefined ? E(`derivation ${p}`) : E('derivation'))
        return
      }
      if (depth >= opts.maxDepth) { out.push('{ ... }'); return }
      out.push('{')
      const keys = opts.maxAttrs === Infinity ? v.keys() : [...v.keys()].sort((a, b) => (isImportant(a) === isImportant(b) ? (a < b ? -1 : a > b ? 1 : 0) : isImportant(a) ? -1 : 1))
      let current = 0
      for (const k of keys) {
        out.push(' ')
        if (attrsPrinted >= opts.maxAttrs) {
          const n = keys.length - current
          out.push(E(`${n} attribute${n === 1 ? '' : 's'} elided`))
          break
        }
        out.push(printIdentifier(k), ' = ')
        go(v.get(k)!, depth + 1)
        out.push(';')
        attrsPrinted++
        current++
      }
      out.push(' }')
      return
    }
    if (isList(v)) {
      const key = listIdentity(raw, v)
      if (opts.trackRepeated && v.length > 0) {
        if (seen.has(key)) { out.push(E('repeated')); return }
        seen.add(key)
      }
      if (depth >= opts.maxDepth) { out.push('[ ... ]'); return }
      out.push('[')
      let current = 0
      for (const x of v) {
        out.push(' ')
        if (listItemsPrinted >= opts.maxListItems) {
          const n = v.length - current
          out.push(E(`${n} item${n === 1 ? '' : 's'} elided`))
          break
        }
        go(x, depth + 1)
        listItemsPrinted++
        current++
      }
      out.push(' ]')
      return
    }
    if (v instanceof Thunk) {
      out.push(v.code === BLACKHOLE ? E('potential infinite recursion') : v.code === FAILED ? E('failed') : E('thunk'))
      return
    }
    if (v instanceof Lambda) {
      const p = opts.positions?.resolve(v.info.pos)
      const where = p ? ` @ ${showPos(p)}` : ''
      out.push(v.info.name !== undefined ? E(`lambda ${v.info.name}${where}`) : E(`lambda${where}`))
      return
    }
    if (v instanceof PrimOp) { out.push(E(`primop ${v.name}`)); return }
    if (v instanceof PrimOpApp) { out.push(E(`partially applied primop ${v.primop.name}`)); return }
    out.push(E('unknown'))
  }
  go(v, 0)
  return out.join('')
}

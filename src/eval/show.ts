/**
 * `nix-instantiate --parse` output: C++ Nix's `Expr::show` (src/libexpr/nixexpr.cc), plus the
 * literal printers it shares with the value printer (`printLiteralString`, `printIdentifier`,
 * `std::ostream << double`).
 */
import type { AttrName, Expr, ExprAttrs } from './ast.js'
import { compareBytes } from './value.js'

/** C++ `printLiteralString`: quotes, escapes `"` `\` `\n` `\r` `\t` and `${`. */
export function printLiteralString(s: string): string {
  let out = '"'
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!
    if (c === '"' || c === '\\') out += '\\' + c
    else if (c === '\n') out += '\\n'
    else if (c === '\r') out += '\\r'
    else if (c === '\t') out += '\\t'
    else if (c === '$' && s[i + 1] === '{') { out += '\\${'; i++ }
    else out += c
  }
  return out + '"'
}

/** C++ isReservedKeyword (`or` is deliberately not among them). */
const RESERVED = new Set(['if', 'then', 'else', 'assert', 'with', 'let', 'in', 'rec', 'inherit'])

/** C++ `printIdentifier` (also how a symbol prints in messages): quoted unless a plain identifier. */
export function printIdentifier(s: string): string {
  if (s === '') return '""'
  if (RESERVED.has(s)) return `"${s}"`
  const c = s.charCodeAt(0)
  if (!((c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95)) return printLiteralString(s)
  for (let i = 1; i < s.length; i++) {
    const d = s.charCodeAt(i)
    if (!((d >= 97 && d <= 122) || (d >= 65 && d <= 90) || (d >= 48 && d <= 57) || d === 95 || d === 39 || d === 45)) {
      return printLiteralString(s)
    }
  }
  return s
}

/**
 * C `%f` (what `std::to_string(double)` gives, used by `toString` on floats): the exact binary
 * value rounded to 6 decimals, ties to even as glibc does; sign kept for -0.
 */
export function formatFixed6(x: number): string {
  if (Number.isNaN(x)) return x < 0 || Object.is(x, -NaN) ? '-nan' : 'nan'
  const neg = x < 0 || Object.is(x, -0)
  const a = Math.abs(x)
  if (a === Infinity) return neg ? '-inf' : 'inf'
  // a = m · 2^e exactly.
  const buf = new DataView(new ArrayBuffer(8))
  buf.setFloat64(0, a)
  const hi = buf.getUint32(0)
  const lo = buf.getUint32(4)
  const bexp = (hi >>> 20) & 0x7ff
  let m = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo)
  let e: number
  if (bexp === 0) e = -1074
  else { m |= 1n << 52n; e = bexp - 1075 }
  let q: bigint
  if (e >= 0) q = (m << BigInt(e)) * 1000000n
  else {
    const num = m * 1000000n
    const den = 1n << BigInt(-e)
    q = num / den
    const r2 = (num % den) * 2n
    if (r2 > den || (r2 === den && (q & 1n) === 1n)) q += 1n
  }
  const digits = q.toString().padStart(7, '0')
  return `${neg ? '-' : ''}${digits.slice(0, -6)}.${digits.slice(-6)}`
}

/** C `%g` with the given precision (what `std::ostream << double` prints with precision 6). */
export function formatG(x: number, precision = 6): string {
  if (Number.isNaN(x)) return x < 0 ? '-nan' : 'nan'
  if (x === Infinity) return 'inf'
  if (x === -Infinity) return '-inf'
  if (x === 0) return Object.is(x, -0) ? '-0' : '0'
  const p = precision === 0 ? 1 : precision
  // Round the exact binary value to p significant digits, ties to even (glibc), not JS's
  // ties-away toExponential/toFixed.
  const { digits, exp } = roundSignificant(Math.abs(x), p)
  const sign = x < 0 ? '-' : ''
  if (exp < -4 || exp >= p) {
    const m = stripZeros(digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits)
    return `${sign}${m}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`
  }
  // Fixed notation with p - 1 - exp decimals: the same p significant digits.
  let s: string
  if (exp >= 0) s = `${digits.slice(0, exp + 1)}.${digits.slice(exp + 1)}`
  else s = `0.${'0'.repeat(-exp - 1)}${digits}`
  return sign + stripZeros(s)
}

/** The exact decimal expansion of a positive finite double: value = digits × 10^pow. */
function exactDecimal(a: number): { digits: string; pow: number } {
  const dv = new DataView(new ArrayBuffer(8))
  dv.setFloat64(0, a)
  const bits = dv.getBigUint64(0)
  const bexp = Number(bits >> 52n)
  let m = bits & ((1n << 52n) - 1n)
  let e: number
  if (bexp === 0) e = -1074
  else { m |= 1n << 52n; e = bexp - 1075 }
  // m·2^e = m·5^-e / 10^-e for e < 0.
  if (e >= 0) return { digits: (m << BigInt(e)).toString(), pow: 0 }
  return { digits: (m * 5n ** BigInt(-e)).toString(), pow: e }
}

/** `a` rounded to `p` significant digits (ties to even): the digits and the decimal exponent of the first. */
function roundSignificant(a: number, p: number): { digits: string; exp: number } {
  const { digits: all, pow } = exactDecimal(a)
  const d = all.replace(/^0+/, '')
  let exp = d.length - 1 + pow
  if (d.length <= p) return { digits: d.padEnd(p, '0'), exp }
  let head = d.slice(0, p)
  const rest = d.slice(p)
  const c = rest.charCodeAt(0) - 48
  const tie = c === 5 && /^0*$/.test(rest.slice(1))
  const up = c > 5 || (c === 5 && !tie) || (tie && (head.charCodeAt(p - 1) - 48) % 2 === 1)
  if (up) {
    const r = (BigInt(head) + 1n).toString()
    if (r.length > p) { head = r.slice(0, p); exp++ } else head = r
  }
  return { digits: head, exp }
}

function stripZeros(s: string): string {
  if (s.indexOf('.') < 0) return s
  return s.replace(/0+$/, '').replace(/\.$/, '')
}

export function showAttrPath(path: readonly AttrName[]): string {
  return path.map(a => (a.name !== undefined ? printIdentifier(a.name) : `"\${${showExpr(a.expr)}}"`)).join('.')
}

function showBindings(a: ExprAttrs): string {
  let out = ''
  const sorted = [...a.attrs.entries()].sort((x, y) => compareBytes(x[0], y[0]))
  const inherits: string[] = []
  const inheritsFrom = new Map<number, string[]>()
  for (const [name, def] of sorted) {
    if (def.kind === 'inherited') inherits.push(name)
    else if (def.kind === 'inheritedFrom' && def.e.kind === 'select' && def.e.e.kind === 'inheritFrom') {
      const d = def.e.e.displ
      const l = inheritsFrom.get(d) ?? []
      l.push(name)
      inheritsFrom.set(d, l)
    }
  }
  if (inherits.length > 0) out += `inherit ${inherits.map(printIdentifier).join(' ')}; `
  for (const [d, names] of [...inheritsFrom].sort((x, y) => x[0] - y[0])) {
    out += `inherit (${showExpr(a.inheritFrom![d]!)}) ${names.map(printIdentifier).join(' ')}; `
  }
  for (const [name, def] of sorted) {
    if (def.kind === 'plain') out += `${printIdentifier(name)} = ${showExpr(def.e)}; `
  }
  for (const d of a.dynamic) out += `"\${${showExpr(d.nameExpr)}}" = ${showExpr(d.valueExpr)}; `
  return out
}

export function showExpr(e: Expr): string {
  switch (e.kind) {
    case 'int': return String(e.value)
    case 'float': return formatG(e.value)
    case 'string': return printLiteralString(e.value)
    case 'path': return e.value
    case 'var': return e.name
    case 'select': {
      let s = `(${showExpr(e.e)}).${showAttrPath(e.path)}`
      if (e.def) s += ` or (${showExpr(e.def)})`
      return s
    }
    case 'hasAttr': return `((${showExpr(e.e)}) ? ${showAttrPath(e.path)})`
    case 'attrs': return `${e.rec ? 'rec ' : ''}{ ${showBindings(e)}}`
    case 'list': return `[ ${e.elems.map(x => `(${showExpr(x)}) `).join('')}]`
    case 'lambda': {
      let s = '('
      if (e.formals) {
        const fs = [...e.formals].sort((a, b) => compareBytes(a.name, b.name))
        const parts = fs.map(f => (f.def ? `${f.name} ? ${showExpr(f.def)}` : f.name))
        if (e.ellipsis) parts.push('...')
        s += `{ ${parts.join(', ')} }`
        if (e.arg !== undefined) s += ' @ '
      }
      if (e.arg !== undefined) s += e.arg
      return `${s}: ${showExpr(e.body)})`
    }
    case 'call': return `(${showExpr(e.fn)} ${e.args.map(showExpr).join(' ')})`
    case 'let': return `(let ${showBindings(e.attrs)}in ${showExpr(e.body)})`
    case 'with': return `(with ${showExpr(e.attrs)}; ${showExpr(e.body)})`
    case 'if': return `(if ${showExpr(e.cond)} then ${showExpr(e.then)} else ${showExpr(e.else)})`
    case 'assert': return `assert ${showExpr(e.cond)}; ${showExpr(e.body)}`
    case 'not': return `(! ${showExpr(e.e)})`
    case 'binop': return `(${showExpr(e.e1)} ${e.op} ${showExpr(e.e2)})`
    case 'concatStrings': return `(${e.parts.map(p => showExpr(p[1])).join(' + ')})`
    case 'curPos': return '__curPos'
    case 'inheritFrom': return `__inheritFrom${e.displ}`
  }
}

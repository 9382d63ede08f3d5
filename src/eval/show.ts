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

/** C++ `printIdentifier`: an attribute name, quoted unless it is a plain identifier. */
export function printIdentifier(s: string): string {
  if (s === '') return '""'
  if (s === 'if') return '"if"'
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

const KEYWORDS = new Set(['if', 'then', 'else', 'assert', 'with', 'let', 'in', 'rec', 'inherit', 'or'])

/** C++ `isValidIdentifier`: a name that needs no quotes as an attribute name. */
export function isValidIdentifier(s: string): boolean {
  if (s === '' || KEYWORDS.has(s)) return false
  const c = s.charCodeAt(0)
  if ((c >= 48 && c <= 57) || c === 45 || c === 39) return false
  for (let i = 0; i < s.length; i++) {
    const d = s.charCodeAt(i)
    if (!((d >= 97 && d <= 122) || (d >= 65 && d <= 90) || (d >= 48 && d <= 57) || d === 95 || d === 45 || d === 39)) return false
  }
  return true
}

/** C++ `printAttributeName`, used when printing values (printIdentifier is for expressions). */
export function printAttributeName(s: string): string {
  return isValidIdentifier(s) ? s : printLiteralString(s)
}

/** C `%g` with the given precision (what `std::ostream << double` prints with precision 6). */
export function formatG(x: number, precision = 6): string {
  if (Number.isNaN(x)) return x < 0 ? '-nan' : 'nan'
  if (x === Infinity) return 'inf'
  if (x === -Infinity) return '-inf'
  if (x === 0) return Object.is(x, -0) ? '-0' : '0'
  const p = precision === 0 ? 1 : precision
  const exp = Number(x.toExponential(p - 1).split('e')[1])
  if (exp < -4 || exp >= p) {
    const [mant, e] = x.toExponential(p - 1).split('e') as [string, string]
    const m = stripZeros(mant)
    const en = Number(e)
    return `${m}e${en < 0 ? '-' : '+'}${String(Math.abs(en)).padStart(2, '0')}`
  }
  return stripZeros(x.toFixed(Math.max(0, p - 1 - exp)))
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

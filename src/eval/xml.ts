/**
 * The XML form of values (C++ value-to-xml.cc with its indenting XMLWriter): used by
 * `nix-instantiate --eval --xml` and `builtins.toXML`.
 */
import type { EvalState } from './eval-state.js'
import { type PosIdx, noPos } from './pos.js'
import { formatG } from './show.js'
import { Attrs, type ContextElem, Lambda, isList, NixFloat, NixPath, NixString, PrimOp, PrimOpApp, Thunk, type Value } from './value.js'

function escapeAttr(s: string): string {
  let out = ''
  for (const c of s) {
    if (c === '"') out += '&quot;'
    else if (c === '<') out += '&lt;'
    else if (c === '>') out += '&gt;'
    else if (c === '&') out += '&amp;'
    else if (c === '\n') out += '&#xA;'
    else out += c
  }
  return out
}

class XMLWriter {
  out = "<?xml version='1.0' encoding='utf-8'?>\n"
  private readonly stack: string[] = []
  private attrs(a: Record<string, string>): string {
    return Object.keys(a).sort().map(k => ` ${k}="${escapeAttr(a[k]!)}"`).join('')
  }
  open(name: string, a: Record<string, string> = {}): void {
    this.out += `${'  '.repeat(this.stack.length)}<${name}${this.attrs(a)}>\n`
    this.stack.push(name)
  }
  close(): void {
    const name = this.stack.pop()!
    this.out += `${'  '.repeat(this.stack.length)}</${name}>\n`
  }
  closeAll(): void {
    while (this.stack.length > 0) this.close()
  }
  empty(name: string, a: Record<string, string> = {}): void {
    this.out += `${'  '.repeat(this.stack.length)}<${name}${this.attrs(a)} />\n`
  }
}

export function valueToXML(st: EvalState, v: Value, strict: boolean, location: boolean, ctx: Set<ContextElem>, pos: PosIdx = noPos): string {
  const doc = new XMLWriter()
  printXML(doc, st, v, strict, location, ctx, pos)
  return doc.out
}

/**
 * `nix-instantiate --xml`: C++ streams the document, so when evaluation fails halfway the part
 * written so far reaches stdout, with every open element closed (RAII) — `write` gets that
 * text before the error propagates.
 */
export function writeValueAsXML(st: EvalState, v: Value, strict: boolean, location: boolean, ctx: Set<ContextElem>, write: (s: string) => void): void {
  const doc = new XMLWriter()
  try {
    printXML(doc, st, v, strict, location, ctx, noPos)
  } catch (e) {
    doc.closeAll()
    write(doc.out)
    throw e
  }
  write(doc.out)
}

function printXML(doc: XMLWriter, st: EvalState, v: Value, strict: boolean, location: boolean, ctx: Set<ContextElem>, pos: PosIdx): void {
  const drvsSeen = new Set<string>()
  const posAttrs = (a: Record<string, string>, p: PosIdx): void => {
    const r = st.positions.resolve(p)
    if (!r) return
    if (r.origin.kind === 'file') a['path'] = r.origin.path
    a['line'] = String(r.line)
    a['column'] = String(r.column)
  }
  const showAttrs = (s: Attrs): void => {
    for (const k of s.keys()) {
      const a: Record<string, string> = { name: k }
      if (location && s.posOf(k) !== noPos) posAttrs(a, s.posOf(k))
      doc.open('attr', a)
      go(s.get(k)!, s.posOf(k))
      doc.close()
    }
  }
  const strOf = (x: Value): string | undefined => (typeof x === 'string' ? x : x instanceof NixString ? x.s : undefined)
  const go = (v: Value, pos: PosIdx): void => {
    if (strict) v = st.force(v, pos)
    else if (v instanceof Thunk && v.code === null) v = v.value as Value
    if (typeof v === 'number' || typeof v === 'bigint') doc.empty('int', { value: String(v) })
    else if (typeof v === 'boolean') doc.empty('bool', { value: v ? 'true' : 'false' })
    else if (typeof v === 'string') doc.empty('string', { value: v })
    else if (v instanceof NixString) { for (const c of v.context) ctx.add(c); doc.empty('string', { value: v.s }) }
    else if (v instanceof NixPath) doc.empty('path', { value: v.path })
    else if (v === null) doc.empty('null')
    else if (v instanceof NixFloat) doc.empty('float', { value: formatG(v.value) })
    else if (v instanceof Attrs) {
      if (st.isDerivation(v)) {
        const a: Record<string, string> = {}
        let drvPath = ''
        const dp = v.get('drvPath')
        if (dp !== undefined) {
          const x = strict ? st.force(dp, v.posOf('drvPath')) : dp
          const s = strOf(x)
          if (s !== undefined) { a['drvPath'] = s; drvPath = s }
        }
        const op = v.get('outPath')
        if (op !== undefined) {
          const s = strOf(strict ? st.force(op, v.posOf('outPath')) : op)
          if (s !== undefined) a['outPath'] = s
        }
        doc.open('derivation', a)
        if (drvPath !== '' && !drvsSeen.has(drvPath)) { drvsSeen.add(drvPath); showAttrs(v) } else doc.empty('repeated')
        doc.close()
      } else {
        doc.open('attrs')
        showAttrs(v)
        doc.close()
      }
    } else if (isList(v)) {
      doc.open('list')
      for (const x of v) go(x, pos)
      doc.close()
    } else if (v instanceof Lambda) {
      const a: Record<string, string> = {}
      if (location) posAttrs(a, v.info.pos)
      doc.open('function', a)
      if (v.info.formals) {
        const pa: Record<string, string> = {}
        if (v.info.arg !== undefined) pa['name'] = v.info.arg
        if (v.info.ellipsis) pa['ellipsis'] = '1'
        doc.open('attrspat', pa)
        for (const f of [...v.info.formals].sort((x, y) => (x.name < y.name ? -1 : x.name > y.name ? 1 : 0))) doc.empty('attr', { name: f.name })
        doc.close()
      } else doc.empty('varpat', { name: v.info.arg! })
      doc.close()
    } else if (v instanceof PrimOp || v instanceof PrimOpApp || v instanceof Thunk) doc.empty('unevaluated')
  }
  doc.open('expr')
  go(v, pos)
  doc.close()
}

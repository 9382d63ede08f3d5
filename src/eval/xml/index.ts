/**
 * `builtins.toXML` and `nix-instantiate --eval --xml`: C++ Nix's XML rendering of a value
 * (value-to-xml.cc over xml-writer.cc), over a small view of values that the evaluator
 * implements, so this module does not depend on the evaluator's value model.
 *
 *   <?xml version='1.0' encoding='utf-8'?>
 *   <expr>
 *     <attrs>
 *       <attr name="a">
 *         <string value="s" />
 *       </attr>
 *     </attrs>
 *   </expr>
 *
 * Rules kept from C++ Nix: two spaces of indentation per level; XML attributes in name order
 * (`column`, `line`, `path`; `ellipsis`, `name`); `"` `<` `>` `&` and newline escaped in
 * attribute values (`&#xA;`), every other byte written as is; attribute set names and lambda
 * formals in byte order; floats as `std::ostream` prints them (`567.89`, `1e+06`); a
 * derivation (`type = "derivation"`) as `<derivation drvPath=… outPath=…>` with its attributes
 * the first time its drvPath is seen and `<repeated />` after; primops and partial primop
 * applications, and values left unevaluated in non-strict mode, as `<unevaluated />`.
 *
 * How a caller uses it (the evaluator supplies `inspect`, which forces the value when `strict`
 * is set, and copies a string's context into the result's when it meets one — C++ `toXML`
 * returns a string with the context of every string inside):
 *
 *   // builtins.toXML v: strict, no locations
 *   const xml = printValueAsXml(view, v, { strict: true, location: false })
 *   // nix-instantiate --eval --xml [--strict] [--no-location]
 *   process.stdout.write(printValueAsXml(view, v, { strict, location: !noLocation }))
 */
import { showFloat } from '../printf/index.js'

/** A source position, as `posToXML` shows it. */
export interface XmlPos {
  /** The file, absent for positions not in a file (`-E` strings, `builtins.toXML` stdin…). */
  readonly path?: string
  readonly line: number
  readonly column: number
}

/** What the evaluator tells about one value. */
export type XmlNode<V> =
  | { readonly type: 'int'; readonly value: bigint | number }
  | { readonly type: 'float'; readonly value: number }
  | { readonly type: 'bool'; readonly value: boolean }
  | { readonly type: 'string'; readonly value: string }
  | { readonly type: 'path'; readonly value: string }
  | { readonly type: 'null' }
  | { readonly type: 'list'; readonly items: readonly V[] }
  | {
    readonly type: 'attrs'
    /** Attribute names (any order). */
    readonly names: readonly string[]
    readonly get: (name: string) => { readonly value: V; readonly pos?: XmlPos | undefined }
    /**
     * Set when the set is a derivation (`type = "derivation"`): its `drvPath` and `outPath` when
     * they are strings (forced first in strict mode).
     */
    readonly derivation?: { readonly drvPath?: string | undefined; readonly outPath?: string | undefined } | undefined
  }
  | {
    readonly type: 'lambda'
    readonly pos?: XmlPos | undefined
    /** `{ a, b ? 1, ... }` patterns; absent for a plain `x: …`. */
    readonly formals?: { readonly names: readonly string[]; readonly ellipsis: boolean } | undefined
    /** The `x` of `x: …` or of `x@{ … }`. */
    readonly arg?: string | undefined
  }
  /** A primop or a partially applied primop: C++ does not serialise those. */
  | { readonly type: 'primop' }
  /** A value not evaluated (only in non-strict mode). */
  | { readonly type: 'thunk' }

export interface XmlValueView<V> {
  inspect(value: V, strict: boolean): XmlNode<V>
}

export interface XmlOptions {
  /** Force values as they are printed (`toXML` and `--strict`). */
  readonly strict: boolean
  /** Add `path`/`line`/`column` to attributes and functions (`--xml` without `--no-location`). */
  readonly location: boolean
}

const byBytes = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0)

function escape(value: string): string {
  let out = ''
  for (let i = 0; i < value.length; i++) {
    const c = value[i]!
    out += c === '"' ? '&quot;' : c === '<' ? '&lt;' : c === '>' ? '&gt;' : c === '&' ? '&amp;' : c === '\n' ? '&#xA;' : c
  }
  return out
}

/** `XMLAttrs` is a std::map: attributes come out in name order. */
function attrs(a: Record<string, string>): string {
  return Object.keys(a).sort(byBytes).map((k) => ` ${k}="${escape(a[k]!)}"`).join('')
}

function posAttrs(pos: XmlPos | undefined, into: Record<string, string>): void {
  if (pos === undefined) return
  if (pos.path !== undefined) into['path'] = pos.path
  into['line'] = String(pos.line)
  into['column'] = String(pos.column)
}

/** The document C++ Nix writes for `root` (binary string; ends with a newline). */
export function printValueAsXml<V>(view: XmlValueView<V>, root: V, opts: XmlOptions): string {
  const out: string[] = ["<?xml version='1.0' encoding='utf-8'?>\n<expr>\n"]
  const seenDrvs = new Set<string>()
  const empty = (depth: number, name: string, a: Record<string, string> = {}): void => {
    out.push(`${'  '.repeat(depth)}<${name}${attrs(a)} />\n`)
  }
  const open = (depth: number, name: string, a: Record<string, string> = {}): void => {
    out.push(`${'  '.repeat(depth)}<${name}${attrs(a)}>\n`)
  }
  const close = (depth: number, name: string): void => { out.push(`${'  '.repeat(depth)}</${name}>\n`) }

  const showAttrs = (node: Extract<XmlNode<V>, { type: 'attrs' }>, depth: number): void => {
    for (const name of [...new Set(node.names)].sort(byBytes)) {
      const { value, pos } = node.get(name)
      const a: Record<string, string> = { name }
      if (opts.location) posAttrs(pos, a)
      open(depth, 'attr', a)
      print(value, depth + 1)
      close(depth, 'attr')
    }
  }

  const print = (v: V, depth: number): void => {
    const node = view.inspect(v, opts.strict)
    switch (node.type) {
      case 'int': empty(depth, 'int', { value: node.value.toString() }); break
      case 'float': empty(depth, 'float', { value: showFloat(node.value) }); break
      case 'bool': empty(depth, 'bool', { value: node.value ? 'true' : 'false' }); break
      case 'string': empty(depth, 'string', { value: node.value }); break
      case 'path': empty(depth, 'path', { value: node.value }); break
      case 'null': empty(depth, 'null'); break
      case 'list':
        open(depth, 'list')
        for (const item of node.items) print(item, depth + 1)
        close(depth, 'list')
        break
      case 'attrs': {
        const drv = node.derivation
        if (drv === undefined) {
          open(depth, 'attrs')
          showAttrs(node, depth + 1)
          close(depth, 'attrs')
          break
        }
        const a: Record<string, string> = {}
        if (drv.drvPath !== undefined) a['drvPath'] = drv.drvPath
        if (drv.outPath !== undefined) a['outPath'] = drv.outPath
        open(depth, 'derivation', a)
        const drvPath = drv.drvPath ?? ''
        if (drvPath !== '' && !seenDrvs.has(drvPath)) {
          seenDrvs.add(drvPath)
          showAttrs(node, depth + 1)
        } else empty(depth + 1, 'repeated')
        close(depth, 'derivation')
        break
      }
      case 'lambda': {
        const a: Record<string, string> = {}
        if (opts.location) posAttrs(node.pos, a)
        open(depth, 'function', a)
        if (node.formals !== undefined) {
          const pa: Record<string, string> = {}
          if (node.arg !== undefined) pa['name'] = node.arg
          if (node.formals.ellipsis) pa['ellipsis'] = '1'
          open(depth + 1, 'attrspat', pa)
          for (const f of [...node.formals.names].sort(byBytes)) empty(depth + 2, 'attr', { name: f })
          close(depth + 1, 'attrspat')
        } else empty(depth + 1, 'varpat', { name: node.arg ?? '' })
        close(depth, 'function')
        break
      }
      case 'primop': case 'thunk': empty(depth, 'unevaluated'); break
    }
  }

  print(root, 1)
  out.push('</expr>\n')
  return out.join('')
}

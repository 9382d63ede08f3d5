/**
 * Random Nix values for the XML goldens, as Nix source (written out with every position known)
 * and as a description of the value (`TestValue`). Expected output comes from C++ Nix, never
 * from here.
 */
/** A source position (1-based line and column). */
export interface XmlPos { readonly path: string; readonly line: number; readonly column: number }
import { rng } from '../eval-regex/generate.js'

export type TestValue =
  | { t: 'int'; v: bigint } | { t: 'float'; v: number } | { t: 'bool'; v: boolean } | { t: 'string'; v: string }
  | { t: 'path'; v: string } | { t: 'null' } | { t: 'primop' } | { t: 'list'; items: TestValue[] }
  | { t: 'attrs'; entries: Array<{ name: string; value: TestValue; pos: XmlPos }>; drv?: { drvPath?: string; outPath?: string } }
  | { t: 'lambda'; pos: XmlPos; formals?: { names: string[]; ellipsis: boolean }; arg?: string }

/** A Nix string literal for a binary string. */
export function nixString(s: string): string {
  return '"' + s.replace(/[\\"$]/g, (c) => '\\' + c).replace(/\n/g, '\\n').replace(/\r/g, '\\r').replace(/\t/g, '\\t') + '"'
}

/** Writes source text and knows the (line, column) of what it writes next. */
class Writer {
  text = ''
  line = 1
  col = 1
  constructor(readonly path: string) {}
  pos(): XmlPos { return { path: this.path, line: this.line, column: this.col } }
  write(s: string): void {
    for (const ch of s) {
      if (ch === '\n') { this.line++; this.col = 1 } else this.col++
    }
    this.text += s
  }
}

const STRINGS = ['', 's', 'a b', 'quote " amp & lt < gt >', 'new\nline', 'tab\tx', "apos '", '\u00c3\u00a9', '\u00ff\u0080', '${x}', '\\back']
const NAMES = ['a', 'b', 'z', 'A', 'x-y', '_', 'with space', '"q"', '<tag>', '\u00c3\u00a9', 'type', 'drvPath', '1']

export function generateValue(seed: number, path: string): { source: string; value: TestValue } {
  const r = rng(seed)
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!
  const w = new Writer(path)
  let drvCount = 0
  const gen = (depth: number, indent: string): TestValue => {
    const k = r()
    if (depth > 0 && k < 0.18) {
      const n = Math.floor(r() * 4)
      w.write('[')
      const items: TestValue[] = []
      for (let i = 0; i < n; i++) { w.write(' ('); items.push(gen(depth - 1, indent)); w.write(')') }
      w.write(' ]')
      return { t: 'list', items }
    }
    if (depth > 0 && k < 0.36) {
      const entries: Array<{ name: string; value: TestValue; pos: XmlPos }> = []
      const names = [...new Set(Array.from({ length: Math.floor(r() * 4) }, () => pick(NAMES)))].filter((x) => x !== 'type')
      w.write('{\n')
      for (const name of names) {
        w.write(indent + '  ')
        const pos = w.pos()
        w.write(nixString(name) + ' = ')
        const value = gen(depth - 1, indent + '  ')
        w.write(';\n')
        entries.push({ name, value, pos })
      }
      w.write(indent + '}')
      return { t: 'attrs', entries }
    }
    if (k < 0.44) {
      if (r() < 0.15) {
        // no drvPath: C++ shows it as already seen
        w.write('{\n' + indent + '  ')
        const pos = w.pos()
        w.write('type = "derivation";\n' + indent + '}')
        return { t: 'attrs', entries: [{ name: 'type', value: { t: 'string', v: 'derivation' }, pos }], drv: {} }
      }
      // a derivation-like set; the same drvPath twice gives <repeated />
      const id = drvCount > 0 && r() < 0.7 ? Math.floor(r() * drvCount) : drvCount++
      const drvPath = `/nix/store/${'a'.repeat(31)}${id}-d${id}.drv`
      const outPath = `/nix/store/${'b'.repeat(31)}${id}-d${id}`
      w.write('{\n')
      const entries: Array<{ name: string; value: TestValue; pos: XmlPos }> = []
      for (const [name, v] of [['type', 'derivation'], ['drvPath', drvPath], ['outPath', outPath], ['name', `d${id}`]] as const) {
        w.write(indent + '  ')
        const pos = w.pos()
        w.write(`${name} = ${nixString(v)};\n`)
        entries.push({ name, value: { t: 'string', v }, pos })
      }
      w.write(indent + '}')
      return { t: 'attrs', entries, drv: { drvPath, outPath } }
    }
    if (k < 0.52) {
      const pos = w.pos()
      const shape = r()
      if (shape < 0.3) { const arg = pick(['x', 'arg', 'y_1']); w.write(`${arg}: ${arg}`); return { t: 'lambda', pos, arg } }
      const names = [...new Set(Array.from({ length: Math.floor(r() * 4) }, () => pick(['a', 'b', 'c', 'z', 'x-y'])))]
      const ellipsis = r() < 0.3
      const arg = r() < 0.3 ? 'args' : undefined
      const parts = names.map((n) => (r() < 0.3 ? `${n} ? 1` : n))
      if (ellipsis) parts.push('...')
      w.write(`${arg !== undefined ? arg + '@' : ''}{ ${parts.join(', ')} }: null`)
      return { t: 'lambda', pos, formals: { names, ellipsis }, ...(arg !== undefined ? { arg } : {}) }
    }
    if (k < 0.57) { w.write(pick(['builtins.add', 'builtins.map (x: x)', 'builtins.head', 'builtins.toXML'])); return { t: 'primop' } }
    if (k < 0.65) { const v = BigInt(Math.floor((r() - 0.5) * 2 ** 40)); w.write(v < 0n ? `(${v})` : String(v)); return { t: 'int', v } }
    if (k < 0.72) {
      const v = pick([0.1, 567.89, 1e6, -2.5, 1e-7, 123456789.125, 3.0, 1e300])
      w.write(`(builtins.fromJSON "${v.toExponential()}")`)
      return { t: 'float', v }
    }
    if (k < 0.77) { const v = r() < 0.5; w.write(String(v)); return { t: 'bool', v } }
    if (k < 0.8) { w.write('null'); return { t: 'null' } }
    if (k < 0.84) { const v = pick(['/foo/bar', '/a/b.c', '/x']); w.write(v); return { t: 'path', v } }
    const v = pick(STRINGS)
    w.write(nixString(v))
    return { t: 'string', v }
  }
  const value = gen(3, '')
  return { source: w.text, value }
}

/** A hand-built case: one derivation met three times (the first shows its attributes). */
export function repeatedDerivation(path: string): { source: string; value: TestValue } {
  const source = 'let\n  d = {\n    type = "derivation";\n    drvPath = "/nix/store/x.drv";\n    outPath = "/nix/store/x";\n  };\nin [ d d { inner = d; } ]'
  const at = (line: number, column: number): XmlPos => ({ path, line, column })
  const d: TestValue = {
    t: 'attrs',
    entries: [
      { name: 'type', value: { t: 'string', v: 'derivation' }, pos: at(3, 5) },
      { name: 'drvPath', value: { t: 'string', v: '/nix/store/x.drv' }, pos: at(4, 5) },
      { name: 'outPath', value: { t: 'string', v: '/nix/store/x' }, pos: at(5, 5) },
    ],
    drv: { drvPath: '/nix/store/x.drv', outPath: '/nix/store/x' },
  }
  return { source, value: { t: 'list', items: [d, d, { t: 'attrs', entries: [{ name: 'inner', value: d, pos: at(7, 12) }] }] } }
}

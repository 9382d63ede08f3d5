/**
 * A seeded generator of Nix expressions that instantiate to varied derivations: odd names,
 * environment values with escapes, control characters and non-ASCII text, keys whose byte
 * order differs from JavaScript's, args, several outputs, fixed outputs (flat/recursive, four
 * algorithms, four hash spellings), dependencies on other outputs, `.drvPath` contexts,
 * `builtins.toFile` sources, structured attrs with nested values, passAsFile, placeholders,
 * and (when `experimental` is on) floating content-addressed and impure derivations with
 * dependents that become deferred.
 *
 * (A backslash in `system` is left out: C++ writes the system verbatim but reads it back with
 * escapes, so Nix itself rejects such a derivation with "has incorrect output".)
 *
 * The output is one Nix file evaluating to a list of derivations, so a single
 * `nix-instantiate` run writes them all (and prints their `.drv` paths in order).
 */

export interface GeneratedCases {
  /** The Nix expression (a list of derivations). */
  readonly nix: string
  /** How many derivations the list holds. */
  readonly count: number
  /** Experimental features the expression needs (for `--extra-experimental-features`). */
  readonly features: readonly string[]
}

export interface GenerateOptions {
  readonly seed: number
  readonly count: number
  /** Include `__contentAddressed`/`__impure` derivations (needs ca/impure-derivations). */
  readonly experimental?: boolean
}

import { mulberry32 as rng } from '../../support/rng.js'

/** Nix `"…"` literal for any string (escapes `\`, `"`, `$`, and the usual controls). */
export function nixString(s: string): string {
  let out = '"'
  for (const ch of s) {
    switch (ch) {
      case '\\': out += '\\\\'; break
      case '"': out += '\\"'; break
      case '$': out += '\\$'; break
      case '\n': out += '\\n'; break
      case '\t': out += '\\t'; break
      case '\r': out += '\\r'; break
      default: out += ch
    }
  }
  return out + '"'
}

const NAME_CHARS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+-._?='
const VALUE_PIECES = [
  'a', 'b', 'Z', '0', '9', ' ', ' ', '-', '/', ':', '=', '"', '\\', '\n', '\t', '\r', '$', '{', '}', "'", ',', '(', ')', '[', ']',
  'é', 'ß', '中文', '😀', '\uFB00', '\u0001', '\u001f', '\u007f', '\u00a0', 'echo hi', '${', '\\n', '$out',
]
const KEYS = [
  'FOO', 'foo', 'Foo', '_x', 'with space', 'a=b', 'ünïcödé', '\uFB00', '😀', '1', '10', '9', 'z', 'A', '__private', 'dash-key', 'dot.key',
  'preBuild', 'buildPhase', 'key"quote', 'key\\back', 'key\nline', 'tab\tkey', '',
]
const SYSTEMS = ['x86_64-linux', 'x86_64-linux', 'aarch64-linux', 'aarch64-darwin', 'i686-linux', 'riscv64-none-elf', 'wasm-sel4', 'sys tem', 'ütf-8', 'tab\tsys']
const OUTPUT_NAMES = ['out', 'dev', 'lib', 'bin', 'doc', 'man', 'x-y', 'debug']
const ALGOS: Array<[string, number]> = [['sha256', 32], ['sha1', 20], ['sha512', 64], ['md5', 16]]
const NIX32 = '0123456789abcdfghijklmnpqrsvwxyz'

export function generateCases(opts: GenerateOptions): GeneratedCases {
  const r = rng(opts.seed)
  const int = (n: number): number => Math.floor(r() * n)
  const pick = <T>(a: readonly T[]): T => a[int(a.length)]!
  const chance = (p: number): boolean => r() < p

  const name = (): string => {
    const len = 1 + int(30)
    let s = pick([...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+-_?='])
    for (let i = 1; i < len; i++) s += pick([...NAME_CHARS])
    return s
  }
  const text = (max = 12): string => {
    let s = ''
    for (let i = int(max); i > 0; i--) s += pick(VALUE_PIECES)
    return s
  }
  const bytes = (n: number): Uint8Array => Uint8Array.from({ length: n }, () => int(256))
  const hashText = (algo: string, size: number): { attr: string; algoAttr: boolean } => {
    const b = bytes(size)
    switch (int(4)) {
      case 0: return { attr: Buffer.from(b).toString('hex'), algoAttr: true }
      case 1: return { attr: nix32(b), algoAttr: true }
      case 2: return { attr: Buffer.from(b).toString('base64'), algoAttr: true }
      default: return { attr: `${algo}-${Buffer.from(b).toString('base64')}`, algoAttr: chance(0.5) }
    }
  }

  interface Made { readonly id: string; readonly outputs: readonly string[]; readonly floating: boolean }
  const made: Made[] = []
  const lines: string[] = []
  const features = new Set<string>()

  for (let i = 0; i < opts.count; i++) {
    const id = `d${i}`
    const attrs: string[] = []
    const set = (k: string, v: string): void => { attrs.push(`${nixString(k)} = ${v};`) }
    const structured = chance(0.2)
    const kind = opts.experimental && i > 2 ? pick(['ia', 'ia', 'ia', 'ia', 'fixed', 'fixed', 'floating', 'impure'] as const) : pick(['ia', 'ia', 'ia', 'fixed'] as const)
    let outputs = ['out']
    if (kind === 'ia' || kind === 'floating') {
      if (chance(0.4)) {
        outputs = [...new Set([pick(OUTPUT_NAMES), pick(OUTPUT_NAMES), ...(chance(0.5) ? ['out'] : [])])]
        set('outputs', `[ ${outputs.map(nixString).join(' ')} ]`)
      }
    }

    set('name', nixString(name()))
    set('system', nixString(pick(SYSTEMS)))
    set('builder', chance(0.8) ? nixString('/bin/sh') : nixString(text(6) || 'b'))
    if (chance(0.7)) set('args', `[ ${Array.from({ length: int(5) }, () => nixString(text(8))).join(' ')} ]`)

    // environment: strings, ints, bools, null, lists
    for (let k = int(7); k > 0; k--) {
      const key = pick(KEYS)
      if (attrs.some(a => a.startsWith(nixString(key) + ' '))) continue
      const t = int(10)
      set(key,
        t < 5 ? nixString(text())
          : t === 5 ? `(${int(2000) - 1000})`
            : t === 6 ? pick(['true', 'false'])
              : t === 7 ? 'null'
                : t === 8 ? `[ ${Array.from({ length: int(4) }, () => nixString(text(4))).join(' ')} ]`
                  : `${(r() * 1000).toFixed(int(4))}`)
    }

    // dependencies on earlier derivations
    const deps: string[] = []
    for (let k = made.length > 0 ? int(4) : 0; k > 0; k--) {
      const d = pick(made)
      const o = pick(d.outputs)
      const how = int(10)
      if (how < 6) deps.push(`"\${${d.id}.${nixAttr(o)}}"`)
      else if (how < 8) deps.push(`"prefix \${${d.id}}/bin/x"`)
      else if (how < 9 && !d.floating) deps.push(`builtins.unsafeDiscardOutputDependency ${d.id}.drvPath`)
      else deps.push(`${d.id}.drvPath`)
      if (d.floating) features.add('ca-derivations')
    }
    deps.forEach((d, k) => set(`dep${k}`, d))
    if (chance(0.25)) set('src', `builtins.toFile ${nixString(name())} ${nixString(text(20))}`)
    if (chance(0.1)) set('ph', `builtins.placeholder ${nixString(pick(outputs))}`)
    if (chance(0.15)) {
      set('passAsFile', `[ ${nixString('k1')} ]`)
      set('k1', nixString(text(30)))
    }

    switch (kind) {
      case 'fixed': {
        const [algo, size] = pick(ALGOS)
        const h = hashText(algo, size)
        set('outputHash', nixString(h.attr))
        if (h.algoAttr) set('outputHashAlgo', nixString(algo))
        const mode = int(3)
        if (mode === 1) set('outputHashMode', nixString('recursive'))
        if (mode === 2) set('outputHashMode', nixString('flat'))
        break
      }
      case 'floating':
        features.add('ca-derivations')
        set('__contentAddressed', 'true')
        set('outputHashMode', nixString(pick(['recursive', 'flat'])))
        set('outputHashAlgo', nixString(pick(['sha256', 'sha256', 'sha512', 'sha1'])))
        break
      case 'impure':
        features.add('impure-derivations')
        features.add('ca-derivations')
        set('__impure', 'true')
        break
    }
    if (structured) {
      set('__structuredAttrs', 'true')
      set('nested', structuredValue(r, 3))
      if (chance(0.5)) set('numbers', `[ 1 (-7) 1.5 2.0 0.1 1.0e20 1.0e-7 ${int(1_000_000)} ]`)
    }
    lines.push(`  ${id} = derivation {\n    ${attrs.join('\n    ')}\n  };`)
    made.push({ id, outputs, floating: kind === 'floating' || kind === 'impure' })
  }
  const nix = `# generated by test/golden/derivation/generate.ts (seed ${opts.seed})\nlet\n${lines.join('\n')}\nin [ ${made.map(m => m.id).join(' ')} ]\n`
  return { nix, count: opts.count, features: [...features].sort() }
}

function nixAttr(o: string): string {
  return /^[a-zA-Z_][a-zA-Z0-9_'-]*$/.test(o) ? o : nixString(o)
}

function structuredValue(r: () => number, depth: number): string {
  const int = (n: number): number => Math.floor(r() * n)
  const t = depth <= 0 ? int(5) : int(7)
  switch (t) {
    case 0: return nixString(['', 'x', 'é "q" \\ \n', '😀\uFB00', '$x', '\u0002'][int(6)]!)
    case 1: return `(${int(100000) - 50000})`
    case 2: return ['true', 'false', 'null'][int(3)]!
    case 3: return ['0.5', '3.0', '1.0e30', '2.5e-5', '123456.789'][int(5)]!
    case 4: return nixString('s' + int(10))
    case 5: return `[ ${Array.from({ length: int(4) }, () => structuredValue(r, depth - 1)).join(' ')} ]`
    default: {
      const keys = ['a', 'B', 'z', '1', '10', '2', 'ä', '😀', '\uFB00', 'with space', '']
      const used = new Set<string>()
      const parts: string[] = []
      for (let k = int(4); k > 0; k--) {
        const key = keys[int(keys.length)]!
        if (used.has(key)) continue
        used.add(key)
        parts.push(`${nixString(key)} = ${structuredValue(r, depth - 1)};`)
      }
      return `{ ${parts.join(' ')} }`
    }
  }
}

function nix32(b: Uint8Array): string {
  const len = Math.ceil((b.length * 8) / 5)
  let s = ''
  for (let n = len - 1; n >= 0; n--) {
    const bit = n * 5
    const i = bit >> 3
    const j = bit & 7
    const c = ((b[i] ?? 0) >> j) | (j > 3 && i + 1 < b.length ? (b[i + 1]! << (8 - j)) : 0)
    s += NIX32[c & 0x1f]
  }
  return s
}

/**
 * A seeded generator of Nix expressions for the differential test against C++ Nix 2.34.8
 * (issue 6, acceptance 3): arithmetic and overflow, strings and escapes, attribute sets,
 * laziness, builtins with edge cases, regular expressions, paths into the store and
 * derivations. Each case is evaluated with `nix-instantiate --eval --strict --json` (plus its
 * own flags); expressions C++ rejects are cases too (exit status and first error line).
 *
 * Cases that read files use the fixture tree `FIXTURE_TREE`, written next to the case files
 * (`./tree/…`) by both the capture script and the spec.
 */
import { mulberry32 } from '../../../support/rng.js'

export interface DiffCase {
  /** `<category>-<n>`, stable for a given seed. */
  readonly id: string
  readonly category: string
  readonly expr: string
  /** Extra `nix-instantiate` flags (experimental features). */
  readonly flags?: readonly string[]
  /** Evaluate with `--read-write-mode` against a private local store instead of `dummy://`. */
  readonly readWrite?: boolean
}

/** A file of the fixture tree: contents, `{ exec }` (executable file) or `{ link }` (symlink). */
export type FixtureNode = string | { readonly exec: string } | { readonly link: string }

export const FIXTURE_TREE: Readonly<Record<string, FixtureNode>> = {
  'tree/a.txt': 'hello\n',
  'tree/empty': '',
  'tree/exe.sh': { exec: '#!/bin/sh\necho hi\n' },
  'tree/link': { link: 'a.txt' },
  'tree/dangling': { link: 'nowhere' },
  'tree/sub/b.txt': 'b\n',
  'tree/sub/deep/c': 'c',
  'tree/sub/.hidden': 'h',
  'tree/data.json': '{"x": 1, "y": [true, null, "z"]}\n',
  'tree/unicode-\xc3\xa9.txt': '\xc3\xa9t\xc3\xa9\n',
}

class Rng {
  readonly next: () => number
  constructor(seed: number) { this.next = mulberry32(seed) }
  int(lo: number, hi: number): number { return lo + Math.floor(this.next() * (hi - lo + 1)) }
  pick<T>(xs: readonly T[]): T { return xs[Math.floor(this.next() * xs.length)]! }
  chance(p: number): boolean { return this.next() < p }
  some<T>(xs: readonly T[], n: number): T[] {
    const out: T[] = []
    for (let i = 0; i < n; i++) out.push(this.pick(xs))
    return out
  }
}

// ---- value literals -------------------------------------------------------------------------

const INTS = [
  '0', '1', '2', '3', '7', '10', '42', '100', '255', '1000', '65536', '2147483647', '2147483648', '4294967296',
  '9007199254740991', '9007199254740992', '9007199254740993', '3037000499', '3037000500',
  '4611686018427387904', '9223372036854775807', '123456789012345678',
]
const FLOATS = ['0.0', '1.5', '2.25', '0.1', '3.14159', '1.0e10', '1.0e-5', '123456789.125', '1.0e300', '6.02e23', '0.30000000000000004', '.5', '100.0', '1.5E3']

function intLit(r: Rng): string {
  const base = r.chance(0.6) ? r.pick(INTS) : String(r.int(0, r.pick([9, 99, 9999, 2 ** 31, 2 ** 45])))
  return r.chance(0.25) ? `(-${base})` : base
}
function floatLit(r: Rng): string {
  const f = r.pick(FLOATS)
  return r.chance(0.2) ? `(-${f})` : f
}
function numLit(r: Rng): string { return r.chance(0.75) ? intLit(r) : floatLit(r) }

/** Characters strings are built from: escapes, `$`, braces, quotes, non-ASCII, control bytes. */
const CHARS = ['a', 'b', 'z', 'A', ' ', '0', '9', '-', '.', '_', '/', '\n', '\t', '\r', '"', '\\', '$', '{', '}', "'", '\xc3\xa9', '\xf0\x9f\x99\x82', '\xe2\x82\xac', '\x01', '\x7f']

function randomString(r: Rng, max = 8): string {
  let s = ''
  const n = r.int(0, max)
  for (let i = 0; i < n; i++) s += r.pick(CHARS)
  return s
}

/** A double-quoted Nix literal for `s` (bytes), escaping what must be escaped. */
function strLit(s: string, r?: Rng): string {
  let out = '"'
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!
    if (c === '"' || c === '\\') out += '\\' + c
    else if (c === '$') out += s[i + 1] === '{' ? '\\$' : (r?.chance(0.5) ? '\\$' : '$')
    else if (c === '\n') out += '\\n'
    else if (c === '\t') out += r?.chance(0.3) ? '\t' : '\\t'
    else if (c === '\r') out += '\\r'
    else if (c === 'a' && r?.chance(0.1)) out += '\\a'
    else out += c
  }
  return out + '"'
}

function scalarLit(r: Rng): string {
  switch (r.int(0, 5)) {
    case 0: return intLit(r)
    case 1: return floatLit(r)
    case 2: return r.pick(['true', 'false', 'null'])
    default: return strLit(randomString(r), r)
  }
}

const NAMES = ['a', 'b', 'c', 'x', 'y', 'foo', 'bar', 'a-b', 'a_b', "a'", '_x', 'B', 'z9']
function attrName(r: Rng): string { return r.pick(NAMES) }
function attrKey(r: Rng): string {
  const n = attrName(r)
  return /^[a-zA-Z_][a-zA-Z0-9_'-]*$/.test(n) && !r.chance(0.15) ? n : strLit(r.chance(0.5) ? n : randomString(r, 4))
}

function randomValue(r: Rng, depth = 0): string {
  if (depth > 2 || r.chance(0.5)) return scalarLit(r)
  if (r.chance(0.5)) return `[ ${r.some([0], r.int(0, 4)).map(() => randomValue(r, depth + 1)).join(' ')} ]`
  const keys = new Set<string>()
  for (let i = r.int(0, 4); i > 0; i--) keys.add(attrName(r))
  return `{ ${[...keys].map(k => `${k} = ${randomValue(r, depth + 1)};`).join(' ')} }`
}

// ---- categories -----------------------------------------------------------------------------

const BINOPS = ['+', '-', '*', '/', '<', '<=', '>', '>=', '==', '!=']
const ARITH_BUILTINS = ['builtins.add', 'builtins.sub', 'builtins.mul', 'builtins.div', 'builtins.bitAnd', 'builtins.bitOr', 'builtins.bitXor', 'builtins.lessThan']

function arith(r: Rng): string {
  switch (r.int(0, 9)) {
    case 0: case 1: case 2: return `${numLit(r)} ${r.pick(BINOPS)} ${numLit(r)}`
    case 3: return `(${numLit(r)} ${r.pick(BINOPS.slice(0, 4))} ${numLit(r)}) ${r.pick(BINOPS.slice(0, 4))} ${numLit(r)}`
    case 4: return `${r.pick(ARITH_BUILTINS)} ${intLit(r)} ${r.chance(0.2) ? '0' : intLit(r)}`
    case 5: return `builtins.${r.pick(['ceil', 'floor'])} ${r.chance(0.7) ? floatLit(r) : intLit(r)}`
    case 6: return `${intLit(r)} ${r.pick(['/', '*', '-'])} ${r.pick(['0', '(-1)', '2', '9223372036854775807'])}`
    case 7: return `[ (${numLit(r)} + ${numLit(r)}) (${numLit(r)} * ${numLit(r)}) (-${intLit(r)}) ]`
    case 8: return r.pick(['9223372036854775808', '-9223372036854775808', '(-9223372036854775807) - 1', '(-9223372036854775807 - 1) / (-1)', '1 + "a"', '"a" + 1', 'true + 1', 'null == null', '1 == 1.0', '[ 1 ] ++ 2', '{ } == { }', '(x: x) == (x: x)', '1.0 / 0', '0.0 / 0.0 == 0.0 / 0.0', '2147483647 * 2147483647 * 2'])
    default: return `let x = ${numLit(r)}; y = ${numLit(r)}; in { sum = x + y; lt = x < y; eq = x == y; type = builtins.typeOf (x * y); }`
  }
}

function strings(r: Rng): string {
  const s1 = randomString(r)
  const s2 = randomString(r)
  switch (r.int(0, 13)) {
    case 0: return strLit(s1, r)
    case 1: return `${strLit(s1, r)} + ${strLit(s2, r)}`
    case 2: return `"x\${${strLit(s1, r)}}y\${toString ${intLit(r)}}z"`
    case 3: return `builtins.stringLength ${strLit(s1, r)}`
    case 4: return `builtins.substring ${r.pick(['0', '1', '2', '5', '100', '(-1)'])} ${r.pick(['0', '1', '3', '(-1)', '100'])} ${strLit(s1, r)}`
    case 5: return `builtins.replaceStrings [ ${strLit(r.pick(['a', '', 'b', '\n', '$']), r)} ${strLit(r.pick(['z', 'ab', '"']), r)} ] [ ${strLit(randomString(r, 3), r)} "Q" ] ${strLit(s1 + 'ab' + s2, r)}`
    case 6: return `builtins.concatStringsSep ${strLit(r.pick([', ', '', '\n', '/']))} [ ${r.some([0], r.int(0, 4)).map(() => strLit(randomString(r, 4), r)).join(' ')} ]`
    case 7: return `toString ${r.pick([intLit(r), floatLit(r), 'true', 'false', 'null', `[ ${intLit(r)} "a" null [ ] true ${floatLit(r)} ]`, '[ [ ] [ ] ]', strLit(s1, r)])}`
    case 8: return `builtins.toJSON ${randomValue(r)}`
    case 9: return `builtins.fromJSON ${strLit(randomJson(r))}`
    case 10: return indented(r)
    case 11: return `${strLit(s1, r)} ${r.pick(['<', '==', '>', '!='])} ${strLit(s2, r)}`
    case 12: return r.pick([
      '"$${x}"', '"\\${x}"', "''$${x}''", "''''$''", "'''\\n''", "''a''\\nb''", "''\\t''\\r''", '"\\q\\u\\x"',
      "''\n  a\n    b\n  c\n''", "''\n\tx\n''", '"a" + ./tree', 'builtins.stringLength "\\0"', "''${\"x\"}''${\"y\"}''",
      'builtins.toJSON "\\u0000"', 'builtins.fromJSON "\\"\\\\ud83d\\\\ude42\\""', 'builtins.fromJSON "1e400"', 'builtins.fromJSON "-0"',
      'builtins.fromJSON "9223372036854775808"', 'builtins.fromJSON "[1,2,"', 'builtins.toJSON 1.0e-7', 'builtins.toJSON 123456789012.0',
    ])
    default: return `builtins.${r.pick(['baseNameOf', 'dirOf'])} ${strLit(r.pick(['/a/b/c', 'a/b/', '/', '', 'abc', '/a//b', 'a/', '//', '/x/y.txt/']) + (r.chance(0.2) ? s1 : ''), r)}`
  }
}

function randomJson(r: Rng, depth = 0): string {
  const scalars = ['0', '-1', '1.5', '1e3', '-0.0', '12345678901234567890', 'true', 'false', 'null', '"a"', '"\\u00e9"', '"\\n\\t"', '"\\ud83d\\ude42"', '""', '1E-2', '3.0']
  if (depth > 2 || r.chance(0.4)) return r.pick(scalars)
  if (r.chance(0.5)) return `[${r.some([0], r.int(0, 3)).map(() => randomJson(r, depth + 1)).join(',')}]`
  return `{${r.some(['"a"', '"b"', '"c d"', '"a"'], r.int(0, 3)).map(k => `${k}:${randomJson(r, depth + 1)}`).join(', ')}}`
}

function indented(r: Rng): string {
  const lines: string[] = []
  const base = r.int(0, 4)
  for (let i = r.int(1, 4); i > 0; i--) {
    const extra = r.int(0, 3)
    const body = r.pick(['text', "''$", "'''", "''\\n", '${"int"}', 'tab\there', '$x', 'a ${toString 1} b', ''])
    lines.push(' '.repeat(base + extra) + body)
  }
  return `''\n${lines.join('\n')}\n${' '.repeat(r.int(0, base))}''`
}

function attrs(r: Rng): string {
  const set = (): string => {
    const ks = new Set<string>()
    for (let i = r.int(0, 4); i > 0; i--) ks.add(attrKey(r))
    return `{ ${[...ks].map(k => `${k} = ${scalarLit(r)};`).join(' ')} }`
  }
  switch (r.int(0, 13)) {
    case 0: return `${set()} // ${set()}`
    case 1: return `(${set()} // ${set()}) ? ${attrName(r)}`
    case 2: return `(${set()}).${attrName(r)} or ${scalarLit(r)}`
    case 3: return `builtins.attrNames (${set()} // ${set()})`
    case 4: return `builtins.removeAttrs ${set()} [ ${r.some(NAMES, r.int(0, 3)).map(n => strLit(n)).join(' ')} ]`
    case 5: return `builtins.listToAttrs [ ${r.some([0], r.int(0, 4)).map(() => `{ name = ${strLit(attrName(r))}; value = ${scalarLit(r)}; }`).join(' ')} ]`
    case 6: return `builtins.intersectAttrs ${set()} ${set()}`
    case 7: return `builtins.mapAttrs (n: v: n + builtins.typeOf v) ${set()}`
    case 8: return `builtins.catAttrs "a" [ ${set()} ${set()} { a = 5; } ]`
    case 9: return `builtins.zipAttrsWith (n: vs: [ n (builtins.length vs) ]) [ ${set()} ${set()} ]`
    case 10: return r.pick([
      '{ a.b = 1; a.c = 2; }', '{ a = { b = 1; }; a.c = 2; }', '{ a = 1; a = 2; }', 'rec { a = b + 1; b = 1; }', 'let x = 1; in { inherit x; y = x; }',
      '{ inherit ({ y = 2; z = 3; }) y z; }', '{ ${"a" + "b"} = 1; }', '{ ${null} = 1; b = 2; }', '{ "${"x"}" = 1; x = 2; }', '{ a.b.c = 1; } ? a.b.c',
      '({ a = {}; }).a.b or 6', '({ }).a', 'builtins.getAttr "x" { }', 'builtins.hasAttr "a" { a = null; }', '(x: x.a) { b = 1; }',
      'builtins.functionArgs ({ a, b ? 1, ... }: a)', 'let s = { a = 1; }; in s.a.b', '{ a = 1; } // 5', 'with { a = 1; }; a', 'let a = 2; in with { a = 1; }; a',
      'rec { a = 1; b = { c = a; }; }', '{ "a b" = 1; "" = 2; }', 'builtins.attrValues { b = 1; a = 2; c = 3; }', '{ a = 1; }.a.b or 3',
      'let s = rec { x = 1; y = s.x; }; in s.y', '{ __functor = self: x: x + 1; } 41', 'builtins.listToAttrs [ { name = 1; value = 2; } ]',
    ])
    case 11: return `let s = ${set()}; in builtins.attrNames s == builtins.sort builtins.lessThan (builtins.attrNames s)`
    case 12: return `builtins.getAttr ${strLit(attrName(r))} (${set()})`
    default: return `{ ${attrName(r)}.${attrName(r)} = ${scalarLit(r)}; ${attrName(r)} = ${scalarLit(r)}; }`
  }
}

function laziness(r: Rng): string {
  return r.pick([
    'let x = throw "a"; in 1', 'builtins.length [ (throw "a") (abort "b") ]', 'builtins.head [ 1 (throw "x") ]', 'builtins.seq (throw "x") 1',
    'builtins.tryEval (throw "x")', 'builtins.tryEval (assert false; 1)', 'builtins.tryEval (abort "x")', 'builtins.tryEval ({ }.a)',
    'let x = x; in x', 'let f = n: if n == 0 then 0 else f (n - 1); in f 1000', '{ a = throw "x"; b = 1; }.b', 'builtins.attrNames { a = throw "x"; }',
    '(x: 1) (throw "x")', '({ a, ... }: a) { a = 1; b = throw "x"; }', 'builtins.deepSeq [ (throw "x") ] 1', 'builtins.elemAt [ (throw "x") 2 ] 1',
    'let xs = builtins.genList (i: if i == 3 then throw "three" else i) 5; in builtins.elemAt xs 4', 'builtins.tryEval (builtins.deepSeq [ (throw "x") ] 1)',
    'builtins.foldl\' (a: b: b) 0 [ (throw "x") 1 ]', 'builtins.foldl\' (a: b: a) 0 [ (throw "x") 1 ]', 'let a = { b = a; }; in a.b.b.b == a',
    'builtins.map (x: throw "y") [ 1 ]', 'builtins.length (builtins.map (x: throw "y") [ 1 2 ])', 'builtins.tryEval (let x = x; in x)',
    'assert 1 == 2; 3', 'assert { a = 1; } == { a = 2; }; 3', 'let f = { x ? throw "d" }: 1; in f { }', '({ x ? y, y ? 2 }: x) { }',
    'builtins.tryEval (builtins.tryEval (throw "inner"))', 'builtins.all (x: x) [ false (throw "x") ]', 'builtins.any (x: x) [ true (throw "x") ]',
    'true || throw "x"', 'false && throw "x"', 'false -> throw "x"', 'builtins.isAttrs (throw "x")', 'builtins.typeOf (x: throw "x")',
    '(let x = builtins.trace "once" 1; in x + x)', 'builtins.length (builtins.attrValues { a = throw "a"; b = throw "b"; })',
    `builtins.tryEval (${intLit(r)} + (throw "e"))`, `let s = { inherit (throw "x") a; b = ${scalarLit(r)}; }; in s.b`, 'builtins.addErrorContext "ctx" (throw "x")',
  ])
}

function lists(r: Rng): string {
  const ints = (): string => `[ ${r.some([0], r.int(0, 6)).map(() => intLit(r)).join(' ')} ]`
  const strs = (): string => `[ ${r.some(['"b"', '"a"', '"10"', '"9"', '""', '"B"', '"a\\n"'], r.int(0, 5)).join(' ')} ]`
  switch (r.int(0, 19)) {
    case 0: return `builtins.sort builtins.lessThan ${ints()}`
    case 1: return `builtins.sort (a: b: a > b) ${strs()}`
    case 2: return `builtins.genList (i: i * ${intLit(r)}) ${r.pick(['0', '3', '5', '(-1)'])}`
    case 3: return `builtins.elemAt ${ints()} ${r.pick(['0', '1', '5', '(-1)'])}`
    case 4: return `builtins.${r.pick(['head', 'tail'])} ${r.chance(0.3) ? '[ ]' : ints()}`
    case 5: return `builtins.foldl' (a: b: a ${r.pick(['+', '-', '*'])} b) ${intLit(r)} ${ints()}`
    case 6: return `builtins.filter (x: x ${r.pick(['<', '>', '=='])} ${intLit(r)}) ${ints()}`
    case 7: return `builtins.concatLists [ ${ints()} [ ] ${strs()} ]`
    case 8: return `builtins.concatMap (x: [ x x ]) ${ints()}`
    case 9: return `builtins.${r.pick(['all', 'any'])} (x: x > ${intLit(r)}) ${ints()}`
    case 10: return `builtins.elem ${r.pick([intLit(r), '"a"', 'null'])} ${r.chance(0.5) ? ints() : strs()}`
    case 11: return `builtins.partition (x: x > 10) ${ints()}`
    case 12: return `builtins.groupBy (x: builtins.substring 0 1 x) ${strs()}`
    case 13: return `builtins.compareVersions ${strLit(version(r))} ${strLit(version(r))}`
    case 14: return `builtins.splitVersion ${strLit(version(r))}`
    case 15: return `builtins.parseDrvName ${strLit(r.pick(['hello-2.1', 'nix-0.12pre12876', 'a-b-c', 'foo', 'foo-', '-1', 'x-1y-2', 'firefox-esr-115.0']))}`
    case 16: return `builtins.map builtins.typeOf [ 1 1.0 "s" true null [ ] { } (x: x) ./tree builtins.add (builtins.add 1) ]`
    case 17: return `builtins.genericClosure { startSet = [ { key = ${r.int(0, 5)}; } ]; operator = x: if x.key < ${r.int(3, 9)} then [ { key = x.key + 1; } { key = x.key * 2; } ] else [ ]; }`
    case 18: return `[ (builtins.isInt ${numLit(r)}) (builtins.isFloat ${numLit(r)}) (builtins.isString ${scalarLit(r)}) (builtins.isList [ ]) (builtins.isFunction builtins.map) (builtins.isBool null) (builtins.isPath ./tree) ]`
    default: return r.pick([
      'builtins.sort (a: b: true) [ 1 2 3 ]', 'builtins.sort builtins.lessThan [ 1 "a" ]', 'builtins.genList (x: x) 100000 == builtins.genList (x: x) 100000',
      'builtins.length (builtins.genList (x: x) 1000)', 'builtins.elemAt [ ] 0', '[ 1 2 ] ++ [ 3 ] ++ [ ]', 'builtins.concatMap (x: x) [ 1 ]',
      'builtins.map (x: x + 1) 5', 'builtins.filter (x: 1) [ 1 ]', 'builtins.sort builtins.lessThan [ 3.5 1 2.25 (-1) ]', 'builtins.lessThan [ 1 2 ] [ 1 3 ]',
      'builtins.lessThan [ 1 ] [ 1 2 ]', 'builtins.lessThan "a" 1', 'builtins.genericClosure { startSet = [ { key = 1; } { key = "a"; } ]; operator = x: [ ]; }',
    ])
  }
}

function version(r: Rng): string {
  return r.some(['1', '2', '10', '0', 'pre', 'a', 'b', '1.2', 'rc1', 'alpha', '5', '-'], r.int(1, 4)).join(r.pick(['.', '-', '']))
}

const HASH_ALGOS = ['md5', 'sha1', 'sha256', 'sha512']

function hashes(r: Rng): string {
  const algo = r.pick(HASH_ALGOS)
  const s = strLit(randomString(r, 6), r)
  switch (r.int(0, 6)) {
    case 0: return `builtins.hashString "${algo}" ${s}`
    case 1: return `builtins.convertHash { hash = builtins.hashString "${algo}" ${s}; hashAlgo = "${algo}"; toHashFormat = "${r.pick(['base16', 'nix32', 'base64', 'sri', 'base32'])}"; }`
    case 2: return `let h = builtins.convertHash { hash = builtins.hashString "${algo}" ${s}; hashAlgo = "${algo}"; toHashFormat = "${r.pick(['sri', 'nix32', 'base64'])}"; }; in builtins.convertHash { hash = ${r.chance(0.5) ? `"${algo}:" + h` : 'h'}; ${r.chance(0.5) ? `hashAlgo = "${algo}"; ` : ''}toHashFormat = "base16"; }`
    case 3: return `builtins.hashFile "${algo}" ./tree/${r.pick(['a.txt', 'empty', 'exe.sh', 'link', 'sub/b.txt', 'nope'])}`
    default: return r.pick([
      'builtins.hashString "sha257" "x"', 'builtins.hashString "blake3" "x"', 'builtins.convertHash { hash = "abc"; toHashFormat = "sri"; }',
      'builtins.convertHash { hash = "sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="; toHashFormat = "nix32"; }',
      'builtins.convertHash { hash = "sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="; toHashFormat = "hex"; }',
      'builtins.convertHash { hash = "sha256:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="; hashAlgo = "sha1"; toHashFormat = "base16"; }',
      'builtins.convertHash { toHashFormat = "base16"; }', 'builtins.convertHash { hash = "md5:d41d8cd98f00b204e9800998ecf8427e"; toHashFormat = "sri"; }',
      'builtins.hashString "md5" (builtins.toFile "x" "y")', 'builtins.hashFile "sha256" ./tree',
    ])
  }
}

const REGEXES: readonly [string, readonly string[]][] = [
  ['a(b*)c', ['abbbc', 'ac', 'abd', '']],
  ['(.*)\\.(.*)', ['foo.bar', 'a.b.c', 'nodot']],
  ['[[:alpha:]]+', ['abc', 'ab1', '']],
  ['([0-9]+)-([a-z]*)', ['12-ab', '1-', '-a']],
  ['(a|b)*c', ['ababc', 'c', 'abd']],
  ['x?y+', ['y', 'xyyy', 'xx']],
  ['[^/]+', ['a/b', 'abc']],
  ['(foo)|(bar)', ['foo', 'bar', 'baz']],
  ['.*', ['', 'anything\n']],
  ['[[:space:]]*([[:upper:]]+)[[:space:]]*', ['  FOO  ', 'foo']],
  ['a{2,3}', ['aa', 'aaaa', 'a']],
  ['(', ['x']],
  ['\\$\\{[a-z]+\\}', ['${abc}', '$abc']],
]

function regex(r: Rng): string {
  const [re, samples] = r.pick(REGEXES)
  const str = r.pick(samples)
  if (r.chance(0.55)) return `builtins.match ${strLit(re)} ${strLit(str)}`
  const joined = r.some(samples, r.int(1, 3)).join(r.pick([',', ' ', '']))
  return `builtins.split ${strLit(re)} ${strLit(joined)}`
}

function paths(r: Rng): string {
  const file = r.pick(['a.txt', 'empty', 'exe.sh', 'link', 'sub', 'sub/b.txt', 'data.json'])
  const filter = r.pick([
    'p: t: t != "directory"', 'p: t: baseNameOf p != "sub"', 'p: t: t == "regular" || t == "directory"', 'p: t: true', 'p: t: false',
    'p: t: builtins.substring 0 1 (baseNameOf p) != "."', 'p: t: t != "symlink"',
  ])
  switch (r.int(0, 13)) {
    case 0: return `"\${./tree/${file}}"`
    case 1: return '"${./tree}"'
    case 2: return `builtins.path { path = ./tree${r.chance(0.5) ? '/' + file : ''};${r.chance(0.5) ? ` name = ${strLit(r.pick(['src', 'x-y', 'a@b', '']))};` : ''} }`
    case 3: return `builtins.path { path = ./tree/${r.pick(['a.txt', 'exe.sh', 'link', 'sub'])}; recursive = false; }`
    case 4: return `builtins.path { path = ./tree; filter = ${filter}; }`
    case 5: return `builtins.filterSource (${filter}) ./tree`
    case 6: return `builtins.toFile ${strLit(r.pick(['x', 'a.sh', 'b', 'x.drv', 'a b']))} "\${./tree/${file}} ${randomString(r, 3).replace(/["\\$]/g, '')}"`
    case 7: return `builtins.readFile ./tree/${r.pick(['a.txt', 'empty', 'link', 'data.json', 'sub', 'nope'])}`
    case 8: return `builtins.fromJSON (builtins.readFile ./tree/data.json)`
    case 9: return `builtins.toJSON { p = ./tree/${file}; s = "\${./tree/a.txt}"; }`
    case 10: return `builtins.getContext "\${./tree/${file}}\${builtins.toFile "t" "x"}"`
    case 11: return `builtins.path { path = ./tree/a.txt; sha256 = ${r.pick(['""', '"sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="', '"0gs9sglnmwi7cshas45wfpxnwdvb9pr5-wrong"'])}; }`
    case 12: return `builtins.path { path = ./tree/a.txt; ${r.pick(['foo = 1;', 'recursive = "yes";', 'filter = 1;', 'name = 1;'])} }`
    default: return r.pick([
      '"${./tree/nope}"', '"${./tree/dangling}"', 'builtins.path { name = "x"; }', 'builtins.filterSource 1 ./tree', 'builtins.toFile "x" (toString /nonexistent/tree)',
      'builtins.pathExists ./tree/nope', 'builtins.readDir ./tree', 'builtins.readFileType ./tree/link', '"${./tree/a.txt}" == "${./tree/a.txt}"',
      'builtins.unsafeDiscardStringContext "${./tree/a.txt}"', 'builtins.hasContext "${./tree}"', 'builtins.toFile "x" "y" + "/z"',
      'builtins.storePath (builtins.toFile "x" "y")', 'builtins.baseNameOf ./tree/sub', 'builtins.dirOf ./tree/sub',
      '"${./tree + "/unicode-\xc3\xa9.txt"}"', 'builtins.path { path = ./tree + "/unicode-\xc3\xa9.txt"; name = "u"; }',
    ])
  }
}

// ---- derivations ----------------------------------------------------------------------------

const DRV_NAMES = ['hello', 'hello-2.12', 'a', 'x_y', 'foo.bar', 'with+plus', 'q?', 'n=1', 'Zz9', '-dash', '.hidden', 'z'.repeat(40)]
const BAD_DRV_NAMES = ['', '.', '..', 'a b', 'ü', 'x.drv', 'a/b', 'z'.repeat(212), '~jiggle~', '..-x']
const SYSTEMS = ['x86_64-linux', 'aarch64-darwin', 'builtin', 'i686-linux']

/** A few derivations other cases depend on. */
const DEP_LETS = `dep = derivation { name = "dep"; builder = "/bin/sh"; system = "x86_64-linux"; outputs = [ "out" "dev" ]; };
  fod = derivation { name = "fod"; builder = "/bin/sh"; system = "x86_64-linux"; outputHash = "sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="; outputHashMode = "recursive"; };
  src = builtins.toFile "builder.sh" "echo hello > $out";`

function hashForAlgo(r: Rng, algo: string): { hash: string; algoAttr: boolean } {
  const known: Record<string, string[]> = {
    md5: ['d41d8cd98f00b204e9800998ecf8427e', '1B2M2Y8AsgTpgAmY7PhCfg==', 'md5-1B2M2Y8AsgTpgAmY7PhCfg==', '3y8bwka0zjwq4m3ixh72lk7fkn'],
    sha1: ['da39a3ee5e6b4b0d3255bfef95601890afd80709', 'sha1-2jmj7l5rSw0yVb/vlWAYkK/YBwk=', '3sb7rhm7ysq2aqgajdqsxhkcx6d4fnxq', 'sha1:da39a3ee5e6b4b0d3255bfef95601890afd80709'],
    sha256: ['e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855', 'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=', '0mdqa9w1p6cmli6976v4wi0sw9r4p5prkj7lzfd1877wk11c9c73', 'sha256:1b8m03r63zqhnjf7l5wnldhh7c134ap5vpj0850ymkq1iyzicy5s'],
    sha512: ['sha512-z4PhNX7vuL3xVChQ1m2AB9Yg5AULVxXcg/SpIdNs6c5H0NE8XYXysP+DGNKHfuwvY7kxvUdBeoGlODJ6+SfaPg==', 'cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e'],
  }
  const forms = known[algo]!
  const hash = r.chance(0.08) ? r.pick(['abc', '', 'sha256-AAAA', 'md5-1B2M2Y8AsgTpgAmY7PhCfg==']) : r.pick(forms)
  return { hash, algoAttr: !hash.includes('-') || r.chance(0.3) }
}

/** Pick with weights: `[[weight, value], …]`. */
function weighted<T>(r: Rng, xs: ReadonlyArray<readonly [number, T]>): T {
  let total = 0
  for (const [w] of xs) total += w
  let x = r.next() * total
  for (const [w, v] of xs) { if ((x -= w) < 0) return v }
  return xs[xs.length - 1]![1]
}

function drvAttrs(r: Rng, flags: Set<string>): string {
  const a: string[] = []
  const name = r.chance(0.05) ? r.pick(BAD_DRV_NAMES) : r.pick(DRV_NAMES)
  if (!r.chance(0.02)) a.push(`name = ${strLit(name)};`)
  const structured = r.chance(0.2)
  const builder = weighted(r, [[6, '"/bin/sh"'], [2, '"builtin:fetchurl"'], [3, '"${src}"'], [2, 'src'], [2, '"${dep.dev}/bin/x"'], [1, '""'], [structured ? 0.2 : 1, './tree/exe.sh']])
  if (!r.chance(0.02)) a.push(`builder = ${builder};`)
  if (!r.chance(0.02)) a.push(`system = ${strLit(r.chance(0.03) ? '' : r.pick(SYSTEMS))};`)
  if (structured) a.push('__structuredAttrs = true;')
  if (r.chance(0.3)) a.push(`outputs = ${weighted(r, [[4, '[ "out" ]'], [4, '[ "out" "dev" ]'], [3, '[ "dev" "out" "lib" ]'], [2, '[ "bin" ]'], [0.5, '[ ]'], [0.5, '[ "out" "out" ]'], [0.5, '[ "drvPath" ]'], [0.5, '[ "out" "a b" ]']])};`)
  if (r.chance(0.35)) a.push(`args = [ ${r.some(['"-e"', '"${src}"', '1', 'true', 'null', '1.5', 'dep', 'dep.dev', './tree/a.txt', '[ "x" ]', '"a\\nb"'], r.int(0, 4)).join(' ')} ];`)
  if (r.chance(0.15)) a.push('__ignoreNulls = true;')
  const fixed = r.chance(0.25)
  if (fixed) {
    const algo = r.pick(HASH_ALGOS)
    const { hash, algoAttr } = hashForAlgo(r, algo)
    a.push(`outputHash = ${strLit(hash)};`)
    if (algoAttr) a.push(`outputHashAlgo = ${strLit(r.chance(0.05) ? 'sha257' : algo)};`)
    if (r.chance(0.7)) a.push(`outputHashMode = ${strLit(weighted(r, [[4, 'flat'], [4, 'recursive'], [2, 'nar'], [0.5, 'text'], [0.5, 'bogus']]))};`)
  } else if (r.chance(0.12)) {
    const which = weighted(r, [[5, '__contentAddressed'], [3, '__impure'], [1, 'both']])
    if (which !== '__impure') { a.push('__contentAddressed = true;'); flags.add('ca-derivations') }
    if (which !== '__contentAddressed') { a.push('__impure = true;'); flags.add('impure-derivations'); flags.add('ca-derivations') }
    if (r.chance(0.5)) a.push(`outputHashAlgo = ${strLit(r.pick(['sha256', 'sha512', 'sha1']))};`)
    if (r.chance(0.3)) a.push(`outputHashMode = ${strLit(r.pick(['flat', 'recursive', 'nar']))};`)
  }
  const extras = r.int(0, 5)
  for (let i = 0; i < extras; i++) {
    const k = r.pick(['env1', 'FOO', 'b', 'Z', 'a-b', '__x', 'allowedReferences', 'preferLocalBuild', 'passAsFile', 'nested', 'deps', 'path', 'ph', 'n', 'f'])
    const v = weighted(r, [
      [4, scalarLit(r)], [structured ? 3 : 0.3, randomValue(r)], [2, 'dep'], [0.5, 'dep.drvPath'], [2, 'dep.dev'], [2, '"${dep}"'], [2, 'fod'], [1, '"${fod}/x"'],
      [2, 'src'], [1, 'builtins.placeholder "out"'], [1, 'builtins.unsafeDiscardOutputDependency dep.drvPath'], [1, 'builtins.unsafeDiscardStringContext "${dep}"'],
      [1, './tree/a.txt'], [1, './tree'], [1, 'null'], [1, '[ dep fod src ]'], [structured ? 2 : 0.2, '{ a = dep; b = [ 1 2.5 ]; }'], [0.2, '(x: x)'],
    ])
    if (!a.some(x => x.startsWith(`${k} =`))) a.push(`${k} = ${v};`)
  }
  if (!structured && r.chance(0.04)) a.push(`__json = ${strLit(r.pick(['{"a":1}', '[1]', '{bad']))};`)
  return `{ ${r.chance(0.5) ? a.reverse().join(' ') : a.join(' ')} }`
}

function derivations(r: Rng): DiffCaseDraft {
  const flags = new Set<string>()
  const attrsText = drvAttrs(r, flags)
  let body: string
  switch (r.int(0, 9)) {
    case 0: case 1: case 2: body = `derivationStrict ${attrsText}`; break
    case 3: body = `(derivation ${attrsText}).drvPath`; break
    case 4: body = `let d = derivation ${attrsText}; in [ d.outPath d.drvPath d.outputName (builtins.attrNames d) ]`; break
    case 5: body = `let d = derivation ${attrsText}; in derivationStrict { name = "user"; builder = "/bin/sh"; system = "x86_64-linux"; d = d; all = d.all; s = "\${d}"; }`; break
    case 6: body = `builtins.getContext (derivation ${attrsText}).drvPath`; break
    case 7: body = `let d = derivation ${attrsText}; in builtins.mapAttrs (n: v: builtins.getContext v) (builtins.removeAttrs (derivationStrict (d.drvAttrs)) [ ])`; break
    case 8: body = `builtins.toJSON (derivation ${attrsText})`; break
    default: body = r.pick([
      'builtins.toFile "x" "${dep}"', 'builtins.toFile "x" dep.drvPath', 'builtins.toFile "x" (builtins.unsafeDiscardOutputDependency dep.drvPath)',
      'builtins.getContext "${dep}${dep.dev}${dep.drvPath}${fod}${src}"', 'builtins.appendContext "x" { "${builtins.unsafeDiscardStringContext dep.drvPath}" = { outputs = [ "out" ]; }; }',
      'builtins.hasContext (builtins.unsafeDiscardStringContext "${dep}")', 'builtins.addDrvOutputDependencies dep.drvPath', 'builtins.addDrvOutputDependencies (builtins.unsafeDiscardOutputDependency dep.drvPath)',
      'dep == dep', 'dep == fod', 'derivation { }', 'derivationStrict { name = 1; }', 'derivationStrict 1', 'dep.all', 'fod.outPath', 'builtins.placeholder "dev"',
      'builtins.substring 0 0 dep.outPath', 'builtins.getContext (builtins.substring 0 0 "${dep}")', '[ dep.type dep.outputName dep.dev.outputName ]',
      'builtins.parseDrvName dep.name', 'builtins.storePath dep.outPath', 'builtins.getContext (builtins.storePath dep.outPath)',
      'import <nix/fetchurl.nix> { url = "http://example.org/x.tar.gz"; sha256 = "0mdqa9w1p6cmli6976v4wi0sw9r4p5prkj7lzfd1877wk11c9c73"; }',
      '(import <nix/fetchurl.nix> { url = "http://example.org/x"; hash = "sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="; executable = true; }).drvPath',
    ])
  }
  return { expr: `let\n  ${DEP_LETS}\nin\n${body}`, flags: [...flags] }
}

interface DiffCaseDraft { readonly expr: string; readonly flags?: readonly string[]; readonly readWrite?: boolean }

/** With a writable store: `.drv` files and sources are written, so all-outputs contexts work. */
function store(r: Rng): DiffCaseDraft {
  const flags = new Set<string>()
  const a = drvAttrs(r, flags)
  const exprs = [
    `let d = derivation ${a}; in (derivation { name = "top"; builder = "/bin/sh"; system = "x86_64-linux"; p = d.drvPath; }).drvPath`,
    `let d = derivation ${a}; in derivationStrict { name = "top"; builder = "/bin/sh"; system = "x86_64-linux"; p = d.drvPath; q = "\${d}"; }`,
    `let d = derivation ${a}; in builtins.getContext (derivation { name = "top"; builder = "/bin/sh"; system = "x86_64-linux"; p = d.drvPath; }).drvPath`,
    `let d = derivation ${a}; in derivationStrict { name = "top"; builder = "/bin/sh"; system = "x86_64-linux"; __structuredAttrs = true; p = d.drvPath; }`,
    'let a = builtins.toFile "a" "aa"; b = builtins.toFile "b" "see ${a}"; in builtins.getContext (builtins.readFile b)',
    'builtins.readFile (builtins.toFile "x" "y")',
    'builtins.readFile "${./tree}/a.txt"',
    'builtins.getContext (builtins.readFile "${./tree}/a.txt")',
    'builtins.attrNames (builtins.readDir (builtins.path { path = ./tree; name = "t"; }))',
    'builtins.path { path = ./tree/a.txt; sha256 = "sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="; }',
    'builtins.readFile "${derivation { name = "a"; builder = "/bin/sh"; system = "x"; }}/x"',
    'builtins.storePath (builtins.toFile "x" "y")',
    `derivationStrict { name = "deep"; builder = "/bin/sh"; system = "x86_64-linux"; p = (derivation { name = "mid"; builder = "/bin/sh"; system = "x86_64-linux"; q = (derivation ${a}).drvPath; }).drvPath; }`,
  ]
  const expr = `let
  ${DEP_LETS}
in
${r.pick(exprs)}`
  return { expr, readWrite: true, ...(flags.size > 0 ? { flags: [...flags] } : {}) }
}

const FLAKE_REFS = [
  'github:NixOS/nixpkgs', 'github:NixOS/nixpkgs/23.05?dir=lib', 'github:a/b/c?host=x.org', 'gitlab:foo/bar/v1', 'sourcehut:~user/repo',
  'github:NixOS/nixpkgs/e17d3602eacfbf46f2dd1f42a2f79d5d96ad641a', 'nixpkgs', 'nixpkgs/nixos-23.05', 'flake:nixpkgs', 'flake:nixpkgs/x?dir=y',
  'path:/tmp/x', 'path:/tmp/x?dir=sub', 'git+https://example.org/repo.git?ref=main', 'git+file:///tmp/repo?shallow=1', 'git+ssh://git@github.com/a/b',
  'https://example.org/x.tar.gz', 'tarball+https://example.org/x', 'file+https://example.org/x', 'https://example.org/file.txt',
  'github:NixOS/nixpkgs?narHash=sha256-47DEQpj8HBSa%2B/TImW%2B5JCeuQeRkm5NMpJWZG3hSuFU%3D', 'nixpkgs?dir=x', './rel', 'github:', 'foo:bar',
]

function flakeRefs(r: Rng): DiffCaseDraft {
  const ref = r.pick(FLAKE_REFS)
  let expr: string
  switch (r.int(0, 3)) {
    case 0: expr = `builtins.parseFlakeRef ${strLit(ref)}`; break
    case 1: expr = `builtins.flakeRefToString (builtins.parseFlakeRef ${strLit(ref)})`; break
    case 2: expr = `builtins.flakeRefToString { type = ${strLit(r.pick(['github', 'indirect', 'path', 'git', 'tarball', 'gitlab']))}; ${r.pick(['owner = "o"; repo = "r";', 'id = "nixpkgs";', 'path = "/p";', 'url = "https://x.org/y";'])} ${r.pick(['', 'ref = "main";', 'rev = "e17d3602eacfbf46f2dd1f42a2f79d5d96ad641a";', 'dir = "d";', 'shallow = true;', 'revCount = 3;', 'narHash = "sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=";'])} }`; break
    default: expr = r.pick(['builtins.flakeRefToString { type = "github"; owner = "o"; repo = -1; }', 'builtins.flakeRefToString { type = "github"; owner = "o"; repo = 1.5; }', 'builtins.flakeRefToString { }', 'builtins.parseFlakeRef 1', 'builtins.getFlake "nixpkgs"'])
  }
  return r.chance(0.9) ? { expr, flags: ['flakes'] } : { expr }
}

/**
 * `builtins.genList`'s lists, which tsnix builds lazily (value.ts `GenList`): read element by
 * element (`length`, `elemAt`, `head`, `foldl'`) and then whole, mixed, shared, with elements
 * that throw, are functions or lists, and through every consumer that takes a whole list.
 */
function genLists(r: Rng): string {
  const n = r.pick(['0', '1', '2', '5', '10', '100'])
  const k = r.int(-3, 7)
  const gen = r.pick([
    'i: i', `i: i * ${k}`, `i: { v = i; }`, 'i: "s${toString i}"', `i: if i == ${r.int(0, 6)} then throw "e" else i`,
    'i: x: x + i', 'i: builtins.genList (j: i * j) i', 'i: i + 0.5',
  ])
  const xs = `(builtins.genList (${gen}) ${n})`
  const fold = r.pick([
    "builtins.foldl' (a: b: a + (if builtins.isAttrs b then b.v else if builtins.isFunction b then b 1 else if builtins.isList b then builtins.length b else if builtins.isString b then builtins.stringLength b else b)) 0 xs",
    "builtins.foldl' (a: b: a) 0 xs", "builtins.foldl' (a: b: b) null xs", "builtins.foldl' (a: b: [ b ] ++ a) [ ] xs",
  ])
  switch (r.int(0, 12)) {
    case 0: return `let xs = ${xs}; in ${fold}`
    case 1: return `let xs = ${xs}; in [ (${fold}) xs ]`
    case 2: return `let xs = ${xs}; in [ (builtins.length xs) (builtins.elemAt xs ${r.pick(['0', '1', '3', '9', '(-1)', '100'])}) ]`
    case 3: return `let xs = ${xs}; in [ (builtins.head xs) (${fold}) (builtins.tail xs) ]`
    case 4: return `let xs = ${xs}; in ${r.pick(['builtins.deepSeq xs xs', 'builtins.seq xs 1', 'builtins.toJSON xs', 'toString xs', 'xs ++ [ 1 ]', 'builtins.isList xs', 'builtins.typeOf xs', 'builtins.tryEval (builtins.deepSeq xs 1)'])}`
    case 5: return `let xs = ${xs}; in xs == builtins.genList (${gen}) ${n}`
    case 6: return `let xs = ${xs}; in [ (${fold}) (xs == ${xs}) ]`
    case 7: return `let xs = ${xs}; in builtins.${r.pick(['map (x: [ x ])', 'filter (x: true)', 'concatLists (builtins.map (x: [ x x ])', 'elem 3', 'all builtins.isInt', 'any builtins.isInt', 'sort (a: b: a < b)', 'lessThan [ 0 ]'])} ${r.chance(0.3) ? 'xs)' : 'xs'}`
    case 8: return `${xs} + 1`
    case 9: return `let xs = ${xs}; in { inherit xs; n = builtins.length xs; }`
    case 10: return `builtins.listToAttrs (builtins.genList (i: { name = "a\${toString (i - ${r.int(0, 3)})}"; value = i; }) ${n})`
    case 11: return `let xs = ${xs}; ys = builtins.map (x: x) xs; in [ (builtins.elemAt xs 1) (${fold.replace(/xs$/, 'ys')}) ys ]`
    default: return `builtins.concatStringsSep "," (builtins.map toString (builtins.genList (i: i * ${k}) ${n}))`
  }
}

/** Categories and how many cases each gets. */
export const CATEGORY_COUNTS: ReadonlyArray<readonly [string, number, (r: Rng) => string | DiffCaseDraft]> = [
  ['arith', 90, arith],
  ['strings', 100, strings],
  ['attrs', 80, attrs],
  ['laziness', 40, laziness],
  ['lists', 90, lists],
  ['hashes', 40, hashes],
  ['regex', 40, regex],
  ['paths', 50, paths],
  ['derivations', 170, derivations],
  ['flakeRefs', 40, flakeRefs],
  ['store', 50, store],
  ['genLists', 60, genLists],
]

/** The cases for a seed; duplicates (same expression and flags) are dropped. */
export function generateDiffCases(seed: number): DiffCase[] {
  const r = new Rng(seed)
  const out: DiffCase[] = []
  const seen = new Set<string>()
  for (const [category, count, gen] of CATEGORY_COUNTS) {
    let n = 0
    for (let tries = 0; n < count && tries < count * 20; tries++) {
      const d = gen(r)
      const draft: DiffCaseDraft = typeof d === 'string' ? { expr: d } : d
      const key = `${draft.expr}\0${(draft.flags ?? []).join(' ')}\0${draft.readWrite === true}`
      if (seen.has(key)) continue
      seen.add(key)
      out.push({
        id: `${category}-${n}`, category, expr: draft.expr,
        ...(draft.flags && draft.flags.length > 0 ? { flags: draft.flags } : {}), ...(draft.readWrite ? { readWrite: true } : {}),
      })
      n++
    }
  }
  return out
}

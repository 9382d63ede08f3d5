/**
 * Random Nix expressions for differential testing against C++ Nix: typed generation (so most
 * expressions evaluate, exercising printing, arithmetic, strings and the core builtins), with a
 * small share of deliberate type errors, throws and failed asserts (so error messages and
 * traces get compared too). Deterministic for a seed.
 */

type Ty = 'int' | 'float' | 'bool' | 'string' | 'list' | 'attrs' | 'any' | 'fn' | 'misc' | 'path'

import { mulberry32 as rng } from '../../../support/rng.js'
export { rng }

const INTS = ['0', '1', '2', '3', '7', '10', '42', '100', '255', '1000000', '9223372036854775807', '4611686018427387904',
  '(-1)', '(-9223372036854775807 - 1)', '3037000500', '(-5)']
const FLOATS = ['0.0', '1.0', '0.1', '1.5', '2.5', '3.14159', '1e10', '1.0e-5', '.5', '123456789.0', '1e300', '(-0.0)', '100.0',
  '0.30000000000000004', '1e16', '1.23456789012345e-7', '(-2.75)']
const STRS = ['""', '"a"', '"abc"', '"hello world"', '"a\\nb"', '"tab\\there"', '"\\${x}"', '"ü"', '"quote\\"d"', '"1.2.3"',
  '"2.0pre1"', '"x-1.0"', '"foo-bar-2.5"', '"a,b,,c"', '"$"', '"\\\\"', "''indented\n  text ''", "''a''${'$'}{b}''", '"𝄞"',
  '"\\r"', '"  spaces  "', '"or"', '"a.b"', '"1abc"']
const KEYS = ['a', 'b', 'c', 'x', 'y', 'foo', 'bar', '"a b"', '"1a"', '"or"', 'z_1', "\"with'quote\"", '"ü"', '""', 'A', '_']

export class Gen {
  private readonly r: () => number
  constructor(seed: number) { this.r = rng(seed) }

  private int(n: number): number { return Math.floor(this.r() * n) }
  private pick<T>(xs: readonly T[]): T { return xs[this.int(xs.length)]! }
  private chance(p: number): boolean { return this.r() < p }

  expr(t: Ty, d: number): string {
    // A small share of ill-typed subexpressions: errors are part of what gets compared.
    if (d > 0 && t !== 'any' && this.chance(0.015)) return this.expr(this.pick(['int', 'string', 'list', 'attrs', 'bool'] as Ty[]), d - 1)
    if (d > 0 && this.chance(0.004)) return this.pick(['(throw "boom")', '(abort "stop")', '(assert 1 == 2; 0)', '(builtins.throw "t${toString 1}")'])
    if (d <= 0 || this.chance(0.25)) return this.leaf(t)
    const e = (ty: Ty): string => this.expr(ty, d - 1)
    switch (t) {
      case 'int': return this.pick<() => string>([
        () => `(${e('int')} + ${e('int')})`, () => `(${e('int')} - ${e('int')})`, () => `(${e('int')} * ${e('int')})`,
        () => `(${e('int')} / ${e('int')})`, () => `(builtins.length ${e('list')})`, () => `(builtins.stringLength ${e('string')})`,
        () => `(builtins.bitAnd ${e('int')} ${e('int')})`, () => `(builtins.bitXor ${e('int')} ${e('int')})`,
        () => `(builtins.bitOr ${e('int')} ${e('int')})`, () => `(builtins.ceil ${e('float')})`, () => `(builtins.floor ${e('float')})`,
        () => `(if ${e('bool')} then ${e('int')} else ${e('int')})`, () => `(let v = ${e('int')}; in v * v)`,
        () => `(builtins.foldl' (a: b: a + b) 0 ${this.intList(d - 1)})`, () => `(builtins.head ${this.intList(d - 1)})`,
        () => `(builtins.elemAt ${this.intList(d - 1)} ${this.pick(['0', '1', '2', '5', '(-1)'])})`,
        () => `(builtins.compareVersions ${e('string')} ${e('string')})`, () => `(${e('attrs')}.${this.pick(KEYS)} or ${e('int')})`,
        () => `(builtins.add ${e('int')} ${e('int')})`, () => `(builtins.div ${e('int')} ${e('int')})`, () => `(- ${e('int')})`,
        () => `(builtins.length (builtins.attrNames ${e('attrs')}))`, () => `(${this.fn('int')} ${e('int')})`,
      ])()
      case 'float': return this.pick<() => string>([
        () => `(${e('float')} + ${e('float')})`, () => `(${e('float')} * ${e('int')})`, () => `(${e('int')} / ${e('float')})`,
        () => `(${e('float')} - ${e('float')})`, () => `(builtins.div ${e('float')} ${e('float')})`, () => `(- ${e('float')})`,
        () => `(if ${e('bool')} then ${e('float')} else ${e('float')})`, () => `(builtins.fromJSON ${this.pick(['"1.5"', '"1e3"', '"-0.25"', '"12345678901234567890"'])})`,
      ])()
      case 'bool': return this.pick<() => string>([
        () => `(${e('int')} < ${e('int')})`, () => `(${e('float')} <= ${e('int')})`, () => `(${e('string')} < ${e('string')})`,
        () => `(${e('any')} == ${e('any')})`, () => `(${e('list')} != ${e('list')})`, () => `(${e('bool')} && ${e('bool')})`,
        () => `(${e('bool')} || ${e('bool')})`, () => `(${e('bool')} -> ${e('bool')})`, () => `(!${e('bool')})`,
        () => `(builtins.${this.pick(['isInt', 'isFloat', 'isString', 'isList', 'isAttrs', 'isBool', 'isFunction', 'isNull', 'isPath'])} ${e('any')})`,
        () => `(builtins.elem ${e('int')} ${this.intList(d - 1)})`, () => `(${e('attrs')} ? ${this.pick(KEYS)})`,
        () => `(builtins.hasAttr ${this.pick(STRS)} ${e('attrs')})`, () => `(builtins.all (x: x > 2) ${this.intList(d - 1)})`,
        () => `(builtins.any (x: x == 3) ${this.intList(d - 1)})`, () => `(builtins.lessThan ${e('int')} ${e('int')})`,
        () => `(${e('list')} == ${e('list')})`, () => `(${e('attrs')} == ${e('attrs')})`, () => `(${e('float')} == ${e('int')})`,
      ])()
      case 'string': return this.pick<() => string>([
        () => `(${e('string')} + ${e('string')})`, () => `"pre\${${e('string')}}post"`, () => `(toString ${this.pick(['int', 'float', 'bool', 'string'] as Ty[]) === 'int' ? e('int') : e(this.pick(['float', 'bool', 'string'] as Ty[]))})`,
        () => `(toString ${this.pick(['null', '[ 1 "a" null ]', '[ [ 1 2 ] true false ]', '1.0', '[]'])})`,
        () => `(builtins.substring ${e('int')} ${e('int')} ${e('string')})`, () => `(builtins.concatStringsSep ${e('string')} ${this.strList(d - 1)})`,
        () => `(builtins.replaceStrings [ ${this.pick(STRS)} ${this.pick(STRS)} ] [ ${this.pick(STRS)} ${this.pick(STRS)} ] ${e('string')})`,
        () => `(builtins.toJSON ${e('any')})`, () => `(builtins.typeOf ${e('any')})`, () => `(builtins.baseNameOf ${e('string')})`,
        () => `(builtins.dirOf ${e('string')})`, () => `(builtins.head (builtins.attrNames (${e('attrs')} // { zz = 1; })))`,
        () => `(builtins.unsafeDiscardStringContext ${e('string')})`, () => `''\n  ind \${${e('string')}}\n    more\n''`,
        () => `(builtins.getEnv "TSNIX_SURELY_UNSET")`, () => `(builtins.toString ${e('int')})`,
        () => `(builtins.concatStringsSep "." (builtins.splitVersion ${e('string')}))`, () => `(${e('attrs')}.${this.pick(KEYS)} or ${e('string')})`,
        () => `(builtins.parseDrvName ${e('string')}).name`, () => `(builtins.toXML ${e('any')})`, () => `(${this.fn('string')} ${e('string')})`,
      ])()
      case 'list': return this.pick<() => string>([
        () => `[ ${this.many(() => e('any'), 4)} ]`, () => `(${e('list')} ++ ${e('list')})`, () => `(map (x: x * 2) ${this.intList(d - 1)})`,
        () => `(builtins.filter (x: x > 1) ${this.intList(d - 1)})`, () => `(builtins.genList (i: i * ${e('int')}) ${this.pick(['0', '1', '3', '5'])})`,
        () => `(builtins.sort builtins.lessThan ${this.intList(d - 1)})`, () => `(builtins.sort (a: b: a > b) ${this.intList(d - 1)})`,
        () => `(builtins.tail ${e('list')})`, () => `(builtins.concatLists [ ${e('list')} ${e('list')} ])`, () => `(builtins.attrNames ${e('attrs')})`,
        () => `(builtins.attrValues ${e('attrs')})`, () => `(builtins.catAttrs "a" [ ${e('attrs')} ${e('attrs')} ])`,
        () => `(builtins.concatMap (x: [ x x ]) ${e('list')})`, () => `(builtins.fromJSON (builtins.toJSON ${e('list')}))`,
        () => `(builtins.splitVersion ${e('string')})`, () => `(builtins.map toString ${this.intList(d - 1)})`,
        () => `(builtins.genericClosure { startSet = [ { key = 1; } ]; operator = x: if x.key < ${this.pick(['3', '5'])} then [ { key = x.key + 1; } ] else []; })`,
        () => `(builtins.sort (a: b: a < b) ${this.strList(d - 1)})`, () => `(builtins.partition (x: x > 2) ${this.intList(d - 1)}).right`,
      ])()
      case 'attrs': return this.pick<() => string>([
        () => `{ ${this.many(() => `${this.pick(KEYS)} = ${e('any')};`, 4, true)} }`, () => `(${e('attrs')} // ${e('attrs')})`,
        () => `(builtins.listToAttrs [ { name = ${this.pick(STRS)}; value = ${e('any')}; } { name = ${this.pick(STRS)}; value = ${e('any')}; } ])`,
        () => `(builtins.mapAttrs (n: v: n) ${e('attrs')})`, () => `(builtins.removeAttrs ${e('attrs')} [ ${this.pick(STRS)} "a" ])`,
        () => `(builtins.intersectAttrs ${e('attrs')} ${e('attrs')})`, () => `(builtins.zipAttrsWith (n: vs: vs) [ ${e('attrs')} ${e('attrs')} ])`,
        () => `(rec { a = ${e('int')}; b = a + 1; c = { inherit a b; }; })`, () => `(builtins.functionArgs ({ a, b ? 1, ... }: a))`,
        () => `(builtins.tryEval ${e('any')})`, () => `(builtins.parseDrvName ${e('string')})`, () => `(builtins.partition (x: x > 2) ${this.intList(d - 1)})`,
        () => `(let inherit (${e('attrs')}) ; in { inherit ${this.pick(['', 'true', 'null'])}; })`, () => `({ a.b.c = ${e('any')}; a.d = ${e('any')}; })`,
        () => `(builtins.groupBy (x: if x > 2 then "big" else "small") ${this.intList(d - 1)})`,
      ])()
      case 'fn': return this.fn('int')
      case 'misc': return this.pick<() => string>([
        () => `(builtins.seq ${e('any')} ${e('any')})`, () => `(builtins.deepSeq ${e('any')} ${e('any')})`,
        () => `(builtins.tryEval (throw ${e('string')}))`, () => `(builtins.tryEval (assert ${e('bool')}; ${e('any')}))`,
        () => `(builtins.addErrorContext "ctx" ${e('any')})`, () => `(builtins.trace ${e('any')} ${e('any')})`,
        () => `(builtins.warn ${e('string')} ${e('any')})`, () => `(builtins.elemAt ${e('list')} ${e('int')})`,
        () => `(builtins.substring (-1) 2 ${e('string')})`, () => `(builtins.fromJSON ${this.pick(['"{"', '"[1,2"', '"tru"', '"\\"\\\\u00e9\\""', '"{\\"a\\": [1, 2.5, null, true]}"', '"1e400"', '"-9223372036854775809"', '"  7  "'])})`,
        () => `(builtins.toJSON ${this.pick(['(x: x)', 'builtins.add', '{ __toString = s: "S"; }', '{ outPath = "/o"; }', '[ 1.0 0.1 1e20 1e-7 ]'])})`,
        () => `(toString ${this.pick(['{ __toString = s: "S${"$"}{toString s.n}"; n = 4; }', '{ outPath = "/out"; }', '{ }', '(x: x)', '[ 1 [ 2 null ] ]'])})`,
        () => `(builtins.concatStringsSep "," [ ${e('any')} ${e('any')} ])`, () => `(with ${e('attrs')}; ${this.pick(['a', 'x', 'b', 'foo'])})`,
        () => `(with { a = 1; }; with { a = 2; b = a; }; [ a b ])`, () => `(let a = 1; in with { a = 2; }; a)`,
        () => `(let x = { y = x; z = 1; }; in x.y.y.z)`, () => `(let f = { a, b ? a + 1, ... }@args: [ a b (builtins.attrNames args) ]; in f ${e('attrs')})`,
        () => `(({ a ? 1, b }: a + b) { b = ${e('int')}; })`, () => `((x: { inherit x; }) ${e('any')})`,
        () => `(${e('int')} * 4611686018427387904)`, () => `(9223372036854775807 + ${e('int')})`, () => `((-9223372036854775807 - 1) / (-1))`,
        () => `(builtins.sort (a: b: true) [ 3 1 2 ])`, () => this.badSort(), () => this.json(), () => `(builtins.sort (a: b: ${e('any')}) [ 2 1 ])`,
        () => `([ 1 2 ] < [ 1 3 ])`, () => `([ 1 "a" ] < [ 1 2 ])`, () => `((x: x) == (x: x))`, () => `(let f = x: x; in f == f)`,
        () => `(1 == 1.0)`, () => `({ a = 1; } == { a = 1.0; })`, () => `(builtins.listToAttrs [ { name = "a"; value = 1; } { name = "a"; value = 2; } ])`,
        () => `({ __functor = self: x: self.k + x; k = ${e('int')}; } ${e('int')})`, () => `(${e('attrs')}.a.b or "dflt")`,
        () => `(${e('attrs')} ? a.b)`, () => `(assert ${e('bool')}; ${e('any')})`, () => `(builtins.compareVersions "1.0" ${e('string')})`,
        () => `(builtins.parseDrvName ${this.pick(['"hello-2.10"', '"nix-2.34.8pre"', '"a-b-c"', '"noversion"', '"x-1-2"'])})`,
        () => `(builtins.genericClosure { startSet = ${e('any')}; operator = x: [ ]; })`, () => `(builtins.head [ ])`, () => `(builtins.tail [ ])`,
        () => `(rec { a = b; b = a; }).a`, () => `(let x = x; in x)`, () => `(builtins.foldl' (a: b: b) ${e('any')} ${e('list')})`,
        () => `(builtins.map (x: x.a) [ { a = 1; } ${e('any')} ])`, () => `(builtins.filter (x: x) ${e('list')})`,
        () => `"\${${e('any')}}"`, () => `(builtins.toString ${e('float')})`, () => `(${e('float')} < ${e('string')})`,
        () => `(builtins.attrValues ${e('any')})`, () => `(builtins.length ${e('any')})`, () => `(builtins.getAttr ${e('string')} ${e('attrs')})`,
        () => `(builtins.throw ${e('any')})`, () => `(abort ${e('any')})`, () => `(builtins.typeOf ${e('any')})`,
        () => `(builtins.stringLength ${e('any')})`, () => `(builtins.genList (x: x) ${e('int')})`, () => `(builtins.bitAnd ${e('any')} 1)`,
        () => `(builtins.mapAttrs (n: v: v + 1) ${e('attrs')})`, () => `(builtins.zipAttrsWith (n: v: builtins.length v) [ ${e('attrs')} ${e('any')} ])`,
        () => `(builtins.removeAttrs ${e('any')} [ "a" ])`, () => `(builtins.intersectAttrs ${e('any')} { a = 1; })`,
        () => `(builtins.catAttrs "a" ${e('any')})`, () => `(builtins.listToAttrs ${e('any')})`, () => `(builtins.concatLists ${e('any')})`,
        () => `(builtins.replaceStrings [ "" ] [ "X" ] ${e('string')})`, () => `(builtins.replaceStrings ${e('any')} [ ] "a")`,
        () => `(builtins.splitVersion ${e('any')})`, () => `(builtins.unsafeGetAttrPos "a" ${e('attrs')})`, () => `__curPos`,
        () => `(builtins.functionArgs ${e('any')})`, () => `(let inherit (${e('attrs')}) a; in a)`, () => `({ a = 1; a.b = 2; })`,
        () => `({ a.b = 1; } // { a.c = 2; })`, () => `(-${e('any')})`, () => `(!${e('any')})`, () => `(${e('any')} + ${e('any')})`,
        () => `(${e('any')} ++ ${e('any')})`, () => `(${e('any')} // ${e('any')})`, () => `(if ${e('any')} then 1 else 2)`,
        () => `(${e('any')} ${e('any')})`, () => `(${e('any')}.a)`, () => `(${e('list')} == ${e('any')})`,
      ])()
      case 'path': return this.pick<() => string>([
        () => `(${e('path')} + ${e('string')})`, () => `(${e('path')} + ${e('path')})`, () => `(${e('string')} + ${e('path')})`,
        () => `(builtins.baseNameOf ${e('path')})`, () => `(toString ${e('path')})`,
        () => `(builtins.toPath ${e('string')})`, () => `(builtins.pathExists ${e('path')})`, () => `(builtins.readFile ${e('path')})`,
        () => `(builtins.readDir ${e('path')})`, () => `(builtins.readFileType ${e('path')})`, () => `"\${${e('path')}}"`,
        () => `(${e('path')} == ${e('path')})`, () => `(${e('path')} < ${e('path')})`, () => `(builtins.isPath ${e('path')})`,
        () => `[ ${e('path')} ${e('path')} ]`, () => `(builtins.toJSON ${e('path')})`, () => `{ p = ${e('path')}; }`,
        () => `(builtins.storePath ${e('string')})`, () => `(builtins.hasContext (toString ${e('path')}))`,
      ])()
      case 'any': return this.expr(this.pick(['int', 'int', 'float', 'bool', 'string', 'string', 'list', 'attrs', 'misc', 'misc', 'path'] as Ty[]), d)
    }
  }

  private fn(res: 'int' | 'string'): string {
    return res === 'int'
      ? this.pick(['(x: x + 1)', '({ x ? 2 }: x * 3) { }', '(builtins.add 1)', '(builtins.sub 10)', '(x: builtins.div x 2)', '(a: b: a) 7'])
      : this.pick(['(s: s + "!")', '(s: "<${s}>")', '(builtins.substring 0 2)', '(builtins.replaceStrings [ "a" ] [ "A" ])'])
  }

  private many(f: () => string, max: number, unique = false): string {
    const n = this.int(max + 1)
    const out: string[] = []
    const seen = new Set<string>()
    for (let i = 0; i < n; i++) {
      const s = f()
      if (unique) {
        const k = s.slice(0, s.indexOf(' = '))
        if (seen.has(k)) continue
        seen.add(k)
      }
      out.push(s)
    }
    return out.join(' ')
  }

  /** fromJSON of random token soup: mostly malformed, for nlohmann's error messages. */
  private json(): string {
    const parts = ['[', ']', '{', '}', ':', ',', '1', '-', '1.5', '-0', '1e', '0123', 'tru', 'null', 'false', '"a"', '"\\u12"',
      '"\\ud800"', '" b"', ' ', '\n', 'x', '1e400', '18446744073709551616', '"\\n"', '"\t"', '{"k":', '[1,2', '"']
    const n = 1 + this.int(7)
    let t = ''
    for (let i = 0; i < n; i++) t += this.pick(parts)
    // As a Nix string literal: quotes and backslashes escaped, `${` kept literal.
    const lit = t.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\$\{/g, '\\${').replace(/\n/g, '\\n').replace(/\t/g, '\\t')
    return `(builtins.fromJSON "${lit}")`
  }

  /** A sort whose comparator is no strict weak order: the result depends on the exact algorithm. */
  private badSort(): string {
    const n = 2 + this.int(40)
    const xs: string[] = []
    for (let i = 0; i < n; i++) xs.push(`{ k = ${this.int(6)}; i = ${i}; }`)
    const cmp = this.pick(['a.k <= b.k', 'a.k != b.k', 'a.i - b.i > a.k', 'builtins.trace a.i (a.k < b.k)', 'a.k < b.k'])
    return `(map (x: x.i) (builtins.sort (a: b: ${cmp}) [ ${xs.join(' ')} ]))`
  }

  /** A float literal: 17 significant digits at any magnitude, or an exact tie like 234692.5. */
  private randomFloat(): string {
    const x = this.chance(0.3)
      ? (Math.floor(this.r() * 1e7) + 0.5) / 2 ** this.int(4)
      : this.r() * 10 * 10 ** (this.int(80) - 40)
    const s = x.toPrecision(17)
    return /[.e]/.test(s) ? s : `${s}.0`
  }

  private intList(d: number): string {
    if (d > 0 && this.chance(0.3)) return this.expr('list', d)
    return `[ ${this.many(() => this.leaf('int'), 5)} ]`
  }

  private strList(d: number): string {
    if (d > 0 && this.chance(0.2)) return `(builtins.map toString ${this.intList(d - 1)})`
    return `[ ${this.many(() => this.pick(STRS), 4)} ]`
  }

  private leaf(t: Ty): string {
    switch (t) {
      case 'int': return this.pick(INTS)
      case 'float': return this.chance(0.4) ? this.randomFloat() : this.pick(FLOATS)
      case 'bool': return this.pick(['true', 'false'])
      case 'string': return this.pick(STRS)
      case 'list': return this.pick(['[]', '[ 1 2 3 ]', '[ "a" null true ]', '[ [ ] { } ]', '[ 1.5 (x: x) builtins.add ]'])
      case 'attrs': return this.pick(['{ }', '{ a = 1; }', '{ a = 1; b = "two"; }', '{ x = { y = null; }; }', '{ "a b" = [ ]; c = 3.0; }', '{ __functor = self: x: x; }'])
      case 'fn': return this.fn('int')
      // No path that exists on either machine: copying one to the store would differ.
      case 'path': return this.pick(['/foo', '/foo/bar', '/a/../b', '/tsnix-surely-missing/x', '~/x', '<tsnix-missing>', '/a//b/./c', '/x/${"y"}', '/"q"'])
      case 'misc': return this.pick(['null', 'builtins.langVersion', 'builtins.nixVersion', 'builtins.storeDir', '(builtins.getEnv "HOME")', 'builtins.true'])
      case 'any': return this.leaf(this.pick(['int', 'float', 'bool', 'string', 'list', 'attrs'] as Ty[]))
    }
  }
}

/** A case: the expression and the flags it runs with (`nix-instantiate FLAGS -E EXPR`). */
export interface GenCase { expr: string; flags: string[] }

const FLAG_SETS: readonly string[][] = [
  ['--eval', '--strict'], ['--eval', '--strict'], ['--eval', '--strict'], ['--eval'], ['--eval', '--strict', '--json'],
  ['--eval', '--strict', '--xml', '--no-location'],
]

export function generateCases(seed: number, n: number): GenCase[] {
  const g = new Gen(seed)
  const r = rng(seed ^ 0x5bd1e995)
  const out: GenCase[] = []
  for (let i = 0; i < n; i++) {
    const depth = 2 + Math.floor(r() * 3)
    out.push({ expr: g.expr('any', depth), flags: FLAG_SETS[Math.floor(r() * FLAG_SETS.length)]! })
  }
  return out
}

/**
 * Shared lists and sets printed after (deep) forcing: `«repeated»` follows the identity of the
 * value that holds a list (C++ keys it on the `Value`, a copy being a new one), which deep
 * forcing must keep when it stores a list literal's list in place of its thunk (value.ts
 * `ownsList`). Each case binds a list, shares it through a container, forces it some way and
 * prints it (`--eval`, `--strict`, a type error's value, `trace`).
 */
export function generateSharingCases(seed: number, n: number): GenCase[] {
  const r = rng(seed)
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!
  const lists = ['[ 1 ]', '[ [ 1 ] 2 ]', '[ { a = 1; } ]', '[ (y: y) ]', 'builtins.genList (i: i) 2', 'map (i: [ i ]) [ 1 2 ]',
    'builtins.attrValues { a = [ 1 ]; }', '[ 1 ] ++ [ 2 ]', 'builtins.filter (i: true) [ [ 1 ] ]', '[ [ ] ]']
  const containers = [
    '{ a = x; b = x; c = [ x ]; }', '[ x x ]', 'rec { a = x; b = a; c = [ a b ]; }', '{ a = x; } // { b = x; }',
    '[ x (builtins.head [ x ]) ]', '{ inherit x; y = x; z = { inherit x; }; }', 'let s = { a = x; }; in [ s.a s.a s ]',
    'let s = { a = x; }; in [ s (s // { }) (builtins.attrValues s) ]', '[ x (builtins.elemAt [ x ] 0) [ x ] ]',
    'let f = v: [ v v ]; in f x', 'builtins.catAttrs "a" [ { a = x; } { a = x; } ]', '{ a = [ x x ]; b = [ x ]; }',
    'let y = [ x x ]; in [ y y x ]', 'builtins.listToAttrs [ { name = "a"; value = x; } { name = "b"; value = x; } ]',
    'builtins.mapAttrs (n: v: v) { a = x; b = x; }', '[ (x ++ [ ]) x ]', 'let s = rec { a = [ 1 ]; b = [ a a ]; }; in [ s s.b ]',
  ]
  const forcings = [
    (v: string) => `builtins.deepSeq (${v}) (${v})`,
    (v: string) => `let v = ${v}; in builtins.deepSeq v (builtins.deepSeq v v)`,
    (v: string) => `let v = ${v}; in builtins.deepSeq v [ v v ]`,
    (v: string) => `let v = ${v}; in builtins.seq v v`,
    (v: string) => `${v}`,
    (v: string) => `let v = ${v}; z = builtins.deepSeq v v; in [ z v ]`,
    (v: string) => `let v = ${v}; in builtins.deepSeq v (builtins.length (builtins.deepSeq v 1 + v))`,
    (v: string) => `let v = ${v}; in builtins.trace (builtins.deepSeq v v) 1`,
    (v: string) => `let v = ${v}; in builtins.deepSeq v (builtins.trace v 1)`,
  ]
  const flags: string[][] = [['--eval', '--strict'], ['--eval', '--strict'], ['--eval']]
  const out: GenCase[] = []
  const seen = new Set<string>()
  for (let tries = 0; out.length < n && tries < n * 20; tries++) {
    const v = `let x = ${pick(lists)}; in ${pick(containers)}`
    const c = { expr: pick(forcings)(v), flags: pick(flags) }
    const key = `${c.flags.join(' ')} ${c.expr}`
    if (seen.has(key)) continue
    seen.add(key)
    out.push(c)
  }
  return out
}

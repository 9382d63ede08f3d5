/**
 * TOML documents for the differential goldens (capture.ts): hand-written ones for each rule and
 * quirk, and seeded random ones built from the same pieces, about a third mutated into something
 * probably invalid. Documents are binary strings (UTF-8 bytes, one char per byte). Expected
 * results come from C++ Nix, never from here.
 */
import { rng } from '../eval-regex/generate.js'

/** UTF-8 bytes of a JS string, as a binary string. */
export const u8 = (s: string): string => String.fromCharCode(...new TextEncoder().encode(s))

export const handWritten: string[] = [
  '',
  '\n\n',
  '# only a comment',
  'a = 1',
  'a = 1\n',
  'a = 1\r\nb = 2\r\n',
  'a = 1\rb = 2\n',
  'a = 1\r',
  '\u00ef\u00bb\u00bfa = 1\n',
  'a = 1 [b]\nc = 2\n',
  '[a] [b]\n',
  '[a]b = 1\n',
  'a = 1 b = 2\n',
  'a = 1 # c\nb = 2#c\n#c\n  # c\n\tc = 3\n',
  'a = 1 # \u0001 x\n',
  'a = 1 # \u007f x\n',
  'a = 1 # \u00c3\u00a9 ok\n',
  'a = 1 # \u00c3 bad\n',
  // keys
  'bare_key-1 = 1\n1234 = 2\n"quoted key" = 3\n\'lit key\' = 4\n"" = 5\n',
  u8('"é" = 1\n\'ʞ\' = 2\n'),
  u8('é = 1\n'),
  'a.b.c = 1\na.b.d = 2\na . e = 3\n"x.y".z = 4\n',
  'a = 1\na = 2\n',
  'a = 1\n"a" = 2\n',
  'a.b = 1\na = 2\n',
  'a = 1\na.b = 2\n',
  'a = {b = 1}\na.c = 2\n',
  '= 1\n',
  'a =\n',
  'a = 1 =\n',
  'a b = 1\n',
  '"a\nb" = 1\n',
  '"""a""" = 1\n',
  // integers
  'a = 0\nb = +0\nc = -0\nd = 42\ne = +99\nf = -17\ng = 1_000\nh = 1_2_3\n',
  'a = 9223372036854775807\nb = -9223372036854775808\n',
  'attr = 9223372036854775808',
  'attr = -9223372036854775809',
  'a = 0xDEADbeef\nb = 0xdead_beef\nc = 0o755\nd = 0b1101\ne = 0x0000_00ff\nf = 0o0\ng = 0b0\n',
  'a = 0x7fffffffffffffff\nb = 0o777777777777777777777\nc = 0b111111111111111111111111111111111111111111111111111111111111111\n',
  'a = 0x8000000000000000\n',
  'a = 0o1000000000000000000000\n',
  'a = 0b1000000000000000000000000000000000000000000000000000000000000000\n',
  'a = 0b0000000000000000000000000000000000000000000000000000000000000000000001\n',
  'a = 01\n', 'a = 00\n', 'a = 0_1\n', 'a = 1__0\n', 'a = 1_\n', 'a = _1\n', 'a = +0x1\n', 'a = 0x\n',
  'a = 0X1\n', 'a = 0xg\n', 'a = 0o8\n', 'a = 0b2\n', 'a = 1a\n', 'a = 12:00\n', 'a = 1-2\n',
  // floats
  'a = 1.0\nb = -0.0\nc = +1.5\nd = 3.1415\ne = 5e+22\nf = 1e6\ng = -2E-2\nh = 6.626e-34\ni = 9_224_617.445_991_228_313\nj = 1e0_1\n',
  'a = inf\nb = +inf\nc = -inf\nd = nan\ne = +nan\nf = -nan\n',
  'a = 1e400\n', 'a = -1e400\n', 'a = 1e-400\nb = 5e-324\nc = 2.4e-324\n', 'a = 1.7976931348623157e308\nb = 1.7976931348623159e308\n',
  'a = 0.1\nb = 0.30000000000000004\nc = 123456789012345678901234567890.0\nd = 1e23\n',
  'a = 1.\n', 'a = .5\n', 'a = 1.e5\n', 'a = 1e\n', 'a = 1.0_\n', 'a = 1_.0\n', 'a = 01.5\n', 'a = 1e_5\n',
  'a = Inf\n', 'a = NaN\n', 'a = infinity\n', 'a = nan1\n', 'a = 1.5.6\n', 'a = 0x1.8p3\n',
  // booleans
  'a = true\nb = false\n', 'a = True\n', 'a = FALSE\n', 'a = tru\n', 'a = truex\n',
  // strings
  'a = "tab\\tnl\\nq\\"bs\\\\b\\bf\\fr\\r"\nb = "\\u00e9\\U0001F600\\u0041"\n',
  'a = "\\e"\n', 'a = "\\x41"\n', 'a = "\\q"\n', 'a = "\\u12"\n', 'a = "\\uD800"\n', 'a = "\\U00110000"\n', 'a = "\\U0010FFFF"\n',
  'a = "\\u0000"\n', 'k = "a\\u0000b"', '"a\\u0000b" = 1', 'a = "x\ty"\n', 'a = "x\u0001y"\n', 'a = "x\u007fy"\n',
  'a = "unterminated\n', 'a = "\u00c3\u00a9"\n', 'a = "\u00c3"\n', 'a = "\u00c0\u00af"\n', 'a = "\u00ed\u00a0\u0080"\n', 'a = "\u00f4\u0090\u0080\u0080"\n',
  "a = 'lit\\eral \"x\" '\nb = ''\n", "a = 'x\ty'\n", "a = 'x\u0001'\n", "a = 'it''s'\n",
  'a = """\nline1\nline2\\\n   \n   continued"""\n',
  'a = """\r\nx\r\ny"""\r\n',
  'a = """""x"""""\nb = """x""""\nc = """"x"""\nd = """x"""\n',
  'a = """x""""""\n',
  'a = """\\   \n   x"""\n', 'a = """x\\ y"""\n', 'a = """x\ry"""\n',
  "a = '''\nraw \\n '' ok'''\nb = '''''x'''''\n", "a = '''x''''''\n", "a = '''\r\nx'''\n",
  'a = """"""\nb = \'\'\'\'\'\'\n',
  // dates and times
  'a = 1979-05-27T07:32:00Z\nb = 1979-05-27T00:32:00-07:00\nc = 1979-05-27T00:32:00.999999-07:00\nd = 1979-05-27 07:32:00Z\ne = 1979-05-27t07:32:00z\n',
  'a = 1979-05-27T07:32:00\nb = 1979-05-27T00:32:00.5\nc = 1979-05-27\nd = 07:32:00\ne = 00:32:00.000\nf = 00:32:00.0001\ng = 00:32:00.1234567891\n',
  'a = 1979-05-27T07:32:00+00:00\nb = 1979-05-27T07:32:00-00:00\nc = 1979-05-27T07:32:00+05:30\nd = 1979-05-27T07:32:00-00:30\ne = 1979-05-27T07:32:00+24:00\nf = 1979-05-27T07:32:00+23:60\n',
  'a = 1979-05-27T07:32:00+25:00\n', 'a = 1979-05-27T07:32:00+05\n', 'a = 1979-05-27T07:32\n', 'a = 07:32\n', 'a = 1979-05-27T7:32:00\n',
  'a = 1979-02-29\n', 'a = 1980-02-29\n', 'a = 2000-02-29\n', 'a = 1900-02-29\n', 'a = 1979-13-01\n', 'a = 1979-04-31\n', 'a = 1979-00-10\n',
  'a = 24:00:00\n', 'a = 23:60:00\n', 'a = 23:59:60\n', 'a = 23:59:61\n', 'a = 0000-01-01\n', 'a = 9999-12-31T23:59:59.999999999Z\n',
  'a = 1979-05-27 # date then comment\n', 'a = 1979-05-27 07\n', 'a = 1979-05-2707:32:00\n', 'a = 1979-05-27T07:32:00.\n', 'a = 1979-05-27T07:32:00Zx\n',
  // arrays
  'a = []\nb = [ ]\nc = [1,2,3]\nd = [1, "x", 1.5, true, [2], {a = 1}]\ne = [\n  1, # one\n  2,\n  # comment\n]\nf = [[1, 2], [3]]\n',
  'a = [1 2]\n', 'a = [1,,2]\n', 'a = [,]\n', 'a = [1,\n', 'a = [\n1\n', 'a = [1] 2\n',
  'a = [{b = 1}, {b = 2}]\n[[a]]\nb = 3\n',
  'a = [{b = 1}]\n[a.c]\n',
  'a = []\n[[a]]\n',
  'a = [1]\n[a.b]\n',
  // inline tables
  'a = {}\nb = { }\nc = {x = 1, y = "z", n = {m = [1, 2]}}\nd = {a.b = 1, a.c = 2}\n',
  'a = {b = 1,}\n', 'a = {b = 1\n}\n', 'a = {\nb = 1}\n', 'a = {b = 1 c = 2}\n', 'a = {b = 1, b = 2}\n', 'a = {b = 1, b.c = 2}\n', 'a = {b.c = 1, b = 2}\n',
  'a = {b = 1}\n[a]\n', 'a = {b = 1}\n[a.c]\n', 'a = {b = {c = 1}}\na.b.d = 2\n',
  // tables
  '[table-1]\nkey1 = "some string"\nkey2 = 123\n\n[table-2]\nkey1 = "another"\n',
  '[ a . b ]\n[ "x y" . \'z\' ]\n[\ta.c\t]\n',
  '[a]\nb = 1\n[a]\nc = 2\n',
  '[a.b]\nc = 1\n[a]\nd = 2\n',
  '[a.b]\nc = 1\n[a]\nb = 2\n',
  '[a.b]\nc = 1\n[a]\nb.d = 2\n',
  '[a]\nb.c = 1\n[a.b]\nd = 2\n',
  '[a]\nb.c = 1\n[a.b.e]\nd = 2\n',
  'a.b = 1\n[a]\nc = 2\n',
  'a.b.c = 1\n[a.b.d]\ne = 2\n',
  'a.b = 1\n[[a.c]]\n',
  '[a.b]\n[a.b]\n',
  '[a]\n[a.b]\n[a]\n',
  '[x.y.z.w]\n[x]\n[x.y]\n',
  '[[products]]\nname = "Hammer"\n[[products]]\n[[products]]\nname = "Nail"\n',
  '[[fruit]]\nname = "apple"\n[fruit.physical]\ncolor = "red"\n[[fruit.variety]]\nname = "red delicious"\n[[fruit.variety]]\nname = "granny"\n[[fruit]]\nname = "banana"\n[[fruit.variety]]\nname = "plantain"\n',
  '[[a]]\n[a]\n', '[a]\n[[a]]\n', '[[a]]\nb.c = 1\n[a.b]\n', '[[a.b]]\n[a]\nc = 1\n', '[[a]]\n[[a.b]]\nc = 1\n[[a.b]]\n',
  '[[a]]\n[a.b]\nx = 1\n[[a]]\n[a.b]\nx = 2\n', '[a]\n[[a.b]]\n[a.b.c]\n', 'a = 1\n[a.b]\n', 'a = 1\n[a]\n', 'a = 1\n[[a]]\n',
  '[]\n', '[a\n', '[a]]\n', '[[a]\n', '[[a] ]\n', '[ [a] ]\n', '[a.]\n', '[.a]\n', '[a..b]\n', '[a b]\n', '[a] # c\n[b]#c\n', '[a] x\n',
  '[a]\n  b = 1\n\t[a.c]\n\td = 2\n',
  u8('[j . "ʞ" . \'l\']\n[a.b.c]\n'),
  // everything from the lang suite's example
  '# This is a TOML document.\n\ntitle = "TOML Example"\n\n[owner]\nname = "Tom Preston-Werner"\n\n[database]\nserver = "192.168.1.1"\nports = [ 8001, 8001, 8002 ]\nconnection_max = 5000\nenabled = true\n\n[servers]\n\n  [servers.alpha]\n  ip = "10.0.0.1"\n  dc = "eqdc10"\n\n  [servers.beta]\n  ip = "10.0.0.2"\n  dc = "eqdc10"\n\n[clients]\ndata = [ ["gamma", "delta"], [1, 2] ]\nhosts = [\n  "alpha",\n  "omega"\n]\n',
]

/** Random documents from the same building blocks. */
export function generateDocs(seed: number, count: number): string[] {
  const r = rng(seed)
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!
  const chance = (p: number): boolean => r() < p
  const bareKeys = ['a', 'b', 'c', 'key', 'x-y', 'z_1', '42', 'name', 'A']
  const key = (): string => {
    const k = r()
    const simple = (): string => chance(0.75) ? pick(bareKeys) : chance(0.5) ? `"${pick(['q k', 'a.b', '', 'x', u8('é')])}"` : `'${pick(['lit', 'a', '"'])}'`
    if (k < 0.7) return simple()
    return simple() + pick(['.', ' . ', '.']) + simple() + (chance(0.3) ? '.' + simple() : '')
  }
  const scalar = (): string => pick([
    '0', '-17', '+42', '1_000', '9223372036854775807', '-9223372036854775808', '0xff', '0o17', '0b101',
    '1.5', '-0.0', '6.02e23', '1e-7', 'inf', '-nan', '3.141_59',
    'true', 'false',
    '"s"', '"esc\\t\\"\\u00e9"', '\'lit\'', '""', '"""\nml\nstr"""', "'''raw\\n'''", `"${u8('ü')}"`,
    '1979-05-27T07:32:00Z', '1979-05-27T07:32:00.25+01:30', '1979-05-27 07:32:00', '2024-02-29', '12:34:56.789',
  ])
  const value = (depth: number): string => {
    const k = r()
    if (depth > 0 && k < 0.12) {
      const n = Math.floor(r() * 4)
      const items = Array.from({ length: n }, () => value(depth - 1))
      return chance(0.3) ? `[\n  ${items.join(',\n  ')}${chance(0.5) ? ',' : ''}\n]` : `[${items.join(', ')}]`
    }
    if (depth > 0 && k < 0.2) {
      const n = Math.floor(r() * 3)
      return `{${Array.from({ length: n }, () => `${key()} = ${value(depth - 1)}`).join(', ')}}`
    }
    return scalar()
  }
  const mutations = [
    (d: string): string => d + '\na = 1\na = 2\n',
    (d: string): string => d.replace('=', ''),
    (d: string): string => d.replace(/\n/, ' junk\n'),
    (d: string): string => d.replace('"', ''),
    (d: string): string => d.replace('[', '[ '),
    (d: string): string => d + '\n[t]\n[t]\n',
    (d: string): string => d.replace(/(\d)/, '0$1'),
    (d: string): string => d.replace('1', '1__'),
    (d: string): string => d.replace(']', ''),
    (d: string): string => d.replace('}', ',}'),
    (d: string): string => d + '\nx = 1979-02-30\n',
    (d: string): string => d + '\nx = "\\z"\n',
    (d: string): string => d + '\nx = 99999999999999999999\n',
    (d: string): string => d.replace(/\n/, '\r'),
    (d: string): string => d + '\nx = [1 2]\n',
    (d: string): string => d + '\nx = {y = 1\n}\n',
  ]
  const docs: string[] = []
  for (let i = 0; i < count; i++) {
    let d = ''
    const lines = 1 + Math.floor(r() * 5)
    for (let j = 0; j < lines; j++) d += `${key()} = ${value(2)}${chance(0.2) ? ' # note' : ''}\n`
    const tables = Math.floor(r() * 3)
    for (let t = 0; t < tables; t++) {
      d += chance(0.3) ? `\n[[${pick(['arr', 'arr.sub', 'list'])}]]\n` : `\n[${pick(['t', 't.u', 'v', 'w.x.y', 'tbl'])}${t}]\n`
      const n = Math.floor(r() * 3)
      for (let j = 0; j < n; j++) d += `${key()} = ${value(1)}\n`
    }
    if (chance(0.1)) d = d.replaceAll('\n', '\r\n')
    if (chance(0.3)) d = pick(mutations)(d)
    docs.push(d)
  }
  return docs
}

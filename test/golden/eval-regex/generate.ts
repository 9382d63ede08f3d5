/**
 * The seeded generator of regex test cases for the differential goldens (capture.ts). It only
 * proposes patterns and subjects; the expected results come from C++ Nix.
 *
 * Patterns cover literals and escapes, `.`, bracket expressions (ranges, classes, `[:w:]`,
 * collating elements, equivalence classes, leading `]` and `-`, negation), groups (nested,
 * optional, empty), alternation (with empty branches), anchors in odd places, `*` `+` `?`
 * `{m}` `{m,}` `{m,n}` and stacked quantifiers; about one in six is mutated into something
 * libstdc++ may reject. Subjects mix random strings over a small alphabet (with newlines,
 * specials and UTF-8/high bytes) with strings sampled from the pattern itself so that many
 * cases match.
 */

import { mulberry32 as rng } from '../../support/rng.js'
export { rng }

export interface RegexCase {
  pattern: string
  subjects: string[]
}

const SUBJECT_ALPHABET = ['a', 'a', 'b', 'b', 'c', 'x', 'A', 'Z', '0', '1', '9', '-', '.', '/', '_', ' ', '\n', '\t', ']', '[', '{', '}', '\\', '"', '$', '^', '*', '+', '?', '(', ')', '|', ',', "'", ':', '=', '\u00c3\u00a9', '\u00ff', '\u0080']
const LITERALS = ['a', 'b', 'c', 'x', 'A', '0', '1', '-', '/', '_', ' ', ',', '"', "'", ':', '=', ']', '}', '\n', '\u00c3\u00a9']
const ESCAPABLE = ['.', '[', '\\', '(', ')', '*', '+', '?', '{', '|', '^', '$']
const CLASSES = ['alpha', 'digit', 'alnum', 'upper', 'lower', 'space', 'blank', 'punct', 'print', 'graph', 'cntrl', 'xdigit', 'w', 'd', 's', 'ALPHA', 'Digit']
const COLLATE = ['a', 'z', 'A', 'hyphen', 'space', 'period', 'tab', 'right-square-bracket', 'NUL', 'zero']

export function generateCases(seed: number, count: number): RegexCase[] {
  const r = rng(seed)
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!
  const chance = (p: number): boolean => r() < p

  function bracket(): string {
    let s = '['
    if (chance(0.3)) s += '^'
    if (chance(0.1)) s += ']'
    if (chance(0.1)) s += '-'
    const n = 1 + Math.floor(r() * 3)
    for (let i = 0; i < n; i++) {
      const k = r()
      if (k < 0.3) s += pick(['a', 'b', 'x', '0', '.', '*', '\\', '[', '/', ' ', '_', '$', '\u00c3'])
      else if (k < 0.55) s += pick(['a-c', 'a-z', 'A-Z', '0-9', '!--', '--/', ' -~', '\u0080-\u00ff', 'b-b'])
      else if (k < 0.85) s += `[:${pick(CLASSES)}:]`
      else if (k < 0.93) s += `[.${pick(COLLATE)}.]`
      else s += `[=${pick(['a', 'A', 'b', 'hyphen'])}=]`
    }
    if (chance(0.1)) s += '-'
    return s + ']'
  }

  function atom(depth: number): string {
    const k = r()
    if (k < 0.35) return pick(LITERALS)
    if (k < 0.45) return '\\' + pick(ESCAPABLE)
    if (k < 0.55) return '.'
    if (k < 0.72) return bracket()
    if (depth > 0 && k < 0.92) return '(' + alternation(depth - 1) + ')'
    if (k < 0.96) return '()'
    return pick(['^', '$'])
  }

  function quantified(depth: number): string {
    let a = atom(depth)
    if (a === '^' || a === '$') return a
    const k = r()
    const q = k < 0.5 ? '' : k < 0.62 ? '*' : k < 0.72 ? '+' : k < 0.82 ? '?'
      : k < 0.88 ? `{${Math.floor(r() * 3)}}` : k < 0.94 ? `{${Math.floor(r() * 2)},}` : `{${Math.floor(r() * 2)},${1 + Math.floor(r() * 3)}}`
    a += q
    if (q !== '' && chance(0.08)) a += pick(['*', '+', '?', '{2}'])
    return a
  }

  function sequence(depth: number): string {
    const n = chance(0.08) ? 0 : 1 + Math.floor(r() * 3)
    let s = ''
    for (let i = 0; i < n; i++) s += quantified(depth)
    return s
  }

  function alternation(depth: number): string {
    let s = sequence(depth)
    if (chance(0.3)) {
      s += '|' + sequence(depth)
      if (chance(0.3)) s += '|' + sequence(depth)
    }
    return s
  }

  function mutate(p: string): string {
    const at = Math.floor(r() * (p.length + 1))
    const ins = pick(['\\d', '\\w', '\\1', '\\n', '\\]', '\\}', '(', ')', '{,2}', '{2,1}', '[z-a]', '*', '+', '{', '[[:nope:]]', '[a', '[a-z-9]', '[[.nope.]]', '[[:alpha:]-z]', '{1', 'a{1,2,3}', '\\', '[[=.=]]', '|*', '(?:a)', 'a{x}', '[]', '[^]'])
    return p.slice(0, at) + ins + p.slice(at)
  }

  /** A string the pattern probably matches (a rough walk over its text, not a parser). */
  function sample(p: string): string {
    let out = ''
    for (let i = 0; i < p.length; i++) {
      const c = p[i]!
      if (c === '\\' && i + 1 < p.length) { out += p[++i]; continue }
      if ('()|^$?*+'.includes(c)) { if (c === '+' || c === '*') { if (chance(0.5) && out.length > 0) out += out[out.length - 1] } continue }
      if (c === '{') { while (i < p.length && p[i] !== '}') i++; continue }
      if (c === '.') { out += pick(['a', 'x', '.', '\n', '\u00c3']); continue }
      if (c === '[') {
        const neg = p[i + 1] === '^'
        let j = i + 1 + (neg ? 1 : 0) + 1
        while (j < p.length && p[j] !== ']') {
          const step = p[j] === '[' && ':.='.includes(p[j + 1] ?? '') ? p.indexOf(']', p.indexOf(p[j + 1]!, j + 2)) - j + 1 : 1
          j += step > 0 ? step : 1 // an unterminated `[:` (mutated patterns) has no ']' to skip to
        }
        const body = p.slice(i + 1, j)
        out += neg ? pick(['q', '#', '\n']) : /[a-z]/.test(body) ? 'b' : /[0-9]|digit/.test(body) ? '7' : body.includes('space') ? ' ' : (body.replace(/[[\]^:]/g, '')[0] ?? 'a')
        i = j
        continue
      }
      out += c
    }
    return out
  }

  function subject(): string {
    const n = Math.floor(r() * 9)
    let s = ''
    for (let i = 0; i < n; i++) s += pick(SUBJECT_ALPHABET)
    return s
  }

  const cases: RegexCase[] = []
  for (let i = 0; i < count; i++) {
    let p = alternation(2)
    if (chance(0.16)) p = mutate(p)
    const subjects = [sample(p), sample(p), subject(), subject()]
    if (chance(0.3)) subjects.push(sample(p) + subject())
    cases.push({ pattern: p, subjects: [...new Set(subjects)] })
  }
  return cases
}

/** Hand-picked cases: the examples from the docs, known libstdc++ quirks, limits and errors. */
export const handPicked: RegexCase[] = [
  { pattern: '(a|ab)(c|bcd)(d*)', subjects: ['abcd', 'abc', 'xabcdy'] },
  { pattern: 'a*(b|abc)', subjects: ['abc', 'xabc', 'aabc'] },
  { pattern: '(a|ab)(c|bcd)?', subjects: ['xabcdy', 'abcd'] },
  { pattern: '(a*)*', subjects: ['', 'b', 'aa'] },
  { pattern: '(a*)*b', subjects: ['b', 'aab'] },
  { pattern: '(a*)+b', subjects: ['b', 'ab'] },
  { pattern: '(a|(b))*', subjects: ['ab', 'ba', 'aba'] },
  { pattern: '((a)|b)+', subjects: ['ab', 'ba', 'bab'] },
  { pattern: '(a?)*', subjects: ['', 'a', 'aa', 'b'] },
  { pattern: '(a?)+', subjects: ['', 'a', 'aa'] },
  { pattern: '(a?){2}', subjects: ['', 'a', 'aa'] },
  { pattern: '(|a)*', subjects: ['', 'a', 'aa'] },
  { pattern: '(a|)+', subjects: ['', 'a', 'aa'] },
  { pattern: '(()|a)*b', subjects: ['b', 'ab'] },
  { pattern: '(a*)(b*)', subjects: ['', 'ab', 'ba'] },
  { pattern: '', subjects: ['', 'abc'] },
  { pattern: 'a*', subjects: ['baaac', ''] },
  { pattern: '^', subjects: ['abc', ''] },
  { pattern: '$', subjects: ['abc', ''] },
  { pattern: '^|a', subjects: ['aab', 'bab'] },
  { pattern: 'x*|^a', subjects: ['aab', 'bxa'] },
  { pattern: 'b|^a', subjects: ['aab', 'bab'] },
  { pattern: '(^a)*', subjects: ['aa', 'a'] },
  { pattern: 'a^b', subjects: ['a^b', 'ab'] },
  { pattern: 'a$b', subjects: ['a$b'] },
  { pattern: '[]a]+', subjects: [']a]', 'a'] },
  { pattern: '[^]a]+', subjects: ['bc', ']'] },
  { pattern: '[\\]+', subjects: ['\\\\', 'a'] },
  { pattern: '[a-]+', subjects: ['a-a', 'b'] },
  { pattern: '[-a]+', subjects: ['-a', 'b'] },
  { pattern: '[--/]+', subjects: ['-./', ','] },
  { pattern: '[!--]+', subjects: ['!-,', '.'] },
  { pattern: '[[.hyphen.]]', subjects: ['-'] },
  { pattern: '[[.a.]-c]+', subjects: ['abc', 'd'] },
  { pattern: '[[=a=]]+', subjects: ['aA', 'b'] },
  { pattern: '[[=A=]b]+', subjects: ['aAb', 'c'] },
  { pattern: '[[:w:]]+', subjects: ['a_1', '-'] },
  { pattern: '[[:ALPHA:]]+', subjects: ['ab', '1'] },
  { pattern: '[\u0080-\u00ff]+', subjects: ['\u00c3\u00a9', 'a'] },
  { pattern: '[a-\u00ff]', subjects: ['a'] },
  { pattern: '[\u00c3\u00a9]', subjects: ['\u00c3\u00a9', '\u00c3'] },
  { pattern: '(.)(.*)', subjects: ['\u00c3\u00a9', 'ab'] },
  { pattern: '.', subjects: ['\n', '\u00ff'] },
  { pattern: 'a**', subjects: ['aa', ''] },
  { pattern: 'a*?', subjects: ['aa', ''] },
  { pattern: 'a+?', subjects: ['aa', ''] },
  { pattern: 'a{2}{3}', subjects: ['aaaaaa', 'aaaa'] },
  { pattern: 'a{0}', subjects: ['', 'a'] },
  { pattern: 'a{0,0}b', subjects: ['b', 'ab'] },
  { pattern: '(a){0,2}', subjects: ['', 'a', 'aa', 'aaa'] },
  { pattern: '(a|b){2,3}', subjects: ['ab', 'aba', 'abab'] },
  { pattern: '(a|ab){1,2}(b*)', subjects: ['abb', 'ab', 'aab'] },
  { pattern: 'a{01}', subjects: ['a'] },
  { pattern: 'a}', subjects: ['a}'] },
  { pattern: 'a]', subjects: ['a]'] },
  { pattern: '()', subjects: [''] },
  { pattern: '(|a)', subjects: ['', 'a'] },
  { pattern: 'a||b', subjects: ['', 'a', 'b'] },
  { pattern: '|', subjects: ['', 'a'] },
  { pattern: '\\.\\[\\\\\\(\\)\\*\\+\\?\\{\\|\\^\\$', subjects: ['.[\\()*+?{|^$'] },
  { pattern: '[[:space:]]+|([\',.!?])', subjects: ['Nix Rocks!\nThat\'s why I use it.\n'] },
  { pattern: '(a)|(c)', subjects: ['abc'] },
  { pattern: '\n', subjects: ['a\nb\n'] },
  // Errors and limits.
  { pattern: 'a{,3}', subjects: [''] },
  { pattern: '\\d', subjects: [''] },
  { pattern: '\\1', subjects: [''] },
  { pattern: '(a)\\1', subjects: [''] },
  { pattern: '\\', subjects: [''] },
  { pattern: '\\]', subjects: [''] },
  { pattern: '*a', subjects: [''] },
  { pattern: '^*', subjects: [''] },
  { pattern: 'a|*b', subjects: [''] },
  { pattern: '(*a)', subjects: [''] },
  { pattern: 'a{2,1}', subjects: [''] },
  { pattern: '[b-a]', subjects: [''] },
  { pattern: '[a--]', subjects: [''] },
  { pattern: '[a-z-9]', subjects: [''] },
  { pattern: '[[:alpha:]-z]', subjects: [''] },
  { pattern: '[a-[:alpha:]]', subjects: [''] },
  { pattern: '[[:foo:]]', subjects: [''] },
  { pattern: '[[:alpha]', subjects: [''] },
  { pattern: '[[.-.]]', subjects: [''] },
  { pattern: '[[=.=]]', subjects: [''] },
  { pattern: '[a', subjects: [''] },
  { pattern: '[]', subjects: [''] },
  { pattern: '[^]', subjects: [''] },
  { pattern: 'a)', subjects: [''] },
  { pattern: '(a', subjects: [''] },
  { pattern: ')', subjects: [''] },
  { pattern: 'a{1', subjects: [''] },
  { pattern: 'a{', subjects: [''] },
  { pattern: 'a{1,2,3}', subjects: [''] },
  { pattern: 'a{x}', subjects: [''] },
  { pattern: '{1}', subjects: [''] },
  { pattern: 'a{2147483647}', subjects: [''] },
  { pattern: 'a{2147483648}', subjects: [''] },
  { pattern: 'a{4294967297}', subjects: [''] },
  { pattern: 'a{99993}', subjects: [''] },
  { pattern: 'a{99994}', subjects: [''] },
  { pattern: 'a{99995}', subjects: [''] },
  { pattern: 'a{99996}', subjects: [''] },
  { pattern: 'a{99997}', subjects: [''] },
  { pattern: '(ab){33331}', subjects: [''] },
  { pattern: '(ab){33332}', subjects: [''] },
  { pattern: '(a|b){19998}', subjects: [''] },
  { pattern: '(a|b){19999}', subjects: [''] },
  { pattern: 'a{0,49997}', subjects: [''] },
  { pattern: 'a{0,49998}', subjects: [''] },
  { pattern: 'a{100000,1}', subjects: [''] },
  { pattern: 'a{99999}\\', subjects: [''] },
  { pattern: 'a{99999}(', subjects: [''] },
  { pattern: '(?:a)', subjects: [''] },
  { pattern: 'a\n(', subjects: [''] },
]

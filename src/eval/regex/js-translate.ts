/**
 * When a JavaScript RegExp (V8's irregexp, a backtracker) provably finds what libstdc++'s
 * depth-first executor finds, and its source. Both explore branches in the same order (left
 * alternative first, one more greedy iteration first, `{m,n}` as m copies then nested optional
 * ones), so the first solution found is the same. They differ only in:
 *
 * 1. empty iterations: JS rejects an iteration that matched nothing (and JS `(a*)?` skips the
 *    group), libstdc++ lets a loop node be re-entered at the same position twice. Avoided by
 *    requiring every quantified body to be non-nullable;
 * 2. captures in loops: JS resets a loop body's groups at each iteration, libstdc++ keeps the
 *    last value. Avoided by requiring each group inside a body that can run twice to be set on
 *    every path through that body;
 * 3. which solution wins: JS takes the first found; libstdc++ keeps looking after an alternative
 *    and keeps a strictly longer one. In `match` every solution has the same length, so this
 *    matters only when searching (`split`): there the pattern must have no `|`. Without `|`,
 *    once a solution is found every remaining branch point is a Repeat that skips its exit, so
 *    nothing else is explored.
 *
 * For `split` the pattern must also be unable to match the empty string, because libstdc++'s
 * regex_iterator retries after an empty match with `match_not_null`, which JS cannot express.
 */
import type { Node } from './compile.js'

export type Mode = 'match' | 'search'

function nullable(n: Node): boolean {
  switch (n.kind) {
    case 'set': return false
    case 'bol': case 'eol': case 'empty': return true
    case 'group': return nullable(n.body)
    case 'seq': return n.items.every(nullable)
    case 'alt': return n.branches.some(nullable)
    case 'repeat': return n.min === 0 || nullable(n.body)
  }
}

function groupsIn(n: Node, out: Set<number>): Set<number> {
  switch (n.kind) {
    case 'group': out.add(n.index); groupsIn(n.body, out); break
    case 'seq': for (const i of n.items) groupsIn(i, out); break
    case 'alt': for (const b of n.branches) groupsIn(b, out); break
    case 'repeat': groupsIn(n.body, out); break
  }
  return out
}

/** Groups set on every successful path through `n`. */
function mandatory(n: Node): Set<number> {
  switch (n.kind) {
    case 'group': return new Set([n.index, ...mandatory(n.body)])
    case 'seq': return new Set(n.items.flatMap((i) => [...mandatory(i)]))
    case 'alt': {
      const [head, ...rest] = n.branches.map(mandatory)
      return new Set([...head!].filter((g) => rest.every((r) => r.has(g))))
    }
    case 'repeat': return n.min >= 1 ? mandatory(n.body) : new Set()
    default: return new Set()
  }
}

function eligible(n: Node, mode: Mode): boolean {
  switch (n.kind) {
    case 'set': case 'bol': case 'eol': case 'empty': return true
    case 'group': return eligible(n.body, mode)
    case 'seq': return n.items.every((i) => eligible(i, mode))
    case 'alt': return mode === 'match' && n.branches.every((b) => eligible(b, mode))
    case 'repeat': {
      if (nullable(n.body)) return false
      if (n.max >= 2) {
        const must = mandatory(n.body)
        for (const g of groupsIn(n.body, new Set())) if (!must.has(g)) return false
      }
      return eligible(n.body, mode)
    }
  }
}

const hex = (b: number): string => '\\x' + b.toString(16).padStart(2, '0')
const plain = /^[A-Za-z0-9 _]$/

function setSource(set: Uint8Array): string {
  let count = 0
  for (let b = 0; b < 256; b++) count += set[b]!
  if (count === 1) {
    const b = set.indexOf(1)
    const ch = String.fromCharCode(b)
    return plain.test(ch) ? ch : hex(b)
  }
  let out = '['
  for (let b = 0; b < 256; b++) {
    if (!set[b]) continue
    let e = b
    while (e + 1 < 256 && set[e + 1]) e++
    out += e === b ? hex(b) : e === b + 1 ? hex(b) + hex(e) : hex(b) + '-' + hex(e)
    b = e
  }
  return out + ']'
}

function source(n: Node): string {
  switch (n.kind) {
    case 'set': return setSource(n.set)
    case 'bol': return '^'
    case 'eol': return '$'
    case 'empty': return '(?:)'
    case 'group': return '(' + source(n.body) + ')'
    case 'seq': return n.items.map((i) => (i.kind === 'alt' ? '(?:' + source(i) + ')' : source(i))).join('')
    case 'alt': return n.branches.map(source).join('|')
    case 'repeat': {
      const q = n.max === Infinity ? (n.min === 0 ? '*' : n.min === 1 ? '+' : `{${n.min},}`)
        : n.min === 0 && n.max === 1 ? '?' : n.min === n.max ? `{${n.min}}` : `{${n.min},${n.max}}`
      return '(?:' + source(n.body) + ')' + q
    }
  }
}

/**
 * A RegExp equivalent to the ERE for `mode` (anchored at both ends for 'match', global for
 * 'search'), or undefined when equivalence is not guaranteed.
 */
export function toJsRegExp(ast: Node, mode: Mode): RegExp | undefined {
  if (!eligible(ast, mode)) return undefined
  if (mode === 'search' && nullable(ast)) return undefined
  const src = source(ast)
  try {
    return mode === 'match' ? new RegExp('^(?:' + src + ')$') : new RegExp(src, 'g')
  } catch {
    return undefined // e.g. a quantifier bound beyond what irregexp accepts
  }
}

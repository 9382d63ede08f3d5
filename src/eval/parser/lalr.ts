/**
 * An LALR(1) table generator that makes Bison's choices: precedence/associativity resolve
 * shift/reduce conflicts (%nonassoc yields an explicit error), and every state with reductions
 * gets the most common one as its default ("lr.default-reduction=most"). Used at development
 * time (gen-tables.ts) to produce tables.ts; the parser only reads the generated tables.
 */
import { PRECEDENCE, PRODUCTIONS, TERMINALS, type Production } from './grammar.js'

export interface Tables {
  /** Terminal codes in Bison symbol order (index = terminal number). */
  terminals: number[]
  nonterminals: string[]
  /** Per production: lhs nonterminal index, rhs length, action name. */
  prods: Array<[number, number, string]>
  /** Per state: [termIndex, action] pairs. action > 0: shift to state action-1... see ACT_* */
  actions: Array<Array<[number, number]>>
  /** Per state: default production index or -1. */
  defaults: number[]
  /** Per state: [nontermIndex, state] pairs. */
  gotos: Array<Array<[number, number]>>
}

import { ACCEPT } from './grammar.js'
export { ACCEPT }

interface Item { prod: number; dot: number }

export function generate(): Tables {
  // Augmented grammar: production 0 is $accept → start $end.
  const prods: Production[] = [{ lhs: '$accept', rhs: ['start', 0], action: 'accept' }, ...PRODUCTIONS]
  const nonterminals = ['$accept', ...new Set(PRODUCTIONS.map(p => p.lhs))]
  const ntIndex = new Map(nonterminals.map((n, i) => [n, i]))
  const termCodes = TERMINALS.map(t => t.code)
  const termIndex = new Map(termCodes.map((c, i) => [c, i]))
  for (const p of prods) for (const s of p.rhs) {
    if (typeof s === 'string' && !ntIndex.has(s)) throw new Error(`unknown nonterminal ${s}`)
    if (typeof s === 'number' && !termIndex.has(s)) throw new Error(`unknown terminal ${s}`)
  }
  const prodsOf = new Map<string, number[]>()
  prods.forEach((p, i) => { const l = prodsOf.get(p.lhs) ?? []; l.push(i); prodsOf.set(p.lhs, l) })

  // Precedence of tokens and productions.
  const tokPrec = new Map<number | string, { level: number; assoc: string }>()
  PRECEDENCE.forEach((l, level) => { for (const t of l.tokens) tokPrec.set(t, { level, assoc: l.assoc }) })
  const prodPrec = prods.map(p => {
    if (p.prec !== undefined) return tokPrec.get(p.prec)
    for (let i = p.rhs.length - 1; i >= 0; i--) {
      const s = p.rhs[i]!
      if (typeof s === 'number' && tokPrec.has(s)) return tokPrec.get(s)
    }
    return undefined
  })

  // Nullable and FIRST (terminal indices).
  const nullable = new Set<string>()
  const first = new Map<string, Set<number>>(nonterminals.map(n => [n, new Set<number>()]))
  for (let changed = true; changed;) {
    changed = false
    for (const p of prods) {
      const f = first.get(p.lhs)!
      let allNull = true
      for (const s of p.rhs) {
        if (typeof s === 'number') { const t = termIndex.get(s)!; if (!f.has(t)) { f.add(t); changed = true } allNull = false; break }
        for (const t of first.get(s)!) if (!f.has(t)) { f.add(t); changed = true }
        if (!nullable.has(s)) { allNull = false; break }
      }
      if (allNull && !nullable.has(p.lhs)) { nullable.add(p.lhs); changed = true }
    }
  }
  /** FIRST of a symbol sequence followed by lookahead set `la`. */
  const firstSeq = (seq: readonly (string | number)[], la: Iterable<number>): Set<number> => {
    const out = new Set<number>()
    for (const s of seq) {
      if (typeof s === 'number') { out.add(termIndex.get(s)!); return out }
      for (const t of first.get(s)!) out.add(t)
      if (!nullable.has(s)) return out
    }
    for (const t of la) out.add(t)
    return out
  }

  // LR(0) automaton.
  const key = (it: Item): number => it.prod * 64 + it.dot
  const closure0 = (kernel: Item[]): Item[] => {
    const out = [...kernel]
    const seen = new Set(out.map(key))
    for (let i = 0; i < out.length; i++) {
      const it = out[i]!
      const s = prods[it.prod]!.rhs[it.dot]
      if (typeof s !== 'string') continue
      for (const p of prodsOf.get(s)!) {
        const n = { prod: p, dot: 0 }
        if (!seen.has(key(n))) { seen.add(key(n)); out.push(n) }
      }
    }
    return out
  }
  const kernels: Item[][] = [[{ prod: 0, dot: 0 }]]
  const kernelId = new Map<string, number>([['0:0', 0]])
  const trans: Array<Map<string | number, number>> = []
  for (let st = 0; st < kernels.length; st++) {
    const items = closure0(kernels[st]!)
    const bySym = new Map<string | number, Item[]>()
    for (const it of items) {
      const s = prods[it.prod]!.rhs[it.dot]
      if (s === undefined) continue
      const l = bySym.get(s) ?? []
      l.push({ prod: it.prod, dot: it.dot + 1 })
      bySym.set(s, l)
    }
    const t = new Map<string | number, number>()
    for (const [sym, k] of bySym) {
      k.sort((a, b) => key(a) - key(b))
      const id = k.map(it => `${it.prod}:${it.dot}`).join(',')
      let target = kernelId.get(id)
      if (target === undefined) { target = kernels.length; kernels.push(k); kernelId.set(id, target) }
      t.set(sym, target)
    }
    trans[st] = t
  }

  // LALR(1) lookaheads by propagation (Dragon book 4.7.5), with a dummy lookahead -1.
  const la: Array<Map<number, Set<number>>> = kernels.map(k => new Map(k.map(it => [key(it), new Set<number>()])))
  const propagate: Array<Array<[number, number, number]>> = kernels.map(() => [])
  const closure1 = (item: Item, look: number): Array<[Item, Set<number>]> => {
    const out = new Map<number, [Item, Set<number>]>()
    const work: Array<[Item, number]> = [[item, look]]
    const addLook = (it: Item, l: number): void => {
      const k = key(it)
      let e = out.get(k)
      if (!e) { e = [it, new Set()]; out.set(k, e) }
      if (!e[1].has(l)) { e[1].add(l); work.push([it, l]) }
    }
    addLook(item, look)
    while (work.length > 0) {
      const [it, l] = work.pop()!
      const p = prods[it.prod]!
      const s = p.rhs[it.dot]
      if (typeof s !== 'string') continue
      const f = firstSeq(p.rhs.slice(it.dot + 1), [l])
      for (const q of prodsOf.get(s)!) for (const t of f) addLook({ prod: q, dot: 0 }, t)
    }
    return [...out.values()]
  }
  for (let st = 0; st < kernels.length; st++) {
    for (const kit of kernels[st]!) {
      for (const [it, looks] of closure1(kit, -1)) {
        const s = prods[it.prod]!.rhs[it.dot]
        if (s === undefined) continue
        const target = trans[st]!.get(s)!
        const tk = key({ prod: it.prod, dot: it.dot + 1 })
        for (const l of looks) {
          if (l === -1) propagate[st]!.push([key(kit), target, tk])
          else la[target]!.get(tk)!.add(l)
        }
      }
    }
  }
  for (let changed = true; changed;) {
    changed = false
    for (let st = 0; st < kernels.length; st++) {
      for (const [from, target, tk] of propagate[st]!) {
        const src = la[st]!.get(from)!
        const dst = la[target]!.get(tk)!
        for (const l of src) if (!dst.has(l)) { dst.add(l); changed = true }
      }
    }
  }

  // Actions.
  const actions: Array<Array<[number, number]>> = []
  const defaults: number[] = []
  const gotos: Array<Array<[number, number]>> = []
  const conflicts: string[] = []
  for (let st = 0; st < kernels.length; st++) {
    const act = new Map<number, number>()
    for (const [sym, target] of trans[st]!) {
      if (typeof sym === 'number') act.set(termIndex.get(sym)!, target + 1)
    }
    // Completed items: kernel items with the dot at the end, plus closure items of empty productions.
    const reductions: Array<[number, Set<number>]> = []
    for (const kit of kernels[st]!) {
      if (kit.dot === prods[kit.prod]!.rhs.length) reductions.push([kit.prod, la[st]!.get(key(kit))!])
    }
    for (const kit of kernels[st]!) {
      for (const [it, looks] of closure1(kit, -1)) {
        if (it.dot !== 0 || prods[it.prod]!.rhs.length !== 0) continue
        const set = new Set<number>()
        for (const l of looks) {
          if (l === -1) for (const x of la[st]!.get(key(kit))!) set.add(x)
          else set.add(l)
        }
        const existing = reductions.find(r => r[0] === it.prod)
        if (existing) for (const x of set) existing[1].add(x)
        else reductions.push([it.prod, set])
      }
    }
    const reduceCount = new Map<number, number>()
    for (const [prod, looks] of reductions.sort((a, b) => a[0] - b[0])) {
      if (prod === 0) continue
      for (const t of looks) {
        if (t < 0) continue
        const cur = act.get(t)
        const red = -(prod + 1)
        if (cur === undefined) { act.set(t, red); continue }
        if (cur > 0) {
          // shift/reduce
          const tp = tokPrec.get(termCodes[t]!)
          const rp = prodPrec[prod]
          if (tp === undefined || rp === undefined) { conflicts.push(`state ${st}: s/r on ${TERMINALS[t]!.display} (prod ${prod})`); continue }
          if (rp.level > tp.level) act.set(t, red)
          else if (rp.level < tp.level) { /* keep shift */ } else if (tp.assoc === 'left') act.set(t, red)
          else if (tp.assoc === 'nonassoc') act.set(t, 0)
        } else if (cur < 0) {
          conflicts.push(`state ${st}: r/r on ${TERMINALS[t]!.display} (prods ${-cur - 1}, ${prod})`)
        }
      }
    }
    // Accept: shifting $end after `start`.
    for (const kit of kernels[st]!) {
      if (kit.prod === 0 && kit.dot === 1) act.set(termIndex.get(0)!, ACCEPT)
    }
    for (const a of act.values()) if (a < 0) { const p = -a - 1; reduceCount.set(p, (reduceCount.get(p) ?? 0) + 1) }
    let def = -1
    let best = 0
    for (const [p, n] of [...reduceCount].sort((a, b) => a[0] - b[0])) if (n > best) { best = n; def = p }
    const list: Array<[number, number]> = []
    for (const [t, a] of [...act].sort((x, y) => x[0] - y[0])) {
      if (def >= 0 && a === -(def + 1)) continue
      list.push([t, a])
    }
    actions.push(list)
    defaults.push(def)
    const g: Array<[number, number]> = []
    for (const [sym, target] of trans[st]!) if (typeof sym === 'string') g.push([ntIndex.get(sym)!, target])
    gotos.push(g)
  }
  if (conflicts.length > 0) throw new Error(`grammar conflicts:\n${conflicts.join('\n')}`)

  return {
    terminals: termCodes,
    nonterminals,
    prods: prods.map(p => [ntIndex.get(p.lhs)!, p.rhs.length, p.action]),
    actions,
    defaults,
    gotos,
  }
}

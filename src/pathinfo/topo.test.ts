/** Topological order and cycle detection of a registration batch (C++ `topoSort`, worked by hand). */
import assert from 'node:assert/strict'
import { ReferenceCycleError } from './errors.js'
import { topoSortReferrersFirst } from './topo.js'

const graph = (edges: Record<string, string[]>) => (k: string): string[] => edges[k] ?? []

describe('pathinfo: topoSortReferrersFirst', () => {
  it('puts referrers before references, ignoring self-references and keys outside the set', () => {
    const order = topoSortReferrersFirst(['a', 'b', 'c'], graph({ a: ['a', 'b'], b: ['c', 'outside'], c: [] }), k => k)
    assert.deepEqual(order, ['a', 'b', 'c'])
    assert.deepEqual(topoSortReferrersFirst(['c', 'b', 'a'], graph({ a: ['b'], b: ['c'] }), k => k), ['a', 'b', 'c'])
  })
  it('names the path met again and the one it was reached from', () => {
    assert.throws(() => topoSortReferrersFirst(['a', 'b', 'c'], graph({ a: ['b'], b: ['c'], c: ['a'] }), k => `/s/${k}`),
      (e: Error) => e instanceof ReferenceCycleError && e.message === "cycle detected in the references of '/s/a' from '/s/c'")
  })
  it('handles a 50k-long chain without recursion', () => {
    const n = 50_000
    const keys = Array.from({ length: n }, (_, i) => i)
    const order = topoSortReferrersFirst(keys, k => (k + 1 < n ? [k + 1] : []), String)
    assert.equal(order[0], 0)
    assert.equal(order[n - 1], n - 1)
  })
})

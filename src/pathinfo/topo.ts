/**
 * Topological order of a set of paths by their references within the set (C++ `topoSort`):
 * every path comes before the paths it refers to ("referrers first"), self-references are
 * ignored, and a cycle is an error naming the path met again and the path it was reached from.
 * Iterative, so a 100k-long chain does not overflow the stack.
 */
import { ReferenceCycleError } from './errors.js'

/**
 * `children(k)` may name keys outside `keys`; those are ignored. `show` prints a key for the
 * error message. Keys are visited in the order given (C++ visits its sorted set).
 */
export function topoSortReferrersFirst<K>(
  keys: readonly K[],
  children: (k: K) => Iterable<K>,
  show: (k: K) => string,
): K[] {
  const inSet = new Set(keys)
  const state = new Map<K, 1 | 2>() // 1 = on the current DFS path, 2 = done
  const postOrder: K[] = []
  for (const root of keys) {
    if (state.has(root)) continue
    // Each frame: the key and an iterator over its remaining children.
    const stack: Array<{ key: K; it: Iterator<K> }> = [{ key: root, it: children(root)[Symbol.iterator]() }]
    state.set(root, 1)
    while (stack.length > 0) {
      const top = stack[stack.length - 1]!
      const n = top.it.next()
      if (n.done) {
        state.set(top.key, 2)
        postOrder.push(top.key)
        stack.pop()
        continue
      }
      const child = n.value
      if (child === top.key || !inSet.has(child)) continue
      const s = state.get(child)
      if (s === 1) throw new ReferenceCycleError(`cycle detected in the references of '${show(child)}' from '${show(top.key)}'`)
      if (s === 2) continue
      state.set(child, 1)
      stack.push({ key: child, it: children(child)[Symbol.iterator]() })
    }
  }
  return postOrder.reverse()
}

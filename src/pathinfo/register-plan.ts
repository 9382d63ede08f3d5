/**
 * The database-independent half of `registerValidPaths`: validate the batch, check content
 * addresses and cycles, and encode every row, before any statement runs — so a bad batch
 * touches nothing. Written to allocate little: a 100k-path batch is planned in one go.
 */
import type { StoreDir } from '../store-path/index.js'
import { ReferenceCycleError } from './errors.js'
import { checkContentAddressed, checkRegistrable, encodeValidPath, type ValidPathColumns } from './row.js'
import type { ValidPathRegistration } from './service.js'

export interface PlannedPath {
  /** The printed path (the `path` column), also the key of the batch. */
  readonly key: string
  readonly cols: ValidPathColumns
  /** Printed references, self-reference included, sorted and unique. */
  readonly refs: readonly string[]
  /** Output name → printed path, only for `.drv` paths. */
  readonly drvOutputs: ReadonlyArray<readonly [string, string]>
  readonly castoreRoot: Uint8Array | undefined
}

function sortUnique(xs: string[]): string[] {
  if (xs.length < 2) return xs
  xs.sort()
  let w = 1
  for (let r = 1; r < xs.length; r++) if (xs[r] !== xs[w - 1]) xs[w++] = xs[r]!
  xs.length = w
  return xs
}

/**
 * Plans in C++'s order (its `ValidPathInfos` is a map keyed by store path, so rows are inserted
 * in path order); a path given twice keeps its last registration.
 */
export function planRegistration(storeDir: StoreDir, regs: readonly ValidPathRegistration[], now: number): PlannedPath[] {
  const steps = planSteps(storeDir, regs, now, Infinity)
  for (;;) {
    const r = steps.next()
    if (r.done) return r.value
  }
}

/** The same, yielding to the event loop every `chunk` paths (large batches). */
export async function planRegistrationInChunks(storeDir: StoreDir, regs: readonly ValidPathRegistration[], now: number, chunk: number): Promise<PlannedPath[]> {
  const steps = planSteps(storeDir, regs, now, chunk)
  for (;;) {
    const r = steps.next()
    if (r.done) return r.value
    await new Promise(resolve => setImmediate(resolve))
  }
}

function* planSteps(storeDir: StoreDir, regs: readonly ValidPathRegistration[], now: number, chunk: number): Generator<void, PlannedPath[], void> {
  const byKey = new Map<string, ValidPathRegistration>()
  for (const r of regs) byKey.set(storeDir.print(r.info.path), r)
  const plans: PlannedPath[] = []
  let sinceYield = 0
  for (const [key, { info, derivationOutputs, castoreRoot }] of byKey) {
    checkRegistrable(storeDir, info)
    checkContentAddressed(storeDir, info)
    const refs = sortUnique(info.references.map(r => storeDir.print(r)))
    const drvOutputs: Array<readonly [string, string]> = []
    if (derivationOutputs && info.path.isDerivation()) {
      for (const [name, p] of derivationOutputs) drvOutputs.push([name, storeDir.print(p)])
      drvOutputs.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
    }
    plans.push({ key, cols: encodeValidPath(storeDir, info, now), refs, drvOutputs, castoreRoot })
    if (++sinceYield >= chunk) { sinceYield = 0; yield }
  }
  plans.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
  checkAcyclic(plans)
  return plans
}

/**
 * C++ `topoSort` over the batch, for its error only: a depth-first search in path order over
 * references inside the batch (self-references ignored) that reports the first path met again
 * on the current search path, and the path it was reached from. Iterative, on indices.
 */
export function checkAcyclic(plans: readonly PlannedPath[]): void {
  const n = plans.length
  const index = new Map<string, number>()
  for (let i = 0; i < n; i++) index.set(plans[i]!.key, i)
  // Children as one flat array with offsets (a typed array per node would cost more than the search).
  const start = new Int32Array(n + 1)
  const flat: number[] = []
  for (let i = 0; i < n; i++) {
    start[i] = flat.length
    for (const r of plans[i]!.refs) {
      const j = index.get(r)
      if (j !== undefined && j !== i) flat.push(j)
    }
  }
  start[n] = flat.length
  const state = new Uint8Array(n) // 0 new, 1 on the search path, 2 done
  const stack = new Int32Array(n)
  const pos = new Int32Array(n)
  for (let root = 0; root < n; root++) {
    if (state[root] !== 0) continue
    let depth = 0
    stack[0] = root
    pos[0] = 0
    state[root] = 1
    while (depth >= 0) {
      const node = stack[depth]!
      const k = start[node]! + pos[depth]!
      if (k === start[node + 1]!) {
        state[node] = 2
        depth--
        continue
      }
      pos[depth]! += 1
      const child = flat[k]!
      if (state[child] === 1) {
        throw new ReferenceCycleError(`cycle detected in the references of '${plans[child]!.key}' from '${plans[node]!.key}'`)
      }
      if (state[child] === 0) {
        state[child] = 1
        depth++
        stack[depth] = child
        pos[depth] = 0
      }
    }
  }
}

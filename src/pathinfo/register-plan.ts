/**
 * The database-independent half of `registerValidPaths`: validate the batch, check content
 * addresses and cycles, and encode every row, before any statement runs — so a bad batch
 * touches nothing. Written to allocate little: a 100k-path batch is planned in one go.
 */
import type { PathInfo, StoreDir, StorePath } from '../store-path/index.js'
import { ReferenceCycleError } from './errors.js'
import { checkContentAddressed, checkRegistrable, encodeValidPath, type ValidPathColumns } from './row.js'
import type { ValidPathRegistration } from './service.js'

export interface PlannedPath {
  /** The registered info, as given. */
  readonly info: PathInfo
  readonly path: StorePath
  /** The printed path (the `path` column), also the key of the batch. */
  readonly key: string
  readonly cols: ValidPathColumns
  /** References, self-reference included, sorted and unique, and the same printed. */
  readonly refPaths: readonly StorePath[]
  readonly refs: readonly string[]
  /** Output name → printed path, only for `.drv` paths. */
  readonly drvOutputs: ReadonlyArray<readonly [string, string]>
  readonly castoreRoot: Uint8Array | undefined
}

/**
 * Store path order without building base names: a fixed-length hash part, then the name (the
 * same order as comparing `<hash>-<name>`, since '-' sorts below every nix32 character and
 * the hash parts have equal length). Avoids concatenated strings, which V8 must flatten to
 * compare or hash — most of the cost of planning a 100k-path batch otherwise.
 */
function comparePaths(a: StorePath, b: StorePath): number {
  if (a.hashPart !== b.hashPart) return a.hashPart < b.hashPart ? -1 : 1
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0
}

function sortUniquePaths(xs: StorePath[]): StorePath[] {
  if (xs.length < 2) return xs
  xs.sort(comparePaths)
  let w = 1
  for (let r = 1; r < xs.length; r++) if (comparePaths(xs[r]!, xs[w - 1]!) !== 0) xs[w++] = xs[r]!
  xs.length = w
  return xs
}

/**
 * Plans in C++'s order (its `ValidPathInfos` is a map keyed by store path, so rows are inserted
 * in path order); a path given twice keeps its last registration.
 */
export function planRegistration(storeDir: StoreDir, regs: readonly ValidPathRegistration[], now: number): PlannedPath[] {
  // One path (an add): nothing to order, and no cycle without a second path — the same plan
  // without the batch machinery (maps, a sort, the search's arrays, three generators).
  if (regs.length === 1) return [planOne(storeDir, regs[0]!, now)]
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

function planOne(storeDir: StoreDir, reg: ValidPathRegistration, now: number): PlannedPath {
  const { info, derivationOutputs, castoreRoot, contentAddressChecked } = reg
  checkRegistrable(storeDir, info)
  if (contentAddressChecked !== true) checkContentAddressed(storeDir, info)
  const refPaths = sortUniquePaths([...info.references])
  const drvOutputs: Array<readonly [string, string]> = []
  if (derivationOutputs && info.path.isDerivation()) {
    for (const [name, p] of derivationOutputs) drvOutputs.push([name, storeDir.print(p)])
    drvOutputs.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
  }
  const cols = encodeValidPath(storeDir, info, now)
  return { info, path: info.path, key: cols.path, refPaths, refs: refPaths.map(r => storeDir.print(r)), cols, drvOutputs, castoreRoot }
}

function* planSteps(storeDir: StoreDir, regs: readonly ValidPathRegistration[], now: number, chunk: number): Generator<void, PlannedPath[], void> {
  // Last registration of each path wins; keyed by hash part, names compared on collision.
  const byHash = new Map<string, ValidPathRegistration[]>()
  let sinceYield = 0
  for (const r of regs) {
    if (++sinceYield >= chunk) { sinceYield = 0; yield }
    const p = r.info.path
    const same = byHash.get(p.hashPart)
    if (!same) byHash.set(p.hashPart, [r])
    else {
      const i = same.findIndex(x => x.info.path.name === p.name)
      if (i >= 0) same[i] = r; else same.push(r)
    }
  }
  const plans: PlannedPath[] = []
  for (const group of byHash.values()) {
    for (const reg of group) {
      plans.push(planOne(storeDir, reg, now))
      if (++sinceYield >= chunk) { sinceYield = 0; yield }
    }
  }
  const sorted = yield* mergeSortSteps(plans, (a, b) => comparePaths(a.path, b.path), chunk)
  yield* acyclicSteps(sorted, chunk)
  return sorted
}

/**
 * A stable merge sort that yields every `budget` elements placed, so sorting a 100k-path batch
 * does not hold the event loop for its whole length (Array.prototype.sort cannot be paused).
 * Runs of 1024 are sorted natively first.
 */
function* mergeSortSteps<T>(xs: T[], cmp: (a: T, b: T) => number, budget: number): Generator<void, T[], void> {
  const RUN = 1024
  if (xs.length <= RUN || budget === Infinity) return xs.sort(cmp)
  let spent = 0
  for (let i = 0; i < xs.length; i += RUN) {
    const run = xs.slice(i, i + RUN).sort(cmp)
    for (let k = 0; k < run.length; k++) xs[i + k] = run[k]!
    spent += run.length
    if (spent >= budget) { spent = 0; yield }
  }
  let src = xs
  let dst = new Array<T>(xs.length)
  for (let width = RUN; width < xs.length; width *= 2) {
    for (let lo = 0; lo < xs.length; lo += 2 * width) {
      const mid = Math.min(lo + width, xs.length)
      const hi = Math.min(lo + 2 * width, xs.length)
      let i = lo, j = mid, k = lo
      while (i < mid && j < hi) {
        dst[k++] = cmp(src[j]!, src[i]!) < 0 ? src[j++]! : src[i++]!
        if (++spent >= budget) { spent = 0; yield }
      }
      while (i < mid) dst[k++] = src[i++]!
      while (j < hi) dst[k++] = src[j++]!
    }
    const t = src
    src = dst
    dst = t
  }
  return src
}

/**
 * C++ `topoSort` over the batch, for its error only: a depth-first search in path order over
 * references inside the batch (self-references ignored) that reports the first path met again
 * on the current search path, and the path it was reached from. Iterative, on indices.
 */
export function checkAcyclic(plans: ReadonlyArray<Pick<PlannedPath, 'path' | 'key' | 'refPaths'>>): void {
  for (const _ of acyclicSteps(plans, Infinity)) { /* run to the end */ }
}

/** The search, yielding every `budget` nodes or edges visited. */
function* acyclicSteps(plans: ReadonlyArray<Pick<PlannedPath, 'path' | 'key' | 'refPaths'>>, budget: number): Generator<void, void, void> {
  let spent = 0
  const n = plans.length
  const index = new Map<string, number>()
  // Two paths with one hash part and different names cannot come from Nix, but must not confuse us.
  let collided: Map<string, number> | undefined
  for (let i = 0; i < n; i++) {
    const p = plans[i]!.path
    const j = index.get(p.hashPart)
    if (j === undefined) index.set(p.hashPart, i)
    else (collided ??= new Map([[plans[j]!.path.baseName, j]])).set(p.baseName, i)
    if (++spent >= budget) { spent = 0; yield }
  }
  const find = (r: StorePath): number | undefined => {
    const j = index.get(r.hashPart)
    if (j !== undefined && plans[j]!.path.name === r.name) return j
    return collided?.get(r.baseName)
  }
  // Children as one flat array with offsets (a typed array per node would cost more than the search).
  const start = new Int32Array(n + 1)
  const flat: number[] = []
  for (let i = 0; i < n; i++) {
    start[i] = flat.length
    for (const r of plans[i]!.refPaths) {
      const j = find(r)
      if (j !== undefined && j !== i) flat.push(j)
    }
    if (++spent >= budget) { spent = 0; yield }
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
      if (++spent >= budget) { spent = 0; yield }
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

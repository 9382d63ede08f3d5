/**
 * The database-independent half of `registerValidPaths`: validate the batch, check content
 * addresses and cycles, and encode every row, before any statement runs — so a bad batch
 * touches nothing.
 */
import type { StoreDir } from '../store-path/index.js'
import { checkContentAddressed, checkRegistrable, encodeValidPath, type ValidPathColumns } from './row.js'
import type { ValidPathRegistration } from './service.js'
import { topoSortReferrersFirst } from './topo.js'

export interface PlannedPath {
  /** The printed path (the `path` column), also the key of the batch. */
  readonly key: string
  readonly cols: ValidPathColumns
  /** Printed references, self-reference included, sorted. */
  readonly refs: readonly string[]
  /** Output name → printed path, only for `.drv` paths. */
  readonly drvOutputs: ReadonlyArray<readonly [string, string]>
  readonly castoreRoot: Uint8Array | undefined
}

/**
 * Plans in C++'s order (its `ValidPathInfos` is a map keyed by store path, so rows are inserted
 * in path order); a path given twice keeps its last registration.
 */
export function planRegistration(storeDir: StoreDir, regs: readonly ValidPathRegistration[], now: number): PlannedPath[] {
  const byKey = new Map<string, ValidPathRegistration>()
  for (const r of regs) byKey.set(storeDir.print(r.info.path), r)
  const keys = [...byKey.keys()].sort()
  const plans: PlannedPath[] = []
  for (const key of keys) {
    const { info, derivationOutputs, castoreRoot } = byKey.get(key)!
    checkRegistrable(storeDir, info)
    checkContentAddressed(storeDir, info)
    const refs = [...new Set(info.references.map(r => storeDir.print(r)))].sort()
    const drvOutputs: Array<readonly [string, string]> = []
    if (info.path.isDerivation() && derivationOutputs) {
      for (const [name, p] of [...derivationOutputs].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))) {
        drvOutputs.push([name, storeDir.print(p)])
      }
    }
    plans.push({ key, cols: encodeValidPath(storeDir, info, now), refs, drvOutputs, castoreRoot })
  }
  const byPlanKey = new Map(plans.map(p => [p.key, p]))
  topoSortReferrersFirst(keys, k => byPlanKey.get(k)!.refs, k => k)
  return plans
}

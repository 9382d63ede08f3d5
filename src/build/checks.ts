/**
 * C++ `checkOutputs` (derivation-check.cc): `maxSize`, `maxClosureSize`, and the allowed /
 * disallowed references and requisites of each output, from the environment (one set of
 * checks for all outputs) or from structured attrs' `outputChecks.<output>`. An absent
 * allow-list means "no check"; an empty one means "nothing allowed".
 */
import type { DerivationOptions, DrvRef, OutputChecks } from '../derivation/index.js'
import { BuildStatus, type PathInfo, type StoreDir, type StorePath } from '../store-path/index.js'
import { BuildError } from './errors.js'
import { hl } from './messages.js'

export interface CheckContext {
  readonly storeDir: StoreDir
  readonly queryPathInfo: (p: StorePath) => Promise<PathInfo | undefined>
}

export async function checkOutputs(
  ctx: CheckContext,
  outputChecks: DerivationOptions['outputChecks'],
  outputs: ReadonlyMap<string, PathInfo>,
): Promise<void> {
  const byPath = new Map<string, PathInfo>()
  for (const info of outputs.values()) byPath.set(info.path.baseName, info)

  /** The closure of `start` (outputs of this build may not be valid yet) and its size. */
  const closureOf = async (start: StorePath): Promise<{ paths: Map<string, StorePath>; size: number }> => {
    const done = new Map<string, StorePath>()
    const queue = [start]
    let size = 0
    while (queue.length > 0) {
      const p = queue.shift()!
      if (done.has(p.baseName)) continue
      done.set(p.baseName, p)
      const info = byPath.get(p.baseName) ?? (await ctx.queryPathInfo(p))
      if (!info) continue
      size += info.narSize
      queue.push(...info.references)
    }
    return { paths: done, size }
  }

  for (const [name, info] of outputs) {
    const checks = outputChecks.kind === 'forAllOutputs' ? outputChecks.checks : outputChecks.checks.get(name)
    if (checks) await applyChecks(ctx, checks, info, outputs, closureOf)
  }
}

async function applyChecks(
  ctx: CheckContext,
  checks: OutputChecks,
  info: PathInfo,
  outputs: ReadonlyMap<string, PathInfo>,
  closureOf: (p: StorePath) => Promise<{ paths: Map<string, StorePath>; size: number }>,
): Promise<void> {
  const printed = ctx.storeDir.print(info.path)
  if (checks.maxSize !== undefined && BigInt(info.narSize) > checks.maxSize) {
    throw new BuildError(BuildStatus.OutputRejected, `path '${hl(printed)}' is too large at ${hl(info.narSize)} bytes; limit is ${hl(String(checks.maxSize))} bytes`)
  }
  if (checks.maxClosureSize !== undefined) {
    const { size } = await closureOf(info.path)
    if (BigInt(size) > checks.maxClosureSize) {
      throw new BuildError(BuildStatus.OutputRejected, `closure of path '${hl(printed)}' is too large at ${hl(size)} bytes; limit is ${hl(String(checks.maxClosureSize))} bytes`)
    }
  }

  const specOf = (refs: readonly DrvRef[]): Set<string> => {
    const spec = new Set<string>()
    for (const r of refs) {
      if (r.kind === 'opaque') spec.add(r.path.baseName)
      else if (r.kind === 'self') {
        const o = outputs.get(r.output)
        if (!o) {
          throw new BuildError(BuildStatus.OutputRejected, `derivation output check contains an illegal reference specifier '${hl(r.output)}', expected store path or output name (one of [${hl([...outputs.keys()].join(', '))}])`)
        }
        spec.add(o.path.baseName)
      }
      // `built` refs were resolved to paths before the build (tryResolveOptions).
    }
    return spec
  }

  const check = async (refs: readonly DrvRef[], allowed: boolean, recursive: boolean): Promise<void> => {
    const spec = specOf(refs)
    const used = recursive ? new Map((await closureOf(info.path)).paths) : new Map(info.references.map(r => [r.baseName, r]))
    if (recursive && checks.ignoreSelfRefs) used.delete(info.path.baseName)
    const bad = [...used.values()].filter(p => (allowed ? !spec.has(p.baseName) : spec.has(p.baseName)))
    if (bad.length > 0) {
      const list = bad.map(p => ctx.storeDir.print(p)).sort().map(p => `\n  ${p}`).join('')
      throw new BuildError(BuildStatus.OutputRejected, `output '${hl(printed)}' is not allowed to refer to the following paths:${hl(list)}`)
    }
  }

  if (checks.allowedReferences !== undefined) await check(checks.allowedReferences, true, false)
  if (checks.allowedRequisites !== undefined) await check(checks.allowedRequisites, true, true)
  if (checks.disallowedReferences.length > 0) await check(checks.disallowedReferences, false, false)
  if (checks.disallowedRequisites.length > 0) await check(checks.disallowedRequisites, false, true)
}

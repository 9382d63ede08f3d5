/**
 * Resolution (C++ `Derivation::tryResolve`): once the outputs a derivation needs have been
 * built, replace its input derivations by those output paths. What is built afterwards is the
 * resulting BasicDerivation — for floating CA and deferred derivations, and for dependencies
 * on dynamic derivations, this is the only form that can be built.
 *
 * With `ca-derivations`, the placeholders of those outputs (`DownstreamPlaceholder`) are
 * rewritten to the real paths in the builder, arguments, environment and structured attrs;
 * deferred outputs then get their input-addressed paths.
 */
import { makeOutputPath, StoreDir, type StorePath } from '../store-path/index.js'
import { InvalidDerivationError } from './errors.js'
import { hashDerivationModulo } from './hash-modulo.js'
import { dumpJson, type JsonObject } from './json-value.js'
import { compareDrvRef, compareSingleDerivedPath, type DerivationOptions, type DrvRef, type OutputChecks, type SingleDerivedPath } from './options.js'
import { compareUtf8 } from './order.js'
import { DownstreamPlaceholder } from './placeholder.js'
import { StructuredAttrs } from './structured-attrs.js'
import type { BasicDerivation, Derivation, DerivationOutput, DerivedPathMapNode } from './types.js'

/** Where an output of a (possibly dynamic) derivation ended up, if it has been built. */
export type ResolutionLookup = (drvPath: SingleDerivedPath, output: string) => StorePath | undefined

export interface ResolveOptions {
  readonly storeDir?: StoreDir
  /** Whether `ca-derivations` is enabled (placeholders are only rewritten then). */
  readonly caDerivations?: boolean
}

/** C++ `rewriteStrings`: each rewrite in key order, every occurrence. */
export function rewriteStrings(s: string, rewrites: ReadonlyMap<string, string>): string {
  for (const [from, to] of [...rewrites].sort((a, b) => compareUtf8(a[0], b[0]))) {
    if (from !== to && from !== '') s = s.split(from).join(to)
  }
  return s
}

/** C++ `BasicDerivation::applyRewrites`. */
export function applyRewrites<D extends BasicDerivation>(drv: D, rewrites: ReadonlyMap<string, string>): D {
  if (rewrites.size === 0) return drv
  const env = new Map<string, string>()
  for (const [k, v] of [...drv.env].sort((a, b) => compareUtf8(a[0], b[0]))) {
    const nk = rewriteStrings(k, rewrites)
    if (!env.has(nk)) env.set(nk, rewriteStrings(v, rewrites)) // C++ emplace: the first stays
  }
  let structuredAttrs = drv.structuredAttrs
  if (structuredAttrs) {
    // C++ rewrites the dumped JSON text and parses it again
    const text = rewriteStrings(dumpJson(structuredAttrs.attrs), rewrites)
    structuredAttrs = StructuredAttrs.fromValue(StructuredAttrs.parse(text).attrs)
  }
  return {
    ...drv,
    builder: rewriteStrings(drv.builder, rewrites),
    args: drv.args.map(a => rewriteStrings(a, rewrites)),
    env,
    structuredAttrs,
  }
}

/**
 * C++ `Derivation::tryResolve(store, queryResolutionChain)`: the BasicDerivation to build, or
 * undefined while some wanted output is not known yet.
 */
export function tryResolve(drv: Derivation, lookup: ResolutionLookup, opts: ResolveOptions = {}): BasicDerivation | undefined {
  const storeDir = opts.storeDir ?? new StoreDir()
  const srcs = new Map(drv.inputSrcs.map(p => [p.baseName, p]))
  const rewrites = new Map<string, string>()

  const resolveInput = (drvPath: SingleDerivedPath, node: DerivedPathMapNode, placeholder: DownstreamPlaceholder | undefined): boolean => {
    const placeholderOf = (out: string): DownstreamPlaceholder => {
      if (placeholder) return DownstreamPlaceholder.unknownDerivation(placeholder, out)
      if (drvPath.kind !== 'opaque') throw new InvalidDerivationError('a built input without a placeholder to build on')
      return DownstreamPlaceholder.unknownCaOutput(drvPath.path, out)
    }
    for (const out of node.outputs) {
      const actual = lookup(drvPath, out)
      if (!actual) return false
      if (opts.caDerivations) rewrites.set(placeholderOf(out).render(), storeDir.print(actual))
      srcs.set(actual.baseName, actual)
    }
    for (const [out, child] of node.dynamicOutputs) {
      if (!resolveInput({ kind: 'built', drvPath, output: out }, child, placeholderOf(out))) return false
    }
    return true
  }
  for (const i of drv.inputDrvs) {
    if (!resolveInput({ kind: 'opaque', path: i.path }, i, undefined)) return undefined
  }

  const { inputDrvs: _resolved, ...rest } = drv
  const resolved = applyRewrites<BasicDerivation>({ ...rest, inputSrcs: [...srcs.keys()].sort(compareUtf8).map(k => srcs.get(k)!) }, rewrites)

  // deferred outputs now have all their inputs: their paths can be computed (masked hash)
  if (![...resolved.outputs.values()].some(o => o.kind === 'deferred')) return resolved
  const h = hashDerivationModulo({ ...resolved, inputDrvs: [] }, () => { throw new Error('unreachable: no input derivations') }, { storeDir, maskOutputs: true })
  const outputs = new Map<string, DerivationOutput>()
  const env = new Map(resolved.env)
  for (const [name, o] of resolved.outputs) {
    if (o.kind !== 'deferred') { outputs.set(name, o); continue }
    const hash = h.hashes.get(name)
    if (!hash) throw new InvalidDerivationError(`derivation '${drv.name}' output '${name}' has no hash`)
    const path = makeOutputPath(storeDir, name, hash, drv.name)
    env.set(name, storeDir.print(path))
    outputs.set(name, { kind: 'inputAddressed', path })
  }
  return { ...resolved, outputs, env }
}

/**
 * C++ `tryResolve(DerivationOptions<SingleDerivedPath>, …)`: the options with every input
 * output replaced by its path; undefined while one is unknown.
 */
export function tryResolveOptions(options: DerivationOptions, lookup: ResolutionLookup): DerivationOptions | undefined {
  const path = (p: SingleDerivedPath): SingleDerivedPath | undefined => {
    if (p.kind === 'opaque') return p
    const actual = lookup(p.drvPath, p.output)
    return actual ? { kind: 'opaque', path: actual } : undefined
  }
  const refs = (rs: readonly DrvRef[] | undefined): DrvRef[] | undefined | null => {
    if (rs === undefined) return undefined
    const out: DrvRef[] = []
    for (const r of rs) {
      const x = r.kind === 'self' ? r : path(r)
      if (!x) return null
      out.push(x)
    }
    return out.sort(compareDrvRef)
  }
  const checks = (c: OutputChecks): OutputChecks | undefined => {
    const ar = refs(c.allowedReferences)
    const aq = refs(c.allowedRequisites)
    const dr = refs(c.disallowedReferences)
    const dq = refs(c.disallowedRequisites)
    if (ar === null || aq === null || !dr || !dq) return undefined
    return { ...c, allowedReferences: ar, allowedRequisites: aq, disallowedReferences: dr, disallowedRequisites: dq }
  }
  let outputChecks: DerivationOptions['outputChecks']
  if (options.outputChecks.kind === 'forAllOutputs') {
    const c = checks(options.outputChecks.checks)
    if (!c) return undefined
    outputChecks = { kind: 'forAllOutputs', checks: c }
  } else {
    const m = new Map<string, OutputChecks>()
    for (const [k, v] of options.outputChecks.checks) {
      const c = checks(v)
      if (!c) return undefined
      m.set(k, c)
    }
    outputChecks = { kind: 'perOutput', checks: m }
  }
  const graph = new Map<string, SingleDerivedPath[]>()
  for (const [k, ps] of options.exportReferencesGraph) {
    const out: SingleDerivedPath[] = []
    for (const p of ps) {
      const x = path(p)
      if (!x) return undefined
      out.push(x)
    }
    graph.set(k, out.sort(compareSingleDerivedPath))
  }
  return { ...options, outputChecks, exportReferencesGraph: graph }
}

/**
 * A BasicDerivation as JSON, in the shape newer C++ (master) prints resolved derivations:
 * the derivation JSON with `"inputs": [paths]`.
 */
export function basicDerivationToJson(drv: BasicDerivation, toJson: (d: Derivation) => JsonObject): JsonObject {
  const m = new Map(toJson({ ...drv, inputDrvs: [] }))
  m.set('inputs', [...new Set(drv.inputSrcs.map(p => p.baseName))].sort(compareUtf8))
  return m
}

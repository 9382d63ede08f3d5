/**
 * Everything `derivationStrict` computes for a new derivation once its attributes are known
 * (C++ `derivationStrictInternal`: `hashDerivationModulo(drv, true)` for the output paths,
 * `writeDerivation` for the `.drv` path, `hashDerivationModulo(drv, false)` into `drvHashes`),
 * in one pass. It equals
 *
 *   drv     = finalizeDerivation(draft, lookup)
 *   info    = derivationStoreInfo(drv)
 *   drvHash = hashDerivationModulo(drv, lookup)
 *
 * but prints the text once in pieces: the three ATerms involved differ only in the outputs
 * (masked or not), the input derivations (by hash modulo or by path) and the environment
 * variables named like outputs, so the sources, builder, arguments and the rest of the
 * environment are escaped once and shared. Input-addressed and fixed-output derivations take
 * this path; the rare kinds (floating or impure outputs, deferred inputs, dynamic derivation
 * inputs) are computed the general way.
 */
import { makeOutputPath, makeTextPath, NixHash, StoreDir, type StorePath } from '../store-path/index.js'
import { atermString, hasDynamicDrvDep, printActualInputs, printInputDrvs, printMiddle, printOutputs, sortedEnv } from './aterm.js'
import { type DrvHash, type DrvHashLookup, fixedOutputModulo, hashDerivationModulo, moduloInputs } from './hash-modulo.js'
import { derivationReferences, type DerivationStoreInfo, derivationStoreInfo, finalizeDerivation } from './output-paths.js'
import { type Derivation, type DerivationOutput, derivationType, DRV_EXTENSION, fixedOutputPath } from './types.js'

export interface InstantiatedDerivation {
  /** The finished derivation: output paths filled in, in `outputs` and `env`. */
  readonly drv: Derivation
  /** Its `.drv`: text, references, path. */
  readonly info: DerivationStoreInfo
  /** Its (unmasked) hash modulo, what dependents hash against (C++ `drvHashes`). */
  readonly drvHash: DrvHash
}

export function instantiateDerivation(draft: Derivation, lookup: DrvHashLookup, storeDir: StoreDir = new StoreDir()): InstantiatedDerivation {
  const type = derivationType(draft)
  const fixed = type.kind === 'contentAddressed' && type.fixed
  if ((type.kind !== 'inputAddressed' && !fixed) || hasDynamicDrvDep(draft)) return general(draft, lookup, storeDir)

  let inputsByHash = ''
  if (!fixed) {
    const { inputs, deferred } = moduloInputs(draft, lookup)
    if (deferred) return general(draft, lookup, storeDir)
    inputsByHash = printActualInputs(inputs)
  }

  // the environment without the output variables, escaped once for every variant
  const outputs = new Map<string, DerivationOutput>()
  const outputVars = new Map<string, string>()
  let drvHash: DrvHash | undefined
  for (const [name, o] of draft.outputs) {
    if (o.kind === 'caFixed') {
      // a fixed-output derivation has the one output `out`, and its hash modulo is that output's
      const path = storeDir.print(fixedOutputPath(storeDir, draft.name, name, o.ca))
      outputs.set(name, o)
      outputVars.set(name, path)
      drvHash = { hashes: new Map([[name, fixedOutputModulo(o.ca, path)]]), kind: 'regular' }
    } else {
      outputs.set(name, { kind: 'deferred' })
      outputVars.set(name, '')
    }
  }
  const env = new Map(draft.env)
  for (const [name, v] of outputVars) env.set(name, v)
  const sorted = sortedEnv({ env, structuredAttrs: draft.structuredAttrs })
  const pieces: string[] = new Array<string>(sorted.length)
  const outputSlots: number[] = []
  for (let i = 0; i < sorted.length; i++) {
    const [k, v] = sorted[i]!
    if (outputVars.has(k)) outputSlots.push(i)
    pieces[i] = '(' + atermString(k) + ',' + atermString(v) + ')'
  }
  const middle = printMiddle(draft, storeDir)
  const head = 'Derive(['

  if (!fixed) {
    // masked: output paths and their variables blank (as `pieces` has them now)
    const masked = { ...draft, outputs, env }
    const text = head + printOutputs(masked, storeDir, true) + '],[' + inputsByHash + '],' + middle + ',[' + pieces.join(',') + '])'
    const modulo = NixHash.of('sha256', text)
    for (const name of outputs.keys()) {
      const path = makeOutputPath(storeDir, name, modulo, draft.name)
      outputs.set(name, { kind: 'inputAddressed', path })
      const printed = storeDir.print(path)
      outputVars.set(name, printed)
      env.set(name, printed)
    }
    for (const i of outputSlots) {
      const k = sorted[i]![0]
      pieces[i] = '(' + atermString(k) + ',' + atermString(outputVars.get(k)!) + ')'
    }
  }

  const drv: Derivation = { ...draft, outputs, env }
  const outputsText = printOutputs(drv, storeDir, false)
  const envText = pieces.join(',')
  const text = head + outputsText + '],[' + printInputDrvs(drv, storeDir) + '],' + middle + ',[' + envText + '])'
  const references = derivationReferences(drv)
  const hash = NixHash.of('sha256', text)
  const name = drv.name + DRV_EXTENSION
  const info: DerivationStoreInfo = { name, text, references, hash, path: makeTextPath(storeDir, name, hash, references) }
  if (drvHash === undefined) {
    const h = NixHash.of('sha256', head + outputsText + '],[' + inputsByHash + '],' + middle + ',[' + envText + '])')
    const hashes = new Map<string, NixHash>()
    for (const n of outputs.keys()) hashes.set(n, h)
    drvHash = { hashes, kind: 'regular' }
  }
  return { drv, info, drvHash }
}

function general(draft: Derivation, lookup: DrvHashLookup, storeDir: StoreDir): InstantiatedDerivation {
  const drv = finalizeDerivation(draft, lookup, { storeDir })
  return { drv, info: derivationStoreInfo(drv, storeDir), drvHash: hashDerivationModulo(drv, lookup, { storeDir }) }
}

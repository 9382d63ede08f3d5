/**
 * The derivation model (C++ `BasicDerivation`, `Derivation`, `DerivationOutput`,
 * `DerivationType`). Plain readonly records; the codecs (ATerm, JSON) and the hashing
 * functions are separate modules. Strings are JavaScript strings; their bytes are UTF-8.
 *
 * Collections are held in any order; every printer sorts them the C++ way (`std::map`/`std::set`
 * on bytes), so a value built by hand prints the same as one parsed from a file.
 */
import {
  type ContentAddress,
  type ContentAddressMethod,
  type HashAlgo,
  NixHash,
  outputPathName,
  type StoreDir,
  type StorePath,
  storePathForContentAddress,
} from '../store-path/index.js'
import { InvalidDerivationError } from './errors.js'
import type { StructuredAttrs } from './structured-attrs.js'

/** One output of a derivation, by how its path is determined. */
export type DerivationOutput =
  /** The path is a function of the derivation (its hash modulo). */
  | { readonly kind: 'inputAddressed'; readonly path: StorePath }
  /** Fixed-output: the content address is known in advance (flat/nar/text/git). */
  | { readonly kind: 'caFixed'; readonly ca: ContentAddress }
  /** Floating content-addressed (`__contentAddressed = true`): path known after the build. */
  | { readonly kind: 'caFloating'; readonly method: ContentAddressMethod; readonly hashAlgo: HashAlgo }
  /** Input-addressed, but the path cannot be computed yet (an input is floating CA). */
  | { readonly kind: 'deferred' }
  /** `__impure = true`: content-addressed, never cached. */
  | { readonly kind: 'impure'; readonly method: ContentAddressMethod; readonly hashAlgo: HashAlgo }

/**
 * The outputs wanted of an input derivation (C++ `DerivedPathMap<StringSet>::ChildNode`):
 * `outputs` of the derivation itself, and — for dynamic derivations — outputs of the
 * derivations that its outputs are (`dynamicOutputs`, keyed by output name).
 */
export interface DerivedPathMapNode {
  readonly outputs: readonly string[]
  readonly dynamicOutputs: ReadonlyMap<string, DerivedPathMapNode>
}

/** An entry of `inputDrvs`. */
export interface InputDrv extends DerivedPathMapNode {
  readonly path: StorePath
}

/**
 * What `BuildDerivation` sends (C++ `BasicDerivation`): no input derivations, only input
 * paths. `env` never holds `__json`; structured attrs live in `structuredAttrs`.
 */
export interface BasicDerivation {
  /** From the `.drv` path: `<hash>-<name>.drv`. Not part of the ATerm. */
  readonly name: string
  readonly outputs: ReadonlyMap<string, DerivationOutput>
  readonly inputSrcs: readonly StorePath[]
  /** `system` (C++ `platform`). */
  readonly platform: string
  readonly builder: string
  readonly args: readonly string[]
  readonly env: ReadonlyMap<string, string>
  readonly structuredAttrs?: StructuredAttrs | undefined
}

/** A store derivation (C++ `Derivation`): a BasicDerivation plus its input derivations. */
export interface Derivation extends BasicDerivation {
  /** At most one entry per path. */
  readonly inputDrvs: readonly InputDrv[]
}

/** The kind of a whole derivation (C++ `DerivationType`), decided by its outputs. */
export type DerivationType =
  | { readonly kind: 'inputAddressed'; readonly deferred: boolean }
  | { readonly kind: 'contentAddressed'; readonly sandboxed: boolean; readonly fixed: boolean }
  | { readonly kind: 'impure' }

export const DRV_EXTENSION = '.drv'

/** The derivation name from its path: `…-hello-2.12.drv` → `hello-2.12` (C++ `nameFromPath`). */
export function nameFromDrvPath(drvPath: StorePath): string {
  if (!drvPath.isDerivation()) throw new InvalidDerivationError(`path '${drvPath.baseName}' is not a derivation`)
  return drvPath.name.slice(0, -DRV_EXTENSION.length)
}

/**
 * C++ `BasicDerivation::type()`: all outputs must be of one kind; a fixed-output derivation has
 * exactly one output, `out`; floating outputs share one hash algorithm.
 */
export function derivationType(drv: Pick<BasicDerivation, 'outputs'>): DerivationType {
  // one pass, no allocation: this is asked several times per derivation the evaluator makes
  let kind: DerivationOutput['kind'] | undefined
  let mixed = false
  let fixedCount = 0
  let fixedName = ''
  let floatingAlgo: HashAlgo | undefined
  for (const [name, o] of drv.outputs) {
    if (kind === undefined) kind = o.kind
    else if (kind !== o.kind) mixed = true
    if (o.kind === 'caFixed') { if (fixedCount++ === 0) fixedName = name }
    else if (o.kind === 'caFloating') {
      if (floatingAlgo === undefined) floatingAlgo = o.hashAlgo
      else if (floatingAlgo !== o.hashAlgo) throw new InvalidDerivationError('all floating outputs must use the same hash algorithm')
    }
  }
  if (kind === undefined) throw new InvalidDerivationError('must have at least one output')
  if (mixed) throw new InvalidDerivationError("can't mix derivation output types")
  switch (kind) {
    case 'inputAddressed': return IA
    case 'deferred': return IA_DEFERRED
    case 'caFloating': return { kind: 'contentAddressed', sandboxed: true, fixed: false }
    case 'impure': return { kind: 'impure' }
    case 'caFixed':
      if (fixedCount > 1) throw new InvalidDerivationError('only one fixed output is allowed for now')
      if (fixedName !== 'out') throw new InvalidDerivationError('single fixed output must be named "out"')
      return { kind: 'contentAddressed', sandboxed: false, fixed: true }
  }
}

const IA: DerivationType = { kind: 'inputAddressed', deferred: false }
const IA_DEFERRED: DerivationType = { kind: 'inputAddressed', deferred: true }

export function isFixedOutput(t: DerivationType): boolean { return t.kind === 'contentAddressed' && t.fixed }
/** C++ `DerivationType::isCA`. */
export function isContentAddressed(t: DerivationType): boolean { return t.kind !== 'inputAddressed' }
/** C++ `hasKnownOutputPaths`. */
export function hasKnownOutputPaths(t: DerivationType): boolean {
  return t.kind === 'inputAddressed' ? !t.deferred : t.kind === 'contentAddressed' && t.fixed
}
/** C++ `isSandboxed`: fixed-output and impure derivations get the network. */
export function isSandboxed(t: DerivationType): boolean {
  return t.kind === 'inputAddressed' || (t.kind === 'contentAddressed' && t.sandboxed)
}
export function isImpure(t: DerivationType): boolean { return t.kind === 'impure' }

/** C++ `isBuiltin`: `builtin:fetchurl` and friends run inside Nix. */
export function isBuiltin(drv: Pick<BasicDerivation, 'builder'>): boolean {
  return drv.builder.startsWith('builtin:')
}

/** The store path of a fixed output (C++ `DerivationOutput::CAFixed::path`). */
export function fixedOutputPath(storeDir: StoreDir, drvName: string, outputName: string, ca: ContentAddress): StorePath {
  return storePathForContentAddress(storeDir, outputPathName(drvName, outputName), ca)
}

/** The output's path if it is known before building (C++ `DerivationOutput::path`). */
export function outputPath(storeDir: StoreDir, drvName: string, outputName: string, o: DerivationOutput): StorePath | undefined {
  switch (o.kind) {
    case 'inputAddressed': return o.path
    case 'caFixed': return fixedOutputPath(storeDir, drvName, outputName, o.ca)
    default: return undefined
  }
}

/** Output name → path where known (C++ `outputsAndOptPaths`). */
export function outputPaths(storeDir: StoreDir, drv: BasicDerivation): Map<string, StorePath | undefined> {
  const m = new Map<string, StorePath | undefined>()
  for (const [name, o] of drv.outputs) m.set(name, outputPath(storeDir, drv.name, name, o))
  return m
}

/**
 * The stand-in for an output's path before it is known (`builtins.placeholder`, and the env
 * value of floating outputs): `/` + nix32(sha256("nix-output:<name>")) (C++ `hashPlaceholder`).
 */
export function hashPlaceholder(outputName: string): string {
  return '/' + NixHash.of('sha256', 'nix-output:' + outputName).toNix32()
}

/** The BasicDerivation of a Derivation with no input derivations left (C++ resolution result). */
export function toBasicDerivation(drv: Derivation): BasicDerivation {
  const { inputDrvs: _dropped, ...basic } = drv
  return basic
}

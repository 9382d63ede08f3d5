/**
 * Where a derivation and its outputs live in the store:
 *
 * - the `.drv` path: a text path over the ATerm, referencing `inputSrcs` ∪ input derivations
 *   (C++ `writeDerivation`/`computeStorePath`);
 * - output paths of a new derivation, as `derivationStrict` sets them (`finalizeDerivation`);
 * - C++ `fillInOutputPaths` and `checkInvariants` for derivations from elsewhere (JSON, peers).
 */
import { makeOutputPath, makeTextPath, NixHash, StoreDir, type StorePath } from '../store-path/index.js'
import { printDerivation } from './aterm.js'
import { InvalidDerivationError } from './errors.js'
import { type DrvHashLookup, hashDerivationModulo } from './hash-modulo.js'
import { compareUtf8 } from './order.js'
import {
  type Derivation,
  type DerivationOutput,
  derivationType,
  DRV_EXTENSION,
  fixedOutputPath,
  hashPlaceholder,
  nameFromDrvPath,
} from './types.js'

/**
 * The references of the `.drv` file: its input sources and input derivations, sorted and
 * unique. Outputs are not references.
 */
export function derivationReferences(drv: Derivation): StorePath[] {
  const byName = new Map<string, StorePath>()
  for (const p of drv.inputSrcs) byName.set(p.baseName, p)
  for (const i of drv.inputDrvs) byName.set(i.path.baseName, i.path)
  return [...byName.keys()].sort(compareUtf8).map(k => byName.get(k)!)
}

/** Everything needed to add the `.drv` to a store (C++ `infoForDerivation`). */
export interface DerivationStoreInfo {
  /** `<name>.drv` */
  readonly name: string
  /** The ATerm. */
  readonly text: string
  readonly references: readonly StorePath[]
  /** sha256 of `text` (the `text:` content address). */
  readonly hash: NixHash
  readonly path: StorePath
}

export function derivationStoreInfo(drv: Derivation, storeDir: StoreDir = new StoreDir()): DerivationStoreInfo {
  const name = drv.name + DRV_EXTENSION
  const text = printDerivation(drv, storeDir)
  const references = derivationReferences(drv)
  const hash = NixHash.of('sha256', text)
  return { name, text, references, hash, path: makeTextPath(storeDir, name, hash, references) }
}

/** The `.drv` store path (C++ `computeStorePath`). */
export function derivationPath(drv: Derivation, storeDir: StoreDir = new StoreDir()): StorePath {
  return derivationStoreInfo(drv, storeDir).path
}

export interface OutputPathOptions {
  readonly storeDir?: StoreDir
}

/**
 * Finish a derivation the way `derivationStrict` does, once its attributes are known:
 *
 * - a fixed output gets its path in `env.out`;
 * - floating and impure outputs get `hashPlaceholder(name)` in the environment;
 * - input-addressed outputs (given as `deferred`, or `inputAddressed` with any path) are
 *   blanked (`""` in the environment), the masked hash modulo is taken, and — unless an input
 *   is deferred — each gets `makeOutputPath(name, hash, drvName)` in both places.
 *
 * `lookup` gives the hashes modulo of the input derivations (e.g. `DrvHashCache.lookup`).
 */
export function finalizeDerivation(drv: Derivation, lookup: DrvHashLookup, opts: OutputPathOptions = {}): Derivation {
  const storeDir = opts.storeDir ?? new StoreDir()
  const outputs = new Map<string, DerivationOutput>()
  const env = new Map(drv.env)
  const type = derivationType(drv)
  for (const [name, o] of drv.outputs) {
    switch (o.kind) {
      case 'caFixed':
        env.set(name, storeDir.print(fixedOutputPath(storeDir, drv.name, name, o.ca)))
        outputs.set(name, o)
        break
      case 'caFloating':
      case 'impure':
        env.set(name, hashPlaceholder(name))
        outputs.set(name, o)
        break
      case 'inputAddressed':
      case 'deferred':
        env.set(name, '')
        outputs.set(name, { kind: 'deferred' })
        break
    }
  }
  const draft: Derivation = { ...drv, outputs, env }
  if (type.kind !== 'inputAddressed') return draft
  return fillInOutputPaths(draft, lookup, opts).drv
}

/**
 * C++ `fillInOutputPaths` (and, with `fill: false`, `checkInvariants`): deferred outputs get
 * their input-addressed path when the hash modulo is known; empty or missing environment
 * variables of input-addressed and fixed outputs are filled in; a wrong output path or
 * environment value is an error. Returns the (possibly new) derivation and the warnings C++
 * would print.
 */
export function fillInOutputPaths(
  drv: Derivation,
  lookup: DrvHashLookup,
  opts: OutputPathOptions & { readonly fill?: boolean } = {},
): { drv: Derivation; warnings: string[] } {
  const storeDir = opts.storeDir ?? new StoreDir()
  const fill = opts.fill !== false
  const warnings: string[] = []
  const outputs = new Map(drv.outputs)
  const env = new Map(drv.env)
  // computed lazily: reading the inputs can be expensive; undefined inside = deferred
  let modulo: { hash: NixHash | undefined } | undefined
  const hashModulo = (): NixHash | undefined => {
    if (!modulo) {
      const h = hashDerivationModulo(drv, lookup, { storeDir, maskOutputs: true })
      // every output of a non-fixed derivation has the same hash
      modulo = { hash: h.kind === 'regular' ? h.hashes.values().next().value : undefined }
    }
    return modulo.hash
  }

  const envHasRightPath = (name: string, actual: StorePath, isDeferred = false): void => {
    const want = storeDir.print(actual)
    if (fill) {
      const cur = env.get(name)
      if (cur === undefined || cur === '') env.set(name, want)
    }
    const cur = env.get(name)
    if (cur === undefined) throw new InvalidDerivationError(`derivation has missing environment variable '${name}', should be '${want}' but is not present`)
    if (cur !== want) {
      const msg = `derivation has incorrect environment variable '${name}', should be '${want}' but is actually '${cur}'`
      if (isDeferred) warnings.push(msg)
      else throw new InvalidDerivationError(msg)
    }
  }

  for (const [name, o] of drv.outputs) {
    switch (o.kind) {
      case 'inputAddressed':
      case 'deferred': {
        const h = hashModulo()
        if (h) {
          const outPath = makeOutputPath(storeDir, name, h, drv.name)
          if (o.kind === 'inputAddressed') {
            if (!o.path.equals(outPath)) {
              throw new InvalidDerivationError(`derivation has incorrect output '${storeDir.print(o.path)}', should be '${storeDir.print(outPath)}'`)
            }
            envHasRightPath(name, outPath)
          } else if (fill) {
            outputs.set(name, { kind: 'inputAddressed', path: outPath })
            envHasRightPath(name, outPath)
          } else {
            warnings.push(`derivation has incorrect deferred output, should be '${storeDir.print(outPath)}'`)
          }
        } else if (o.kind === 'inputAddressed') {
          throw new InvalidDerivationError(`derivation has incorrect output '${storeDir.print(o.path)}', should be deferred`)
        }
        break
      }
      case 'caFixed':
        envHasRightPath(name, fixedOutputPath(storeDir, drv.name, name, o.ca))
        break
      default:
        break
    }
  }
  // C++ asks for the type last, to reject mixtures the loop above would let through
  derivationType(drv)
  return { drv: fill ? { ...drv, outputs, env } : drv, warnings }
}

/**
 * C++ `Derivation::checkInvariants(store, drvPath)`: the name matches the path and every
 * known output path and its environment variable are right. Returns warnings.
 */
export function checkInvariants(drv: Derivation, lookup: DrvHashLookup, opts: OutputPathOptions & { readonly drvPath?: StorePath } = {}): string[] {
  const storeDir = opts.storeDir ?? new StoreDir()
  if (opts.drvPath && nameFromDrvPath(opts.drvPath) !== drv.name) {
    throw new InvalidDerivationError(`derivation '${storeDir.print(opts.drvPath)}' has name '${drv.name}' which does not match its path`)
  }
  return fillInOutputPaths(drv, lookup, { storeDir, fill: false }).warnings
}

/**
 * The hash of a derivation "modulo" its fixed-output inputs (C++ `hashDerivationModulo`,
 * `pathDerivationModulo`, `DrvHash`), which input-addressed output paths are made from.
 *
 * - A fixed-output derivation hashes to `sha256("fixed:out:<method:algo>:<hex>:<out path>")`
 *   per output, so how it fetches (URL, builder) does not reach its dependents.
 * - Any other derivation hashes to the SHA-256 of its ATerm with every input derivation path
 *   replaced by that input's hash modulo (base-16; two inputs with equal hashes merge their
 *   output names), and, when `maskOutputs`, its own output paths and the environment variables
 *   named like outputs blanked. Every output gets that same hash.
 * - The kind is `deferred` when the derivation is floating CA or impure or any input is
 *   deferred: its output paths cannot be known before building.
 *
 * The input hashes come from an injected lookup, keeping this module pure; C++ reads the
 * input `.drv` from the store and memoises in `drvHashes` — `DrvHashCache` does the same over
 * an injected reader.
 */
import { type ContentAddress, NixHash, StoreDir, type StorePath } from '../store-path/index.js'
import { printDerivation, printMethodAlgo } from './aterm.js'
import { InvalidDerivationError } from './errors.js'
import { type Derivation, derivationType, fixedOutputPath } from './types.js'

export type DrvHashKind = 'regular' | 'deferred'

/** C++ `DrvHash`: a hash per output name, and whether it is final. */
export interface DrvHash {
  readonly hashes: ReadonlyMap<string, NixHash>
  readonly kind: DrvHashKind
}

export interface HashModuloOptions {
  readonly storeDir?: StoreDir
  /** Blank the derivation's own output paths (how its output paths are computed). */
  readonly maskOutputs?: boolean
}

/** How an input derivation's (unmasked) hash modulo is found. */
export type DrvHashLookup = (drvPath: StorePath) => DrvHash
export type DrvHashLookupAsync = (drvPath: StorePath) => DrvHash | Promise<DrvHash>

/** C++ `hashDerivationModulo(store, drv, maskOutputs)`. */
export function hashDerivationModulo(drv: Derivation, lookup: DrvHashLookup, opts: HashModuloOptions = {}): DrvHash {
  const storeDir = opts.storeDir ?? new StoreDir()
  const fixed = fixedOutputHashes(drv, storeDir)
  if (fixed) return fixed
  return moduloOf(drv, storeDir, opts.maskOutputs === true, lookup)
}

/** The same with an asynchronous lookup (inputs looked up concurrently). */
export async function hashDerivationModuloAsync(drv: Derivation, lookup: DrvHashLookupAsync, opts: HashModuloOptions = {}): Promise<DrvHash> {
  const storeDir = opts.storeDir ?? new StoreDir()
  const fixed = fixedOutputHashes(drv, storeDir)
  if (fixed) return fixed
  const found = new Map<string, DrvHash>()
  await Promise.all(drv.inputDrvs.map(async i => { found.set(i.path.baseName, await lookup(i.path)) }))
  return moduloOf(drv, storeDir, opts.maskOutputs === true, p => found.get(p.baseName)!)
}

/**
 * The hashes output paths are made from (C++ `staticOutputHashes`): the masked hash modulo.
 */
export function staticOutputHashes(drv: Derivation, lookup: DrvHashLookup, storeDir?: StoreDir): ReadonlyMap<string, NixHash> {
  return hashDerivationModulo(drv, lookup, { maskOutputs: true, ...(storeDir ? { storeDir } : {}) }).hashes
}

function fixedOutputHashes(drv: Derivation, storeDir: StoreDir): DrvHash | undefined {
  const type = derivationType(drv)
  if (!(type.kind === 'contentAddressed' && type.fixed)) return undefined
  const hashes = new Map<string, NixHash>()
  for (const [name, o] of drv.outputs) {
    if (o.kind !== 'caFixed') continue
    hashes.set(name, fixedOutputModulo(o.ca, storeDir.print(fixedOutputPath(storeDir, drv.name, name, o.ca))))
  }
  return { hashes, kind: 'regular' }
}

/** The hash modulo of a fixed output at (printed) `path`: its content address and path only. */
export function fixedOutputModulo(ca: ContentAddress, path: string): NixHash {
  return NixHash.of('sha256', `fixed:out:${printMethodAlgo(ca.method, ca.hash.algo)}:${ca.hash.toBase16()}:${path}`)
}

/** The input-derivation map of the hashed form: base-16 hash → output names. */
export function moduloInputs(drv: Derivation, lookup: DrvHashLookup): { inputs: Map<string, string[]>; deferred: boolean } {
  const merged = new Map<string, Set<string>>()
  let deferred = false
  for (const input of drv.inputDrvs) {
    const res = lookup(input.path)
    if (res.kind === 'deferred') deferred = true
    // C++ 2.34 uses only the directly wanted outputs here; dynamic outputs do not enter
    for (const out of input.outputs) {
      const h = res.hashes.get(out)
      if (!h) throw new InvalidDerivationError(`no hash for output '${out}' of derivation '${drv.name}'`)
      const key = h.toBase16()
      let set = merged.get(key)
      if (!set) merged.set(key, set = new Set())
      set.add(out)
    }
  }
  return { inputs: new Map([...merged].map(([k, v]) => [k, [...v]])), deferred }
}

/**
 * The text whose SHA-256 is the hash modulo of a non-fixed-output derivation (useful to
 * see why two hashes differ; upstream's `*-modulo.drv` goldens hold it).
 */
export function moduloAterm(drv: Derivation, lookup: DrvHashLookup, opts: HashModuloOptions = {}): string {
  const storeDir = opts.storeDir ?? new StoreDir()
  const { inputs } = moduloInputs(drv, lookup)
  return printDerivation(drv, storeDir, { maskOutputs: opts.maskOutputs === true, actualInputs: inputs })
}

function moduloOf(drv: Derivation, storeDir: StoreDir, maskOutputs: boolean, lookup: DrvHashLookup): DrvHash {
  const type = derivationType(drv)
  let kind: DrvHashKind = type.kind === 'inputAddressed' ? 'regular' : 'deferred'
  const { inputs, deferred } = moduloInputs(drv, lookup)
  if (deferred) kind = 'deferred'
  const hash = NixHash.of('sha256', printDerivation(drv, storeDir, { maskOutputs, actualInputs: inputs }))
  const hashes = new Map<string, NixHash>()
  for (const name of drv.outputs.keys()) hashes.set(name, hash)
  return { hashes, kind }
}

/**
 * Memoised hashes modulo of derivations read through an injected reader (C++ `drvHashes` +
 * `pathDerivationModulo`). The evaluator records each derivation it writes with `record`, so
 * reading is only needed for `.drv` files it did not create.
 */
export class DrvHashCache {
  private readonly cache = new Map<string, DrvHash>()
  private readonly storeDir: StoreDir

  constructor(private readonly read?: (drvPath: StorePath) => Derivation, storeDir?: StoreDir) {
    this.storeDir = storeDir ?? new StoreDir()
  }

  /** A lookup for `hashDerivationModulo`. */
  readonly lookup: DrvHashLookup = (drvPath: StorePath): DrvHash => {
    const hit = this.cache.get(drvPath.baseName)
    if (hit) return hit
    if (!this.read) throw new InvalidDerivationError(`no hash modulo known for derivation '${this.storeDir.print(drvPath)}'`)
    const h = hashDerivationModulo(this.read(drvPath), this.lookup, { storeDir: this.storeDir })
    this.cache.set(drvPath.baseName, h)
    return h
  }

  /** Remember a hash modulo computed elsewhere (`instantiateDerivation`) for `drvPath`. */
  set(drvPath: StorePath, h: DrvHash): void {
    this.cache.set(drvPath.baseName, h)
  }

  /** Remember the (unmasked) hash modulo of a derivation just written at `drvPath`. */
  record(drvPath: StorePath, drv: Derivation): DrvHash {
    const h = hashDerivationModulo(drv, this.lookup, { storeDir: this.storeDir })
    this.cache.set(drvPath.baseName, h)
    return h
  }

  get size(): number { return this.cache.size }
}

/** An asynchronous, memoising lookup over an asynchronous reader. */
export function drvHashLookupAsync(read: (drvPath: StorePath) => Promise<Derivation>, storeDir?: StoreDir): DrvHashLookupAsync {
  const sd = storeDir ?? new StoreDir()
  const cache = new Map<string, Promise<DrvHash>>()
  const lookup = (p: StorePath): Promise<DrvHash> => {
    let h = cache.get(p.baseName)
    if (!h) {
      h = read(p).then(drv => hashDerivationModuloAsync(drv, lookup, { storeDir: sd }))
      cache.set(p.baseName, h)
    }
    return h
  }
  return lookup
}

/**
 * Helpers shared by the store-facing builtins (derivations, paths into the store, fetchers):
 * the per-evaluation derivation hash cache (C++ `drvHashes`), store queries through the
 * injected `EvalStoreIO` with C++'s "is not valid" errors, experimental-feature checks and hash
 * algorithm parsing as C++ does it.
 */
import {
  DrvHashCache, type Derivation, parseDerivation,
} from '../../derivation/index.js'
import { type HashAlgo, NixHash, StoreDir, StorePath } from '../../store-path/index.js'
import { EvalError } from '../errors.js'
import type { EvalState } from '../eval-state.js'
import type { EvalStoreIO } from '../io.js'

/** Per-EvalState data of the store builtins, kept in `st.extensions`. */
export interface StoreSession {
  /** For the derivation layer, whose strings are text (the evaluator's converted from UTF-8). */
  readonly storeDir: StoreDir
  /** The same directory, for paths named by the evaluator's binary strings (toFile, path, fetchers). */
  readonly binaryNames: StoreDir
  readonly drvHashes: DrvHashCache
  /** Derivations created by this evaluation, by printed `.drv` path. */
  readonly derivations: Map<string, Derivation>
}

const KEY = 'store-session'

export function storeSession(st: EvalState): StoreSession {
  let s = st.extensions.get(KEY) as StoreSession | undefined
  if (s === undefined) {
    const storeDir = new StoreDir(st.settings.storeDir)
    const derivations = new Map<string, Derivation>()
    const read = (p: StorePath): Derivation => readDerivation(st, storeDir.print(p))
    s = { storeDir, binaryNames: new StoreDir(st.settings.storeDir, { binaryNames: true }), drvHashes: new DrvHashCache(read, storeDir), derivations }
    st.extensions.set(KEY, s)
  }
  return s
}

export function store(st: EvalState): EvalStoreIO | undefined {
  return st.io.store
}

/** Whether the store accepts writes (no store = read-only, as `NIX_REMOTE=dummy://`). */
export function isReadOnly(st: EvalState): boolean {
  return st.io.store === undefined || st.io.store.readOnly
}

export function notValid(path: string): EvalError {
  return new EvalError(`path '${path}' is not valid`)
}

export function isValidPath(st: EvalState, path: string): boolean {
  const s = st.io.store
  return s?.isValidPath !== undefined && s.isValidPath(path)
}

/** A derivation by `.drv` path: one made by this evaluation, else read from the store. */
export function readDerivation(st: EvalState, drvPath: string): Derivation {
  return storeSession(st).derivations.get(drvPath) ?? readStoreDerivation(st, drvPath)
}

/** A derivation read from the store (C++ `Store::readDerivation`), as `builtins.outputOf` does. */
export function readStoreDerivation(st: EvalState, drvPath: string): Derivation {
  const s = storeSession(st)
  const io = st.io.store
  if (io?.readDerivation === undefined || !isValidPath(st, drvPath)) throw new EvalError(`derivation '${drvPath}' is not valid`)
  const text = io.readDerivation(drvPath)
  const sp = s.storeDir.parse(drvPath)
  return parseDerivation(Buffer.from(text, 'latin1'), { name: sp.name.slice(0, -'.drv'.length), storeDir: s.storeDir })
}

/** References of a valid store path (C++ `queryPathInfo(p)->references`). */
export function queryReferences(st: EvalState, path: string): readonly string[] {
  const io = st.io.store
  if (io?.queryReferences === undefined || !isValidPath(st, path)) throw notValid(path)
  return io.queryReferences(path)
}

/** C++ `computeFSClosure`: `path` and everything it references, transitively. */
export function computeFSClosure(st: EvalState, path: string): string[] {
  const seen = new Set<string>()
  const todo = [path]
  while (todo.length > 0) {
    const p = todo.pop()!
    if (seen.has(p)) continue
    seen.add(p)
    for (const r of queryReferences(st, p)) if (!seen.has(r)) todo.push(r)
  }
  return [...seen]
}

/** C++ `experimentalFeatureSettings.require(feature, reason)`. */
export function requireFeature(st: EvalState, feature: string, reason?: string): void {
  if (st.settings.experimentalFeatures.has(feature)) return
  const why = reason === undefined ? '' : ` (${reason})`
  throw new EvalError(`experimental Nix feature '${feature}' is disabled${why}; add '--extra-experimental-features ${feature}' to enable it`)
}

const HASH_ALGOS: readonly HashAlgo[] = ['md5', 'sha1', 'sha256', 'sha512']

/** C++ `parseHashAlgoOpt`: undefined for an unknown name; `blake3` needs its feature. */
export function parseHashAlgoOpt(st: EvalState, s: string): HashAlgo | undefined {
  if ((HASH_ALGOS as readonly string[]).includes(s)) return s as HashAlgo
  if (s === 'blake3') { requireFeature(st, 'blake3-hashes'); return 'blake3' }
  return undefined
}

/** C++ `parseHashAlgo`: an unknown name is an error. */
export function parseHashAlgo(st: EvalState, s: string): HashAlgo {
  const a = parseHashAlgoOpt(st, s)
  if (a === undefined) throw new EvalError(`unknown hash algorithm '${s}', expect 'blake3', 'md5', 'sha1', 'sha256', or 'sha512'`)
  return a
}

/** C++ `newHashAllowEmpty`: an empty hash means "all zeroes", with a warning. */
export function newHashAllowEmpty(st: EvalState, hash: string, algo: HashAlgo | undefined): NixHash {
  if (hash === '') {
    if (algo === undefined) throw new EvalError('empty hash requires explicit hash algorithm')
    const h = NixHash.fromDigest(algo, new Uint8Array(HASH_SIZES[algo]))
    st.warn(`found empty hash, assuming '${h.toSRI()}'`)
    return h
  }
  return parseHashAny(hash, algo)
}

const HASH_SIZES: Record<HashAlgo, number> = { md5: 16, sha1: 20, sha256: 32, sha512: 64, blake3: 32 }

/** `Hash::parseAny` with its errors as evaluation errors. */
export function parseHashAny(hash: string, algo: HashAlgo | undefined): NixHash {
  try {
    return NixHash.parseAny(hash, algo)
  } catch (e) {
    throw new EvalError((e as Error).message)
  }
}

export function isDerivationPath(p: string): boolean {
  return p.endsWith('.drv')
}

/**
 * C++ `EvalState::realiseContext` for paths read during evaluation (readFile, import, …): every
 * path in the context must be valid, and derivation outputs would have to be built first
 * (import from derivation) through the store.
 */
export function realiseContext(st: EvalState, ctx: ReadonlySet<string>): void {
  const storeDir = storeSession(st).storeDir.path + '/'
  const base = (p: string): string => (p.startsWith(storeDir) ? p.slice(storeDir.length) : p)
  const order = (c: string): number => (c.startsWith('=') ? 1 : c.startsWith('!') ? 2 : 0)
  const built: string[] = []
  for (const c of [...ctx].sort((a, b) => order(a) - order(b) || (a < b ? -1 : a > b ? 1 : 0))) {
    const p = c.startsWith('=') ? c.slice(1) : c.startsWith('!') ? c.slice(c.lastIndexOf('!') + 1) : c
    if (!isValidPath(st, p)) throw new EvalError(`path '${base(p)}' is not valid`)
    if (c.startsWith('!')) built.push(c)
  }
  if (built.length === 0) return
  const io = st.io.store
  if (io?.buildPaths === undefined || io.readOnly) {
    const [first] = built
    const i = first!.indexOf('!', 1)
    throw new EvalError(`cannot build '${first!.slice(i + 1)}^${first!.slice(1, i)}' during evaluation: import from derivation needs a writable store`)
  }
  // `!out!/…drv` → `/…drv!out` (DerivedPath), each output's path known in advance
  const targets: string[] = []
  for (const c of built) {
    const i = c.indexOf('!', 1)
    const out = c.slice(1, i)
    const drvPath = c.slice(i + 1)
    if (drvPath.startsWith('!')) throw new EvalError(`cannot build '${c}' during evaluation: dynamic derivations are not supported`)
    const drv = readDerivation(st, drvPath)
    const o = drv.outputs.get(out)
    if (o === undefined) throw new EvalError(`derivation '${drvPath}' does not have output '${out}'`)
    if (o.kind !== 'inputAddressed' && o.kind !== 'caFixed') throw new EvalError(`cannot build '${drvPath}^${out}' during evaluation: its output path is not known in advance`)
    targets.push(`${drvPath}!${out}`)
  }
  io.buildPaths(targets)
}

/**
 * The context `builtins.readFile` gives a store file's contents (C++ prim_readFile): the
 * references of its store path that occur (by hash part) in the contents.
 */
export function referencesInContents(st: EvalState, path: string, contents: string): Set<string> | undefined {
  const sd = storeSession(st).storeDir
  if (!sd.isInStore(path)) return undefined
  let refs: readonly string[]
  try {
    refs = queryReferences(st, sd.print(sd.toStorePath(path).path))
  } catch {
    return undefined
  }
  const found = new Set<string>()
  for (const r of refs) {
    const hashPart = r.slice(sd.path.length + 1, sd.path.length + 33)
    if (contents.includes(hashPart)) found.add(r)
  }
  return found.size > 0 ? found : undefined
}

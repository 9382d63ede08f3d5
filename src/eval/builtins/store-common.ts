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
  readonly storeDir: StoreDir
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
    s = { storeDir, drvHashes: new DrvHashCache(read, storeDir), derivations }
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
  const s = storeSession(st)
  const mine = s.derivations.get(drvPath)
  if (mine !== undefined) return mine
  const io = st.io.store
  if (io?.readDerivation === undefined || !isValidPath(st, drvPath)) throw notValid(drvPath)
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

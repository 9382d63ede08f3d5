/**
 * PathInfoService: the metadata of valid store paths — what C++ Nix keeps in
 * `/nix/var/nix/db/db.sqlite` (`LocalStore`'s SQLite half) — in domain values.
 *
 * Semantics follow C++ `LocalStore` method by method (names kept); where they differ the
 * method says so. Every method is async because the PostgreSQL backend is; the SQLite backend
 * answers hot queries synchronously inside the promise.
 */
import type { DrvOutput, PathInfo, Realisation, StoreDir, StorePath } from '../store-path/index.js'

/** What `registerValidPaths` registered. */
export interface RegisteredPaths {
  /**
   * By printed path: the info of a path the call made valid (decoded from what it wrote, as a
   * read right after the commit would see it); undefined for a path that was valid already
   * (updated in place: its registration time and deriver are the stored ones) or not in the batch.
   */
  info(printed: string): PathInfo | undefined
}

/** A registration of nothing. */
export const NOTHING_REGISTERED: RegisteredPaths = { info: () => undefined }

/** One path to register (C++ `ValidPathInfo` plus what `addValidPath` derives from the file). */
export interface ValidPathRegistration {
  readonly info: PathInfo
  /**
   * For a `.drv` path: its outputs with known paths (output name → path), written to
   * `DerivationOutputs` when the path becomes valid. C++ parses the derivation file for this;
   * here the caller passes it (floating content-addressed outputs are simply left out).
   */
  readonly derivationOutputs?: ReadonlyMap<string, StorePath> | undefined
  /**
   * The castore root node of the path's contents, as opaque bytes produced by castore. Stored
   * in `TsnixCastoreRoots`; replaced if given for a path that is already valid.
   */
  readonly castoreRoot?: Uint8Array | undefined
  /**
   * The caller computed `info.path` from `info.ca` itself (an add by content): the check that
   * a content-addressed path matches its content address would only repeat that computation.
   */
  readonly contentAddressChecked?: boolean | undefined
}

/** What C++ `Store::computeFSClosure` takes besides the start paths. */
export interface ClosureOptions {
  /** Follow referrers instead of references. */
  readonly flipDirection?: boolean
  /** Forward: add the valid outputs of each `.drv`. Flipped: add the valid derivers of each path. */
  readonly includeOutputs?: boolean
  /** Forward: add each path's valid deriver. Flipped: add a `.drv`'s valid outputs. */
  readonly includeDerivers?: boolean
}

export interface IterateOptions {
  /** Rows fetched per query (default 1000); no transaction is held between batches. */
  readonly batchSize?: number
  readonly signal?: AbortSignal
}

export interface PathInfoService {
  readonly storeDir: StoreDir

  /** C++ `queryPathInfoUncached`: undefined when the path is not valid. */
  queryPathInfo(path: StorePath): Promise<PathInfo | undefined>
  /** The same answer, synchronously when it is at hand (a cached or synchronous lookup). */
  queryPathInfoNow?(path: StorePath): PathInfo | undefined | Promise<PathInfo | undefined>
  isValidPath(path: StorePath): Promise<boolean>
  /** The valid subset of `paths`, sorted (C++ `queryValidPaths` without substitution). */
  queryValidPaths(paths: Iterable<StorePath>): Promise<StorePath[]>
  /** The valid path whose hash part is `hashPart` (32 nix32 characters), if any. */
  queryPathFromHashPart(hashPart: string): Promise<StorePath | undefined>
  /** References of a valid path, sorted; throws InvalidPathError if it is not valid. */
  queryReferences(path: StorePath): Promise<StorePath[]>
  /** Valid paths referring to `path` (including itself if self-referencing), sorted; [] if invalid. */
  queryReferrers(path: StorePath): Promise<StorePath[]>
  /** Valid `.drv` paths that list `path` as an output (C++ `queryValidDerivers`), sorted. */
  queryValidDerivers(path: StorePath): Promise<StorePath[]>
  /**
   * Output name → path from `DerivationOutputs` (C++ `queryPartialDerivationOutputMap` without the
   * realisations, which the facade adds); throws InvalidPathError if `drvPath` is not valid.
   */
  queryDerivationOutputs(drvPath: StorePath): Promise<Map<string, StorePath>>
  queryAllValidPaths(): Promise<StorePath[]>
  /**
   * C++ `computeFSClosure`: the start paths and everything reachable, sorted. Every visited path
   * must be valid (InvalidPathError otherwise), as in C++ where each one's info is queried.
   */
  computeClosure(paths: Iterable<StorePath>, opts?: ClosureOptions): Promise<StorePath[]>

  /**
   * C++ `registerValidPaths`, atomically: each path already valid has its NAR hash, size,
   * ultimate flag, signatures and content address overwritten (not its deriver or registration
   * time); new paths are inserted (registration time 0 → now) with their derivation outputs;
   * then every reference is added (self-references and references within the batch included;
   * others must be valid — InvalidPathError). A cycle within the batch (ReferenceCycleError), a
   * bad content address (NotContentAddressedError) or a non-SHA-256 NAR hash leaves nothing
   * registered. Existing references of re-registered paths are kept, as in C++. (Unlike C++, the
   * content address is checked for paths already valid too, so a wrong claim never overwrites
   * the stored one.)
   *
   * The result gives the info of each path that was not valid before as `queryPathInfo` would
   * read it right after the commit, so a caller need not query it again.
   */
  registerValidPaths(regs: readonly ValidPathRegistration[]): Promise<RegisteredPaths>
  /** C++ `addSignatures`: union with the stored signatures. InvalidPathError if not valid. */
  addSignatures(path: StorePath, sigs: Iterable<string>): Promise<void>
  /**
   * C++ `invalidatePathChecked` for a set, in one transaction: paths not valid are skipped; a
   * path still referred to by a valid path outside the set (other than itself) makes the whole
   * call fail with PathInUseError. Rows cascade: references from the path, derivation outputs of
   * a `.drv`, its realisations (and the links to them), its castore root.
   */
  invalidatePaths(paths: Iterable<StorePath>): Promise<void>

  /**
   * C++ `registerDrvOutput`: insert, or for the same output path merge signatures; a different
   * output path or a missing dependent realisation is a RealisationError. The output path must
   * be valid (InvalidPathError).
   */
  registerRealisation(r: Realisation): Promise<void>
  queryRealisation(id: DrvOutput): Promise<Realisation | undefined>

  /** The castore root node bytes recorded for a path (undefined if none or not valid). */
  queryCastoreRoot(path: StorePath): Promise<Uint8Array | undefined>
  /** Record (or replace) the castore root node of a valid path; InvalidPathError if not valid. */
  putCastoreRoot(path: StorePath, root: Uint8Array): Promise<void>

  /** Every valid path's info in registration order, in batches (for GC and verify). */
  iteratePathInfos(opts?: IterateOptions): AsyncIterable<PathInfo>

  close(): Promise<void>
}

/**
 * The Store facade: the one interface the daemon's op handlers, the builder and the evaluator
 * use (docs/ARCHITECTURE.md). Everything is in domain values (StorePath, PathInfo, NixHash);
 * byte streams are AsyncIterable<Uint8Array>. Names follow C++ `Store`/`LocalStore` where the
 * concept is the same.
 *
 * Policy that depends on who asks (trust, signatures, repair rights) is decided here from the
 * `OpContext`, not in the protocol layer.
 */
import type { BasicDerivation } from '../derivation/index.js'
import type { Logger } from '../logger.js'
import type {
  BuildResult,
  ContentAddressMethodWithAlgo,
  DerivedPath,
  KeyedBuildResult,
  PathInfo,
  Realisation,
  StoreDir,
  StorePath,
} from '../store-path/index.js'

export type BuildMode = 'normal' | 'repair' | 'check'

/** Per-client settings (from SetOptions and the daemon's nix.conf). */
export interface ClientSettings {
  readonly keepFailed: boolean
  readonly keepGoing: boolean
  readonly tryFallback: boolean
  readonly maxBuildJobs: number
  readonly maxSilentTime: number
  readonly buildCores: number
  readonly useSubstitutes: boolean
  /** Other settings passed as overrides (already filtered for untrusted clients). */
  readonly overrides: ReadonlyMap<string, string>
}

/** Who is asking, and where progress goes. */
export interface OpContext {
  readonly trusted: boolean
  readonly logger: Logger
  readonly settings: ClientSettings
  /** Identifies the client for temporary roots (its connection). */
  readonly clientId: string
  readonly signal?: AbortSignal | undefined
}

export type GCAction = 'returnLive' | 'returnDead' | 'deleteDead' | 'deleteSpecific'

export interface GCOptions {
  readonly action: GCAction
  readonly pathsToDelete: readonly StorePath[]
  readonly ignoreLiveness: boolean
  /**
   * Stop once more than this many bytes were freed (C++ semantics: clients send 2^64-1 for
   * no limit; 0 makes a whole-store collection delete nothing).
   */
  readonly maxFreed: bigint
}

export interface GCResults {
  /** Printed paths returned or deleted. */
  readonly paths: readonly string[]
  readonly bytesFreed: bigint
}

export interface MissingInfo {
  readonly willBuild: readonly StorePath[]
  readonly willSubstitute: readonly StorePath[]
  readonly unknown: readonly StorePath[]
  readonly downloadSize: bigint
  readonly narSize: bigint
}

export interface SubstitutablePathInfo {
  readonly path: StorePath
  readonly deriver: StorePath | undefined
  readonly references: readonly StorePath[]
  readonly downloadSize: bigint
  readonly narSize: bigint
}

export interface AddToStoreNarOptions {
  readonly repair: boolean
  /** Only honoured for trusted clients (the daemon forces it false otherwise). */
  readonly dontCheckSigs: boolean
}

/** Links found by FindRoots: link (or `{temp:…}`/`{censored}`) → target. */
export type Roots = ReadonlyMap<StorePath, readonly string[]>

export interface Store {
  readonly storeDir: StoreDir

  // Queries
  isValidPath(path: StorePath): Promise<boolean>
  queryPathInfo(path: StorePath): Promise<PathInfo | undefined>
  /** The same answer, synchronously when it is at hand (the daemon then answers without waiting). */
  queryPathInfoNow?(path: StorePath): PathInfo | undefined | Promise<PathInfo | undefined>
  queryValidPaths(paths: readonly StorePath[], opts?: { substitute?: boolean }): Promise<StorePath[]>
  queryAllValidPaths(): Promise<StorePath[]>
  queryReferrers(path: StorePath): Promise<StorePath[]>
  queryValidDerivers(path: StorePath): Promise<StorePath[]>
  queryPathFromHashPart(hashPart: string): Promise<StorePath | undefined>
  /** Output name → path (undefined for floating outputs not yet realised). */
  queryDerivationOutputMap(drvPath: StorePath): Promise<Map<string, StorePath | undefined>>
  querySubstitutablePaths(paths: readonly StorePath[]): Promise<StorePath[]>
  querySubstitutablePathInfos(paths: readonly StorePath[]): Promise<SubstitutablePathInfo[]>
  queryMissing(ctx: OpContext, targets: readonly DerivedPath[]): Promise<MissingInfo>
  queryRealisation(drvOutput: string): Promise<Realisation | undefined>

  // Adding
  /**
   * AddToStore: `dump` is a NAR for `nar`/`git`, the raw file for `flat`, the text for `text`.
   * The path is computed here from the content address and references.
   */
  addToStore(ctx: OpContext, name: string, method: ContentAddressMethodWithAlgo, references: readonly StorePath[], dump: AsyncIterable<Uint8Array>, repair: boolean): Promise<PathInfo>
  /** AddToStoreNar / ImportPaths: the caller states the path info; the NAR is checked against it. */
  addToStoreNar(ctx: OpContext, info: PathInfo, nar: AsyncIterable<Uint8Array>, opts: AddToStoreNarOptions): Promise<void>
  addSignatures(ctx: OpContext, path: StorePath, sigs: readonly string[]): Promise<void>
  registerDrvOutput(ctx: OpContext, realisation: Realisation): Promise<void>
  addBuildLog(ctx: OpContext, drvPath: StorePath, log: AsyncIterable<Uint8Array>): Promise<void>

  // Reading contents
  narFromPath(path: StorePath): AsyncIterable<Uint8Array>

  // Building
  buildPaths(ctx: OpContext, targets: readonly DerivedPath[], mode: BuildMode): Promise<KeyedBuildResult[]>
  /**
   * BuildDerivation: build a derivation the client sends (its inputs must already be valid);
   * `drvPath` names it. Optional: stores that cannot build leave it out.
   */
  buildDerivation?(ctx: OpContext, drvPath: StorePath, drv: BasicDerivation, mode: BuildMode): Promise<BuildResult>
  ensurePath(ctx: OpContext, path: StorePath): Promise<void>

  // Roots and GC
  addTempRoot(ctx: OpContext, path: StorePath): Promise<void>
  addIndirectRoot(ctx: OpContext, symlink: string): Promise<void>
  addPermRoot(ctx: OpContext, path: StorePath, gcRoot: string): Promise<string>
  findRoots(ctx: OpContext, censor: boolean): Promise<Roots>
  collectGarbage(ctx: OpContext, opts: GCOptions): Promise<GCResults>

  // Maintenance
  verifyStore(ctx: OpContext, checkContents: boolean, repair: boolean): Promise<boolean>
  optimiseStore(ctx: OpContext): Promise<void>

  /** Drop a client's temporary roots (connection closed). */
  releaseClient(clientId: string): Promise<void>
  close(): Promise<void>
}

/** Used by `BuildResult`s that the builder fills in. */
export type { BuildResult }

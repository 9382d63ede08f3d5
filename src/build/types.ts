/**
 * What the builder needs from the store it builds into (LocalStore implements it), and the
 * per-request context. The builder never imports the store: the store composes the builder
 * (tvix `glue` style), handing it this view.
 */
import type { Derivation } from '../derivation/index.js'
import type { Logger } from '../logger.js'
import type { Settings } from '../settings/index.js'
import type { DrvOutput, PathInfo, Realisation, StoreDir, StorePath } from '../store-path/index.js'

export interface BuilderStore {
  readonly storeDir: StoreDir
  /** Where store paths are on disk (differs from storeDir for a chroot store). */
  readonly realStoreDir: string
  readonly stateDir: string
  readonly logDir: string

  isValidPath(p: StorePath): Promise<boolean>
  queryPathInfo(p: StorePath): Promise<PathInfo | undefined>
  /** Parse a valid `.drv`. */
  readDerivation(drvPath: StorePath): Promise<Derivation>
  /** C++ `computeFSClosure` (every path must be valid). */
  computeClosure(paths: readonly StorePath[]): Promise<StorePath[]>
  /** Output name → path as registered (static outputs and realisations). */
  queryDerivationOutputMap(drvPath: StorePath): Promise<Map<string, StorePath | undefined>>
  queryRealisation(id: DrvOutput): Promise<Realisation | undefined>
  registerRealisation(r: Realisation): Promise<void>
  /**
   * Register built outputs whose trees are already at their real location and canonical.
   * Atomic for the batch (C++ `registerValidPaths`); the store ingests them into castore
   * afterwards.
   */
  registerBuiltOutputs(entries: ReadonlyArray<{ readonly info: PathInfo }>): Promise<void>
  /** Add a derivation to the store as a `.drv` text path (C++ `writeDerivation`); its path. */
  writeDerivation(clientId: string, drv: Derivation): Promise<StorePath>
  /** Keep a path alive for the requesting client (C++ temp roots). */
  addTempRoot(clientId: string, p: StorePath): Promise<void>
}

/** One client's request: its logger, settings, identity and cancellation. */
export interface BuildRequestContext {
  readonly logger: Logger
  /** Daemon settings with the client's SetOptions values and allowed overrides applied. */
  readonly settings: Settings
  readonly keepFailed: boolean
  readonly keepGoing: boolean
  readonly maxJobs: number
  readonly cores: number
  readonly maxSilentTime: number
  readonly clientId: string
  readonly signal?: AbortSignal | undefined
}

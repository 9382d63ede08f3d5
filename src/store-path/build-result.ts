/**
 * The outcome of building or substituting one derived path (C++ `BuildResult`), and the
 * realisations (C++ `Realisation`) of built outputs.
 */
import type { StorePath } from './store-path.js'
import type { DerivedPath } from './derived-path.js'

/** Wire values of `BuildResult::Status` (worker-protocol.md §5.7). */
export const enum BuildStatus {
  Built = 0,
  Substituted = 1,
  AlreadyValid = 2,
  PermanentFailure = 3,
  InputRejected = 4,
  OutputRejected = 5,
  TransientFailure = 6,
  CachedFailure = 7,
  TimedOut = 8,
  MiscFailure = 9,
  DependencyFailed = 10,
  LogLimitExceeded = 11,
  NotDeterministic = 12,
  ResolvesToAlreadyValid = 13,
  NoSubstituters = 14,
}

export function isSuccess(s: BuildStatus): boolean {
  return s === BuildStatus.Built || s === BuildStatus.Substituted || s === BuildStatus.AlreadyValid || s === BuildStatus.ResolvesToAlreadyValid
}

/**
 * A derivation output identified by the derivation's hash modulo (the classic, pre-2.35 key:
 * `sha256:<hex>!out`) — C++ `DrvOutput`.
 */
export interface DrvOutput {
  /** `sha256:<base16>` of hashDerivationModulo (may be all zeros for old clients). */
  readonly drvHash: string
  readonly outputName: string
}

export function printDrvOutput(o: DrvOutput): string { return `${o.drvHash}!${o.outputName}` }

export function parseDrvOutput(s: string): DrvOutput {
  // C++ `DrvOutput::parse` splits at the first '!' (output names cannot contain one).
  const bang = s.indexOf('!')
  if (bang < 0) throw new Error(`invalid derivation output id '${s}'`)
  return { drvHash: s.slice(0, bang), outputName: s.slice(bang + 1) }
}

export interface Realisation {
  readonly id: DrvOutput
  readonly outPath: StorePath
  readonly signatures: readonly string[]
  /** Keyed by printed DrvOutput. */
  readonly dependentRealisations: ReadonlyMap<string, StorePath>
}

export interface BuildResult {
  readonly status: BuildStatus
  readonly errorMsg: string
  readonly timesBuilt: number
  readonly isNonDeterministic: boolean
  /** Seconds since the epoch (0 when unknown). */
  readonly startTime: number
  readonly stopTime: number
  /** Microseconds of CPU, when known. */
  readonly cpuUser?: number | undefined
  readonly cpuSystem?: number | undefined
  /** Built outputs by output name. */
  readonly builtOutputs: ReadonlyMap<string, Realisation>
}

export interface KeyedBuildResult extends BuildResult {
  readonly path: DerivedPath
}

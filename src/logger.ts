/**
 * The logging model shared by the daemon, the store and the builder (C++ `Logger`):
 * log lines with a verbosity, activities with ids, parents and typed fields, and results
 * attached to activities. The worker protocol turns these into STDERR_* frames; the CLI prints
 * them. Numbers are the wire values (worker-protocol.md §3.2).
 */
export const enum Verbosity {
  Error = 0,
  Warn = 1,
  Notice = 2,
  Info = 3,
  Talkative = 4,
  Chatty = 5,
  Debug = 6,
  Vomit = 7,
}

export const enum ActivityType {
  Unknown = 0,
  CopyPath = 100,
  FileTransfer = 101,
  Realise = 102,
  CopyPaths = 103,
  Builds = 104,
  Build = 105,
  OptimiseStore = 106,
  VerifyPaths = 107,
  Substitute = 108,
  QueryPathInfo = 109,
  PostBuildHook = 110,
  BuildWaiting = 111,
  FetchTree = 112,
  /** master only */
  FetchToStore = 113,
}

export const enum ResultType {
  FileLinked = 100,
  BuildLogLine = 101,
  UntrustedPath = 102,
  CorruptedPath = 103,
  SetPhase = 104,
  Progress = 105,
  SetExpected = 106,
  PostBuildLogLine = 107,
  FetchStatus = 108,
  /** master only */
  FetchToStore = 109,
}

/** An activity or result field: an integer or a string. */
export type LogField = number | bigint | string

export interface Activity {
  readonly id: bigint
  result(type: ResultType, fields: readonly LogField[]): void
  /** Ends the activity (idempotent). */
  stop(): void
}

export interface Logger {
  /** A line at a verbosity level; the receiver filters by its own verbosity. */
  log(level: Verbosity, message: string): void
  warn(message: string): void
  startActivity(type: ActivityType, level: Verbosity, text: string, fields?: readonly LogField[], parent?: Activity): Activity
}

/** A logger that drops everything (tests, background work). */
export const nullLogger: Logger = {
  log() {},
  warn() {},
  startActivity() {
    return { id: 0n, result() {}, stop() {} }
  },
}

/**
 * Wire constants, with their C++ names (NixOS/nix worker-protocol.hh, logging.hh).
 */

export const WORKER_MAGIC_1 = 0x6e697863n // "cxin" on the wire: client hello
export const WORKER_MAGIC_2 = 0x6478696fn // "oixd" on the wire: daemon hello

export const STDERR_NEXT = 0x6f6c6d67n
export const STDERR_READ = 0x64617461n // data needed from the client
export const STDERR_WRITE = 0x64617416n // data for the client
export const STDERR_LAST = 0x616c7473n // "stla" on the wire
export const STDERR_ERROR = 0x63787470n // "ptxc" on the wire
export const STDERR_START_ACTIVITY = 0x53545254n
export const STDERR_STOP_ACTIVITY = 0x53544f50n
export const STDERR_RESULT = 0x52534c54n

/** Magic after each path of the export format (`nix-store --export`). */
export const EXPORT_MAGIC = 0x4558494en

/** Operation numbers (C++ `WorkerProto::Op`). */
export const Op = {
  IsValidPath: 1,
  HasSubstitutes: 3,
  QueryPathHash: 4,
  QueryReferences: 5,
  QueryReferrers: 6,
  AddToStore: 7,
  AddTextToStore: 8,
  BuildPaths: 9,
  EnsurePath: 10,
  AddTempRoot: 11,
  AddIndirectRoot: 12,
  SyncWithGC: 13,
  FindRoots: 14,
  ExportPath: 16,
  QueryDeriver: 18,
  SetOptions: 19,
  CollectGarbage: 20,
  QuerySubstitutablePathInfo: 21,
  QueryDerivationOutputs: 22,
  QueryAllValidPaths: 23,
  QueryFailedPaths: 24,
  ClearFailedPaths: 25,
  QueryPathInfo: 26,
  ImportPaths: 27,
  QueryDerivationOutputNames: 28,
  QueryPathFromHashPart: 29,
  QuerySubstitutablePathInfos: 30,
  QueryValidPaths: 31,
  QuerySubstitutablePaths: 32,
  QueryValidDerivers: 33,
  OptimiseStore: 34,
  VerifyStore: 35,
  BuildDerivation: 36,
  AddSignatures: 37,
  NarFromPath: 38,
  AddToStoreNar: 39,
  QueryMissing: 40,
  QueryDerivationOutputMap: 41,
  RegisterDrvOutput: 42,
  QueryRealisation: 43,
  AddMultipleToStore: 44,
  AddBuildLog: 45,
  BuildPathsWithResults: 46,
  AddPermRoot: 47,
  SubmitOutput: 1000,
  AddToStoreScanning: 1001,
} as const

export type OpName = keyof typeof Op

const OP_NAMES = new Map<number, OpName>(Object.entries(Op).map(([k, v]) => [v, k as OpName]))
export function opName(n: number): OpName | undefined { return OP_NAMES.get(n) }

/** Names of activity types (C++ `ActivityType`), for display; the values are src/logger.ts's. */
export const ACTIVITY_TYPE_NAMES: Readonly<Record<number, string>> = {
  0: 'Unknown', 100: 'CopyPath', 101: 'FileTransfer', 102: 'Realise', 103: 'CopyPaths', 104: 'Builds', 105: 'Build',
  106: 'OptimiseStore', 107: 'VerifyPaths', 108: 'Substitute', 109: 'QueryPathInfo', 110: 'PostBuildHook',
  111: 'BuildWaiting', 112: 'FetchTree', 113: 'FetchToStore',
}

/** Names of result types (C++ `ResultType`), for display. */
export const RESULT_TYPE_NAMES: Readonly<Record<number, string>> = {
  100: 'FileLinked', 101: 'BuildLogLine', 102: 'UntrustedPath', 103: 'CorruptedPath', 104: 'SetPhase',
  105: 'Progress', 106: 'SetExpected', 107: 'PostBuildLogLine', 108: 'FetchStatus', 109: 'FetchToStore',
}

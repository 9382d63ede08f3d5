/**
 * The table of every operation's codecs, by name and by number.
 */
import type { OpName } from '../constants.js'
import * as add from './ops-add.js'
import * as build from './ops-build.js'
import * as query from './ops-query.js'
import type { OpDef } from './op-def.js'

export const OPS = {
  IsValidPath: query.IsValidPath,
  HasSubstitutes: query.HasSubstitutes,
  QueryPathHash: query.QueryPathHash,
  QueryReferences: query.QueryReferences,
  QueryReferrers: query.QueryReferrers,
  AddToStore: add.AddToStore,
  AddTextToStore: add.AddTextToStore,
  BuildPaths: build.BuildPaths,
  EnsurePath: query.EnsurePath,
  AddTempRoot: query.AddTempRoot,
  AddIndirectRoot: query.AddIndirectRoot,
  SyncWithGC: query.SyncWithGC,
  FindRoots: query.FindRoots,
  ExportPath: add.ExportPath,
  QueryDeriver: query.QueryDeriver,
  SetOptions: build.SetOptions,
  CollectGarbage: build.CollectGarbage,
  QuerySubstitutablePathInfo: query.QuerySubstitutablePathInfo,
  QueryDerivationOutputs: query.QueryDerivationOutputs,
  QueryAllValidPaths: query.QueryAllValidPaths,
  QueryPathInfo: query.QueryPathInfo,
  ImportPaths: add.ImportPaths,
  QueryDerivationOutputNames: query.QueryDerivationOutputNames,
  QueryPathFromHashPart: query.QueryPathFromHashPart,
  QuerySubstitutablePathInfos: query.QuerySubstitutablePathInfos,
  QueryValidPaths: query.QueryValidPaths,
  QuerySubstitutablePaths: query.QuerySubstitutablePaths,
  QueryValidDerivers: query.QueryValidDerivers,
  OptimiseStore: query.OptimiseStore,
  VerifyStore: query.VerifyStore,
  BuildDerivation: build.BuildDerivation,
  AddSignatures: query.AddSignatures,
  NarFromPath: add.NarFromPath,
  AddToStoreNar: add.AddToStoreNar,
  QueryMissing: build.QueryMissing,
  QueryDerivationOutputMap: query.QueryDerivationOutputMap,
  RegisterDrvOutput: build.RegisterDrvOutput,
  QueryRealisation: build.QueryRealisation,
  AddMultipleToStore: add.AddMultipleToStore,
  AddBuildLog: add.AddBuildLog,
  BuildPathsWithResults: build.BuildPathsWithResults,
  AddPermRoot: query.AddPermRoot,
  SubmitOutput: build.SubmitOutput,
  AddToStoreScanning: add.AddToStoreScanning,
} as const

/** Every op with codecs (QueryFailedPaths/ClearFailedPaths were removed in 1.16 and have none). */
export type CodecOpName = keyof typeof OPS

type DefOf<N extends CodecOpName> = (typeof OPS)[N]
/** The request as decoded (what a handler gets). */
export type RequestOf<N extends CodecOpName> = DefOf<N> extends OpDef<infer R, infer _P, infer _RW, infer _PW> ? R : never
/** The request as encoded (what a client may pass: readonly arrays and maps). */
export type RequestInput<N extends CodecOpName> = DefOf<N> extends OpDef<infer _R, infer _P, infer RW, infer _PW> ? RW : never
/** The reply as decoded (what a client gets). */
export type ReplyOf<N extends CodecOpName> = DefOf<N> extends OpDef<infer _R, infer P, infer _RW, infer _PW> ? P : never
/** The reply as encoded (what a handler may return). */
export type ReplyInput<N extends CodecOpName> = DefOf<N> extends OpDef<infer _R, infer _P, infer _RW, infer PW> ? PW : never

const BY_NUMBER = new Map<number, OpDef>(Object.values(OPS).map(d => [d.op, d as OpDef]))

/** The codecs of op number `n`, or undefined for an unknown or removed op. */
export function opDef(n: number): OpDef | undefined { return BY_NUMBER.get(n) }

export function opDefByName(name: OpName): OpDef | undefined { return (OPS as Record<string, OpDef>)[name] }

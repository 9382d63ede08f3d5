/**
 * SetOptions body (worker-protocol.md §5.10): 12 numbers read with C++ `readInt`, then
 * (≥ 1.12) a map of setting overrides.
 */
import { atLeast, type Codec } from './context.js'
import { StringMap } from './primitives.js'

export interface ClientSettings {
  readonly keepFailed: boolean
  readonly keepGoing: boolean
  readonly tryFallback: boolean
  /** C++ `Verbosity` 0 (error) … 7 (vomit); filters the STDERR_NEXT lines we send. */
  readonly verbosity: number
  readonly maxBuildJobs: number
  readonly maxSilentTime: number
  /** Obsolete; clients send 1. */
  readonly useBuildHook: boolean
  /** On the wire a verbosity: 0 (lvlError) = verbose build, anything else (clients send 7) = not. */
  readonly verboseBuild: boolean
  /** Obsolete; 0. */
  readonly logType: number
  /** Obsolete; 0. */
  readonly printBuildTrace: number
  /** 0 = all cores. */
  readonly buildCores: number
  readonly useSubstitutes: boolean
  /** Settings the user overrode (nix.conf of the user, NIX_CONFIG, --option …). */
  readonly overrides: ReadonlyMap<string, string>
}

/** What `nix-store` 2.34 sends by default (captures/c2.34-d2.34/nix-store-add). */
export const DEFAULT_CLIENT_SETTINGS: ClientSettings = {
  keepFailed: false, keepGoing: false, tryFallback: false, verbosity: 3, maxBuildJobs: 1, maxSilentTime: 0,
  useBuildHook: true, verboseBuild: false, logType: 0, printBuildTrace: 0, buildCores: 0, useSubstitutes: true,
  overrides: new Map(),
}

const LVL_ERROR = 0
const LVL_VOMIT = 7

export const ClientSettingsCodec: Codec<ClientSettings> = {
  read(r, ctx) {
    const keepFailed = r.u32() !== 0
    const keepGoing = r.u32() !== 0
    const tryFallback = r.u32() !== 0
    const verbosity = r.u32('verbosity')
    const maxBuildJobs = r.u32('maxBuildJobs')
    const maxSilentTime = r.u32('maxSilentTime')
    const useBuildHook = r.u32() !== 0
    const verboseBuild = r.u32() === LVL_ERROR
    const logType = r.u32()
    const printBuildTrace = r.u32()
    const buildCores = r.u32('buildCores')
    const useSubstitutes = r.u32() !== 0
    const overrides = atLeast(ctx, 12) ? StringMap.read(r, ctx) : new Map<string, string>()
    return {
      keepFailed, keepGoing, tryFallback, verbosity, maxBuildJobs, maxSilentTime, useBuildHook, verboseBuild,
      logType, printBuildTrace, buildCores, useSubstitutes, overrides,
    }
  },
  write(w, ctx, v) {
    w.bool(v.keepFailed).bool(v.keepGoing).bool(v.tryFallback).u64(v.verbosity).u64(v.maxBuildJobs)
      .u64(v.maxSilentTime).bool(v.useBuildHook).u64(v.verboseBuild ? LVL_ERROR : LVL_VOMIT)
      .u64(v.logType).u64(v.printBuildTrace).u64(v.buildCores).bool(v.useSubstitutes)
    if (atLeast(ctx, 12)) StringMap.write(w, ctx, v.overrides)
  },
}

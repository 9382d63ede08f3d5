/**
 * What op handlers share: the store facade, who the client is, per-connection state (the
 * settings from its last SetOptions), and the OpContext the store wants.
 */
import { InvalidPathError, type StoreDir, type StorePath } from '../../store-path/index.js'
import type { ClientSettings as StoreClientSettings, OpContext, Store } from '../../store/types.js'
import type { OpIO } from '../handler.js'

export interface HandlerOptions {
  /** `trusted-substituters` plus `substituters` of the daemon: what untrusted clients may pick. */
  readonly trustedSubstituters?: readonly string[]
}

/** Per connection. */
export interface ConnectionState {
  settings: StoreClientSettings
}

export interface HandlerDeps {
  readonly store: Store
  readonly trusted: boolean
  readonly clientId: string
  readonly state: ConnectionState
  readonly opts: HandlerOptions
}

export const DEFAULT_STORE_SETTINGS: StoreClientSettings = {
  keepFailed: false, keepGoing: false, tryFallback: false, maxBuildJobs: 1, maxSilentTime: 0, buildCores: 0,
  useSubstitutes: true, overrides: new Map(),
}

export function opContext(d: HandlerDeps, io: OpIO): OpContext {
  return { trusted: d.trusted, logger: io.logger, settings: d.state.settings, clientId: d.clientId, signal: io.signal }
}

/** C++ `InvalidPath`: "path '…' is not valid". */
export function notValid(storeDir: StoreDir, p: StorePath): InvalidPathError {
  return new InvalidPathError(`path '${storeDir.print(p)}' is not valid`)
}

/** The handler type for op N. */
export type Handler<N extends import('../codec/index.js').CodecOpName> = import('../handler.js').OpHandler<import('../codec/index.js').RequestOf<N>, import('../handler.js').HandlerReply<N>>

/**
 * The contract between the connection and op handlers (C++ daemon.cc `performOp`, split per
 * op). A handler gets the decoded request and an OpIO; it never sees the socket, and it
 * never writes error frames: it throws, and the connection's single error boundary decides.
 */
import type { ClientSettings, CodecContext, CodecOpName, ReplyInput, RequestOf } from './codec/index.js'
import type { Logger } from '../logger.js'
import type { TunnelSource, Upload } from './uploads.js'
import type { ProtocolVersion } from './version.js'

/** What a handler may know about its connection. */
export interface ConnectionInfo {
  /** The negotiated version, features and store directory. */
  readonly codec: CodecContext
  /** The version the client announced (the negotiated one is in `codec`). */
  readonly clientVersion: ProtocolVersion
  /** Whether the peer is a trusted user (decided before the handshake). */
  readonly trusted: boolean
  /** The client's last SetOptions (defaults before the first). */
  readonly settings: ClientSettings
}

export interface OpIO {
  readonly conn: ConnectionInfo
  readonly logger: Logger
  /**
   * The data that follows the request (framed dump, raw or pulled NAR, AddMultipleToStore's
   * payload); undefined for ops without one. Whatever the handler leaves unread is drained by
   * the connection, also when the handler throws.
   */
  readonly upload: Upload | undefined
  /** STDERR_READ pulls, for ops whose data has no self-delimiting form (ImportPaths). */
  readonly tunnel: import('./uploads.js').TunnelSource | undefined
  /** Send data to the client in STDERR_WRITE frames (ExportPath). */
  writeData(bytes: Uint8Array): Promise<void>
  /** Aborted when the client goes away. */
  readonly signal: AbortSignal
}

/** NarFromPath answers with the NAR itself, streamed after STDERR_LAST. */
export type HandlerReply<N extends CodecOpName> = N extends 'NarFromPath' ? AsyncIterable<Uint8Array> : ReplyInput<N>

export interface OpHandler<Req, Rep> {
  /**
   * Checks made before startWork() (e.g. trust): an error here reaches the client as two
   * STDERR_ERROR frames and the connection closes, exactly as C++ does.
   */
  precheck?(req: Req, conn: ConnectionInfo): void | Promise<void>
  /**
   * The answer, or a promise of it. A handler that can answer at once (a cached lookup) returns
   * the value itself, and the connection then serves the op without waiting; throwing is the
   * same as rejecting.
   */
  run(req: Req, io: OpIO): Rep | Promise<Rep>
}

export type OpHandlers = { readonly [N in CodecOpName]?: OpHandler<RequestOf<N>, HandlerReply<N>> }

export type { TunnelSource }

/**
 * The shape of one operation's codecs: the request after the u64 op number (C→D) and the
 * reply after STDERR_LAST (D→C). Data streams that follow a request (framed uploads, raw NARs,
 * STDERR_READ pulls) or replace a reply (NarFromPath's raw NAR) are described by `upload` and
 * `download`, and handled by the connection, not by these codecs.
 */
import type { WireReader, WireWriter } from '../../wire/index.js'
import type { OpName } from '../constants.js'
import { Op } from '../constants.js'
import { atLeast, type Codec, type CodecContext } from './context.js'
import { Str, StorePathCodec } from './primitives.js'
import type { StorePath } from '../../store-path/index.js'

/** What follows the request on C→D. */
export type UploadKind =
  /** (u64 len, bytes)… u64 0 */
  | 'framed'
  /** A raw NAR, whose end is found by parsing it. */
  | 'nar'
  /** The daemon pulls the data with STDERR_READ frames during the op. */
  | 'stderr-read'

/** What the daemon sends besides logger frames and the reply. */
export type DownloadKind =
  /** A raw NAR right after STDERR_LAST (instead of a reply). */
  | 'nar'
  /** Data in STDERR_WRITE frames during the op. */
  | 'stderr-write'

/** Codecs read `Req`/`Rep` and write `ReqW`/`RepW` (wider types: readonly arrays and maps). */
export interface OpDef<Req = unknown, Rep = unknown, ReqW = Req, RepW = Rep> {
  readonly op: number
  readonly name: OpName
  /** Minor version the op appeared in; clients must not send it below. */
  readonly since: number
  readonly request: Codec<Req, ReqW>
  readonly reply: Codec<Rep, RepW>
  upload?(ctx: CodecContext, req: ReqW): UploadKind | undefined
  download?(ctx: CodecContext): DownloadKind | undefined
  /**
   * The daemon reads the request after startWork() (RegisterDrvOutput and QueryRealisation in
   * C++ 2.34/master), so a malformed request gives one STDERR_ERROR and the connection lives on.
   */
  readonly readsRequestAfterStartWork?: boolean
}

export function defineOp<Req, Rep, ReqW = Req, RepW = Rep>(name: OpName, since: number, request: Codec<Req, ReqW>, reply: Codec<Rep, RepW>, extra: Partial<Pick<OpDef<Req, Rep, ReqW, RepW>, 'upload' | 'download' | 'readsRequestAfterStartWork'>> = {}): OpDef<Req, Rep, ReqW, RepW> {
  return { op: Op[name], name, since, request, reply, ...extra }
}

/** A request or reply with nothing in it. */
export const Empty: Codec<Record<string, never>> = {
  read: () => ({}),
  write: () => {},
}

/** No reply at all (not even an ack): SetOptions, AddToStoreNar, AddMultipleToStore… */
export const NoReply: Codec<undefined> = {
  read: () => undefined,
  write: () => {},
}

/** u64 1, which clients read and ignore. */
export const Ack: Codec<undefined> = {
  read: (r: WireReader) => { r.u64(); return undefined },
  write: (w: WireWriter) => { w.u64(1) },
}

export interface PathRequest { readonly path: StorePath }

/** A request that is one store path. */
export const PathRequestCodec: Codec<PathRequest> = {
  read: (r, ctx) => ({ path: StorePathCodec.read(r, ctx) }),
  write: (w, ctx, v) => { StorePathCodec.write(w, ctx, v.path) },
}

/** A value present only from a minor version on (absent → `fallback`). */
export function since<T>(minor: number, codec: Codec<T>, fallback: T): Codec<T> {
  return {
    read: (r, ctx) => (atLeast(ctx, minor) ? codec.read(r, ctx) : fallback),
    write: (w, ctx, v) => { if (atLeast(ctx, minor)) codec.write(w, ctx, v) },
  }
}

export { Str }

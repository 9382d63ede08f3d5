/**
 * What every codec is parameterised by: the negotiated protocol version and features, and the
 * store directory that turns store paths into the absolute strings sent on the wire
 * (C++ `WorkerProto::ReadConn`/`WriteConn` plus `StoreDirConfig`).
 *
 * A codec is a pair of synchronous functions over WireReader/WireWriter (C++
 * `WorkerProto::Serialise<T>`); it never sees a socket.
 */
import { StoreDir } from '../../store-path/index.js'
import { WireReader, WireWriter } from '../../wire/index.js'
import { type FeatureSet, NO_FEATURES, PROTOCOL_VERSION, type ProtocolVersion } from '../version.js'

export interface CodecContext {
  /** The negotiated version, min(client, daemon). */
  readonly version: ProtocolVersion
  /** The negotiated features (empty below 1.38). */
  readonly features: FeatureSet
  readonly storeDir: StoreDir
}

/** Reads a T; writes a W (a wider type where that helps, e.g. readonly arrays). */
export interface Codec<T, W = T> {
  read(r: WireReader, ctx: CodecContext): T
  write(w: WireWriter, ctx: CodecContext, v: W): void
}

const DEFAULT_STORE_DIR = new StoreDir()

export function codecContext(opts: { version?: ProtocolVersion; features?: Iterable<string>; storeDir?: StoreDir } = {}): CodecContext {
  return {
    version: opts.version ?? PROTOCOL_VERSION,
    features: opts.features ? new Set(opts.features) : NO_FEATURES,
    storeDir: opts.storeDir ?? DEFAULT_STORE_DIR,
  }
}

/** True if the negotiated minor version is at least `minor` (major is always 1). */
export function atLeast(ctx: CodecContext, minor: number): boolean {
  return ctx.version >= (0x100 | minor)
}

export function hasFeature(ctx: CodecContext, feature: string): boolean {
  return ctx.features.has(feature)
}

/** A context like `ctx` at another version (AddMultipleToStore always uses 1.16 inside). */
export function withVersion(ctx: CodecContext, version: ProtocolVersion): CodecContext {
  return { ...ctx, version }
}

/** Decode one value that must span all of `bytes`. */
export function decodeAll<T>(codec: Codec<T, never>, bytes: Uint8Array, ctx: CodecContext): T {
  const r = new WireReader(bytes)
  const v = codec.read(r, ctx)
  if (!r.atEnd) throw new RangeError(`${r.remaining} trailing bytes after the value`)
  return v
}

export function encode<W>(codec: Codec<unknown, W>, ctx: CodecContext, v: W): Uint8Array {
  const w = new WireWriter()
  codec.write(w, ctx, v)
  return w.finish()
}

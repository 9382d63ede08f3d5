/**
 * Decode a recorded conversation (the raw client→daemon and daemon→client byte streams of
 * one connection) into handshake and op records, with the same codecs the daemon and the
 * client use. Pure and synchronous: for golden tests against captures, and for debugging
 * (C++-side equivalent: none; the Python `nixwire.py decode` does the same job).
 */
import type { PathInfo, StoreDir } from '../store-path/index.js'
import { IncompleteError, WireReader } from '../wire/index.js'
import { opName } from './constants.js'
import {
  AddMultipleCountCodec, AddMultipleItemCodec, ClientHandshakeInfo, ClientHandshakeInfoCodec, ClientMagicCodec, ClientOptions,
  ClientOptionsCodec, codecContext, type CodecContext, DaemonHelloCodec, FeaturesCodec, NarScanner, type NarStats, opDef,
  type StderrFrame, StderrFrameCodec, VersionCodec, type WireError,
} from './codec/index.js'
import { intersectFeatures, type ProtocolVersion } from './version.js'

export interface FramedData {
  readonly kind: 'framed'
  readonly frames: number
  readonly bytes: number
  readonly payload: Uint8Array
}
export interface NarData { readonly kind: 'nar'; readonly bytes: number; readonly stats: NarStats }
export type UploadData = FramedData | NarData

/** One STDERR_READ answer from the client. */
export interface ReadAnswer { readonly wanted: number; readonly data: Uint8Array }

export interface HandshakeRecord {
  readonly kind: 'handshake'
  readonly clientVersion: ProtocolVersion
  readonly daemonVersion: ProtocolVersion
  readonly negotiated: ProtocolVersion
  readonly clientFeatures?: readonly string[]
  readonly daemonFeatures?: readonly string[]
  readonly features: ReadonlySet<string>
  readonly options: ClientOptions
  readonly info: ClientHandshakeInfo
  readonly stderr: readonly StderrFrame[]
  readonly error?: WireError
  readonly c2dEnd: number
  readonly d2cEnd: number
}

export interface OpRecord {
  readonly kind: 'op'
  readonly seq: number
  readonly op: number
  readonly name: string
  readonly request: unknown
  readonly upload?: UploadData
  /** AddMultipleToStore: the items found in the framed payload. */
  readonly items?: ReadonlyArray<{ readonly info: PathInfo; readonly nar: NarData }>
  readonly stderr: readonly StderrFrame[]
  readonly reads: readonly ReadAnswer[]
  readonly error?: WireError
  readonly reply?: unknown
  readonly download?: NarData
  readonly c2d: readonly [number, number]
  readonly d2c: readonly [number, number]
}

export interface TrailingRecord { readonly kind: 'trailing-stderr'; readonly stderr: readonly StderrFrame[]; readonly error?: WireError; readonly d2c: readonly [number, number] }
export interface EofRecord { readonly kind: 'eof'; readonly ops: number; readonly note?: string }
export type TranscriptRecord = HandshakeRecord | OpRecord | TrailingRecord | EofRecord

function readFramed(r: WireReader): FramedData {
  const parts: Uint8Array[] = []
  let bytes = 0
  for (;;) {
    const n = r.num('frame length')
    if (n === 0) break
    parts.push(r.raw(n))
    bytes += n
  }
  const payload = new Uint8Array(bytes)
  let o = 0
  for (const p of parts) { payload.set(p, o); o += p.length }
  return { kind: 'framed', frames: parts.length, bytes, payload }
}

function readNar(r: WireReader): NarData {
  const s = new NarScanner()
  const n = s.push(r.buf.subarray(r.pos))
  if (!s.done) throw new IncompleteError(r.buf.length + 1)
  r.pos += n
  return { kind: 'nar', bytes: n, stats: { ...s.stats } }
}

/** Logger frames up to STDERR_LAST or STDERR_ERROR; STDERR_READ answers come from the client. */
function readStderr(c: WireReader, d: WireReader, ctx: CodecContext, reads: ReadAnswer[]): { frames: StderrFrame[]; error?: WireError } {
  const frames: StderrFrame[] = []
  for (;;) {
    const f = StderrFrameCodec.read(d, ctx)
    if (f.kind === 'last') return { frames }
    if (f.kind === 'error') return { frames, error: f.error }
    if (f.kind === 'read') reads.push({ wanted: f.length, data: c.bytes({ max: f.length, what: 'STDERR_READ answer' }).slice() })
    frames.push(f)
  }
}

export function decodeTranscript(c2d: Uint8Array, d2c: Uint8Array, storeDir?: StoreDir): TranscriptRecord[] {
  const out: TranscriptRecord[] = []
  const c = new WireReader(c2d)
  const d = new WireReader(d2c)
  let seq = 0
  try {
    const pre = codecContext(storeDir ? { storeDir } : {})
    ClientMagicCodec.read(c, pre)
    const daemonVersion = DaemonHelloCodec.read(d, pre)
    const clientVersion = VersionCodec.read(c, pre)
    const negotiated = Math.min(clientVersion, daemonVersion)
    let clientFeatures: string[] | undefined
    let daemonFeatures: string[] | undefined
    let ctx = codecContext({ version: negotiated, ...(storeDir ? { storeDir } : {}) })
    if (negotiated >= 0x126) {
      clientFeatures = FeaturesCodec.read(c, ctx)
      daemonFeatures = FeaturesCodec.read(d, ctx)
      ctx = { ...ctx, features: intersectFeatures(clientFeatures, daemonFeatures) }
    }
    const options = ClientOptionsCodec.read(c, ctx)
    const info = ClientHandshakeInfoCodec.read(d, ctx)
    const hs = readStderr(c, d, ctx, [])
    out.push({
      kind: 'handshake', clientVersion, daemonVersion, negotiated,
      ...(clientFeatures ? { clientFeatures, daemonFeatures: daemonFeatures ?? [] } : {}),
      features: ctx.features, options, info, stderr: hs.frames, ...(hs.error ? { error: hs.error } : {}),
      c2dEnd: c.pos, d2cEnd: d.pos,
    })
    if (hs.error) { out.push({ kind: 'eof', ops: 0 }); return out }

    while (!c.atEnd) {
      const c0 = c.pos
      const d0 = d.pos
      const op = c.u32('op')
      seq++
      const def = opDef(op)
      if (!def) {
        // C++ answers "invalid operation N" with an error and closes.
        const { frames, error } = readStderr(c, d, ctx, [])
        out.push({ kind: 'op', seq, op, name: opName(op) ?? String(op), request: undefined, stderr: frames, reads: [], ...(error ? { error } : {}), c2d: [c0, c.pos], d2c: [d0, d.pos] })
        continue
      }
      const request = def.request.read(c, ctx)
      const kind = def.upload?.(ctx, request)
      let upload: UploadData | undefined
      let items: Array<{ info: PathInfo; nar: NarData }> | undefined
      if (kind === 'framed') {
        upload = readFramed(c)
        if (def.name === 'AddMultipleToStore') {
          const p = new WireReader(upload.payload)
          const n = AddMultipleCountCodec.read(p, ctx)
          items = []
          for (let i = 0; i < n; i++) items.push({ info: AddMultipleItemCodec.read(p, ctx), nar: readNar(p) })
        }
      } else if (kind === 'nar') upload = readNar(c)
      const reads: ReadAnswer[] = []
      const { frames, error } = readStderr(c, d, ctx, reads)
      let reply: unknown
      let download: NarData | undefined
      if (!error) {
        reply = def.reply.read(d, ctx)
        if (def.download?.(ctx) === 'nar') download = readNar(d)
      }
      out.push({
        kind: 'op', seq, op, name: def.name, request, ...(upload ? { upload } : {}), ...(items ? { items } : {}),
        stderr: frames, reads, ...(error ? { error } : {}), ...(error ? {} : { reply }), ...(download ? { download } : {}),
        c2d: [c0, c.pos], d2c: [d0, d.pos],
      })
    }
    while (!d.atEnd) {
      const d0 = d.pos
      const { frames, error } = readStderr(c, d, ctx, [])
      out.push({ kind: 'trailing-stderr', stderr: frames, ...(error ? { error } : {}), d2c: [d0, d.pos] })
    }
    out.push({ kind: 'eof', ops: seq })
  } catch (e) {
    if (!(e instanceof IncompleteError)) throw e
    out.push({ kind: 'eof', ops: seq, note: 'a stream ended in the middle of a value' })
  }
  return out
}

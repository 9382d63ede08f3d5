/**
 * Handshake pieces (worker-protocol.md §2). The exchange is staged (each side waits for the
 * other), so these are small codecs for each step rather than one value:
 *
 *   C→D u64 WORKER_MAGIC_1        D→C u64 WORKER_MAGIC_2, u64 daemon version
 *   C→D u64 client version        (both sides now use neg = min of the two)
 *   neg ≥ 1.38: C→D list features, then D→C list features (intersection is negotiated)
 *   C→D ClientOptions             (≥ 1.14 cpu affinity, ≥ 1.11 reserveSpace)
 *   D→C ClientHandshakeInfo       (≥ 1.33 daemon Nix version, ≥ 1.35 trusted flag)
 *   D→C logger frames up to STDERR_LAST
 */
import { LIMITS } from '../../wire/index.js'
import { WORKER_MAGIC_1, WORKER_MAGIC_2 } from '../constants.js'
import { HandshakeError } from '../errors.js'
import type { ProtocolVersion } from '../version.js'
import { atLeast, type Codec } from './context.js'
import { OptTrustedFlagCodec, type TrustedFlag } from './misc.js'
import { listOf, Str } from './primitives.js'

/** The client's first word. */
export const ClientMagicCodec: Codec<void, void> = {
  read(r) {
    const m = r.u64()
    if (m !== WORKER_MAGIC_1) throw new HandshakeError(`protocol mismatch: expected client magic 0x${WORKER_MAGIC_1.toString(16)}, got 0x${m.toString(16)}`)
  },
  write: w => { w.u64(WORKER_MAGIC_1) },
}

/** The daemon's answer: magic and its protocol version. */
export const DaemonHelloCodec: Codec<ProtocolVersion> = {
  read(r) {
    const m = r.u64()
    if (m !== WORKER_MAGIC_2) throw new HandshakeError(`protocol mismatch: expected daemon magic 0x${WORKER_MAGIC_2.toString(16)}, got 0x${m.toString(16)}`)
    return VersionCodec.read(r, undefined as never)
  },
  write: (w, _c, v) => { w.u64(WORKER_MAGIC_2).u64(v) },
}

/**
 * A protocol version word, read with C++ `readInt` (≤ 2^32-1). The major is bits 8–15; min()
 * compares the whole number, as C++ does.
 */
export const VersionCodec: Codec<ProtocolVersion> = {
  read: r => r.u32('protocol version'),
  write: (w, _c, v) => { w.u64(v) },
}

/** Feature lists are short; bound them tightly. */
export const MAX_FEATURES = 1024
export const FeaturesCodec: Codec<string[], readonly string[]> = {
  read(r) {
    const n = r.count('feature list', MAX_FEATURES)
    const out: string[] = []
    for (let i = 0; i < n; i++) out.push(r.string({ max: LIMITS.shortString, what: 'feature' }))
    return out
  },
  write: (w, ctx, v) => { listOf(Str).write(w, ctx, v) },
}

/** What the client sends after the version (and features). Both fields are obsolete. */
export interface ClientOptions {
  /** CPU to pin the worker to (≥ 1.14); stock clients send none. */
  readonly cpuAffinity?: number
  /** ≥ 1.11; ignored by daemons. */
  readonly reserveSpace: boolean
}

export const ClientOptionsCodec: Codec<ClientOptions> = {
  read(r, ctx) {
    let cpuAffinity: number | undefined
    if (atLeast(ctx, 14) && r.u64() !== 0n) cpuAffinity = r.u32('cpu affinity')
    const reserveSpace = atLeast(ctx, 11) ? r.bool() : false
    return cpuAffinity === undefined ? { reserveSpace } : { cpuAffinity, reserveSpace }
  },
  write(w, ctx, v) {
    if (atLeast(ctx, 14)) {
      if (v.cpuAffinity === undefined) w.u64(0)
      else w.u64(1).u64(v.cpuAffinity)
    }
    if (atLeast(ctx, 11)) w.bool(v.reserveSpace)
  },
}

/** C++ `WorkerProto::ClientHandshakeInfo`: what the daemon tells the client after the options. */
export interface ClientHandshakeInfo {
  /** ≥ 1.33, e.g. "2.34.8". */
  readonly daemonNixVersion?: string
  /** ≥ 1.35: whether the daemon trusts the client; undefined = unknown. */
  readonly remoteTrustsUs?: TrustedFlag
}

export const ClientHandshakeInfoCodec: Codec<ClientHandshakeInfo> = {
  read(r, ctx) {
    const out: { daemonNixVersion?: string; remoteTrustsUs?: TrustedFlag } = {}
    if (atLeast(ctx, 33)) out.daemonNixVersion = r.string({ what: 'daemon version' })
    if (atLeast(ctx, 35)) {
      const t = OptTrustedFlagCodec.read(r, ctx)
      if (t !== undefined) out.remoteTrustsUs = t
    }
    return out
  },
  write(w, ctx, v) {
    if (atLeast(ctx, 33)) w.string(v.daemonNixVersion ?? '')
    if (atLeast(ctx, 35)) OptTrustedFlagCodec.write(w, ctx, v.remoteTrustsUs)
  },
}

/**
 * Protocol versions (`0x100 | minor` on the wire, e.g. 1.38 = 0x126) and the 1.38 feature set.
 * Everything version-gated compares the negotiated version: min(client, daemon).
 */

/** A worker protocol version as sent on the wire: `major << 8 | minor`. */
export type ProtocolVersion = number

/** What we advertise (Nix 2.24 … 2.34 and master send 1.38). */
export const PROTOCOL_VERSION: ProtocolVersion = 0x126
/** Oldest client we serve (master's `WorkerProto::minimum`). */
export const MINIMUM_PROTOCOL_VERSION: ProtocolVersion = 0x112

export function protocolVersion(major: number, minor: number): ProtocolVersion { return (major << 8) | minor }
export function protocolMajor(v: ProtocolVersion): number { return (v >> 8) & 0xff }
export function protocolMinor(v: ProtocolVersion): number { return v & 0xff }
export function formatProtocolVersion(v: ProtocolVersion): string { return `${protocolMajor(v)}.${protocolMinor(v)}` }

/** `"1.38"` → 0x126. */
export function parseProtocolVersion(s: string): ProtocolVersion {
  const m = /^(\d+)\.(\d+)$/.exec(s)
  if (!m) throw new RangeError(`expected a protocol version like "1.38", got ${JSON.stringify(s)}`)
  return protocolVersion(Number(m[1]), Number(m[2]))
}

/** Feature names exchanged at 1.38 (Nix ≥ 2.35; 2.24 … 2.34 send an empty set). */
export const FEATURE_REALISATION_WITH_PATH = 'realisation-with-path-not-hash'
export const FEATURE_DELETE_DEAD_SPECIFIC_REFERRERS = 'delete-dead-specific-referrers'
export const FEATURE_DISABLE_SET_OPTIONS = 'disable-set-options'
export const FEATURE_ADD_TO_STORE_SCANNING = 'add-to-store-scanning'
export const FEATURE_SUBMIT_OUTPUT = 'submit-output'

/** The features whose encodings our codecs implement. */
export const SUPPORTED_FEATURES: readonly string[] = [
  FEATURE_REALISATION_WITH_PATH,
  FEATURE_DELETE_DEAD_SPECIFIC_REFERRERS,
]

export type FeatureSet = ReadonlySet<string>
export const NO_FEATURES: FeatureSet = new Set()

/** The negotiated features: those both sides offered. */
export function intersectFeatures(a: Iterable<string>, b: Iterable<string>): Set<string> {
  const bs = new Set(b)
  const out = new Set<string>()
  for (const f of a) if (bs.has(f)) out.add(f)
  return out
}

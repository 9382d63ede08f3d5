/**
 * Realisations (CA derivation outputs) in their two encodings:
 *
 *   classic (≤ 2.34, and master without the feature): DrvOutput = `sha256:<base16>!<output>`,
 *     Realisation = a JSON string `{"dependentRealisations":{…},"id":…,"outPath":<base name>,
 *     "signatures":["key:sig",…]}` (keys sorted, as nlohmann writes them);
 *   feature `realisation-with-path-not-hash` (Nix ≥ 2.35): DrvOutput = (drv StorePath, output
 *     name), UnkeyedRealisation = (StorePath outPath, list signatures), binary.
 */
import { BadHashError, type DrvOutput, NixHash, printDrvOutput, type Realisation, type StorePath, StorePath as SP } from '../../store-path/index.js'
import { LIMITS } from '../../wire/index.js'
import { ProtocolError } from '../../wire/index.js'
import type { Codec } from './context.js'
import { StorePathCodec, StringList, Str } from './primitives.js'

/**
 * Parse a classic DrvOutput `<algo>:<hash>!<output>` (C++ `DrvOutput::parse`: split at the
 * first `!`, the hash must parse). The hash string is kept as sent.
 */
export function parseDrvOutputChecked(s: string): DrvOutput {
  const bang = s.indexOf('!')
  if (bang < 0) throw new ProtocolError(`invalid derivation output id ${JSON.stringify(s.slice(0, 200))}: expected '<hash>!<output>'`, 'ERR_BAD_DRV_OUTPUT')
  try { NixHash.parsePrefixed(s.slice(0, bang)) } catch (e) {
    if (e instanceof BadHashError) throw new ProtocolError(`invalid derivation output id ${JSON.stringify(s.slice(0, 200))}: ${e.message}`, 'ERR_BAD_DRV_OUTPUT')
    throw e
  }
  return { drvHash: s.slice(0, bang), outputName: s.slice(bang + 1) }
}

/** The drvHash master sends to clients without the feature, and ours when the hash is unknown. */
export const ZERO_DRV_HASH = 'sha256:' + '0'.repeat(64)

export const DrvOutputCodec: Codec<DrvOutput> = {
  read: r => parseDrvOutputChecked(r.string({ max: LIMITS.shortString, what: 'derivation output id' })),
  write: (w, _c, d) => { w.string(printDrvOutput(d)) },
}

export interface RealisationJsonOptions {
  /**
   * Omit `dependentRealisations` and `signatures` when empty: what master sends to clients
   * without the feature (fixture build-result-1.29-compat). By default this is chosen for
   * realisations whose hash is unknown (ZERO_DRV_HASH).
   */
  readonly compat?: boolean
  /** Render signatures as `{"keyName":…,"sig":…}` objects (master's JSON; no 2.8/2.34 peer sends it). */
  readonly signatureObjects?: boolean
}

function jsonSignature(s: string, objects: boolean): string {
  if (!objects) return JSON.stringify(s)
  const colon = s.indexOf(':')
  return `{"keyName":${JSON.stringify(s.slice(0, colon))},"sig":${JSON.stringify(s.slice(colon + 1))}}`
}

/** Render the JSON text (sorted keys, no spaces, as nlohmann `dump()` does). */
export function realisationToJson(r: Realisation, opts: RealisationJsonOptions = {}): string {
  const compat = opts.compat ?? r.id.drvHash === ZERO_DRV_HASH
  const parts: string[] = []
  if (!compat || r.dependentRealisations.size > 0) {
    const deps = [...r.dependentRealisations].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    parts.push(`"dependentRealisations":{${deps.map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v.baseName)}`).join(',')}}`)
  }
  parts.push(`"id":${JSON.stringify(printDrvOutput(r.id))}`)
  parts.push(`"outPath":${JSON.stringify(r.outPath.baseName)}`)
  if (!compat || r.signatures.length > 0) {
    parts.push(`"signatures":[${r.signatures.map(s => jsonSignature(s, opts.signatureObjects ?? false)).join(',')}]`)
  }
  return `{${parts.join(',')}}`
}

function bad(what: string, json: string): ProtocolError {
  return new ProtocolError(`invalid realisation JSON (${what}): ${json.length > 200 ? json.slice(0, 200) + '…' : json}`, 'ERR_BAD_REALISATION')
}

/** Parse realisation JSON; signatures may be strings or `{keyName, sig}` objects. */
export function realisationFromJson(json: string): Realisation {
  let v: unknown
  try { v = JSON.parse(json) } catch { throw bad('not JSON', json) }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw bad('expected an object', json)
  const o = v as Record<string, unknown>
  if (typeof o['id'] !== 'string') throw bad('id must be a string', json)
  if (typeof o['outPath'] !== 'string') throw bad('outPath must be a string', json)
  const signatures: string[] = []
  const sigs = o['signatures'] ?? []
  if (!Array.isArray(sigs)) throw bad('signatures must be an array', json)
  for (const s of sigs) {
    if (typeof s === 'string') signatures.push(s)
    else if (typeof s === 'object' && s !== null && typeof (s as Record<string, unknown>)['keyName'] === 'string' && typeof (s as Record<string, unknown>)['sig'] === 'string') {
      signatures.push(`${(s as Record<string, string>)['keyName']}:${(s as Record<string, string>)['sig']}`)
    } else throw bad('bad signature', json)
  }
  const dependentRealisations = new Map<string, StorePath>()
  const deps = o['dependentRealisations'] ?? {}
  if (typeof deps !== 'object' || deps === null || Array.isArray(deps)) throw bad('dependentRealisations must be an object', json)
  for (const [k, p] of Object.entries(deps)) {
    if (typeof p !== 'string') throw bad('dependent realisation must be a path', json)
    parseDrvOutputChecked(k)
    dependentRealisations.set(k, SP.fromBaseName(p))
  }
  return { id: parseDrvOutputChecked(o['id']), outPath: SP.fromBaseName(o['outPath']), signatures, dependentRealisations }
}

/** A classic realisation as a JSON string on the wire. */
export const RealisationJsonCodec: Codec<Realisation> = {
  read: r => realisationFromJson(r.string({ max: LIMITS.text, what: 'realisation' })),
  write: (w, _c, v) => { w.string(realisationToJson(v)) },
}

/** Feature form of DrvOutput: the derivation's store path and an output name. */
export interface DrvOutputByPath {
  readonly drvPath: StorePath
  readonly outputName: string
}

export const DrvOutputByPathCodec: Codec<DrvOutputByPath> = {
  read: (r, ctx) => ({ drvPath: StorePathCodec.read(r, ctx), outputName: Str.read(r, ctx) }),
  write: (w, ctx, v) => { StorePathCodec.write(w, ctx, v.drvPath); Str.write(w, ctx, v.outputName) },
}

/** Feature form: what a build trace entry says about one output. */
export interface UnkeyedRealisation {
  readonly outPath: StorePath
  readonly signatures: readonly string[]
}

export const UnkeyedRealisationCodec: Codec<UnkeyedRealisation> = {
  read: (r, ctx) => ({ outPath: StorePathCodec.read(r, ctx), signatures: StringList.read(r, ctx) }),
  write: (w, ctx, v) => { StorePathCodec.write(w, ctx, v.outPath); StringList.write(w, ctx, v.signatures) },
}

/** Feature form of a whole realisation: key then value. */
export interface KeyedRealisation {
  readonly key: DrvOutputByPath
  readonly value: UnkeyedRealisation
}

export const KeyedRealisationCodec: Codec<KeyedRealisation> = {
  read: (r, ctx) => ({ key: DrvOutputByPathCodec.read(r, ctx), value: UnkeyedRealisationCodec.read(r, ctx) }),
  write: (w, ctx, v) => { DrvOutputByPathCodec.write(w, ctx, v.key); UnkeyedRealisationCodec.write(w, ctx, v.value) },
}

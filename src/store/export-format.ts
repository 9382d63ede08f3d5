/**
 * Nix's export format (`nix-store --export` / `--import`; C++ `Store::exportPaths` and
 * `importPaths`, export-import.cc), as a pure codec:
 *
 *   stream  := (u64 1, NAR, trailer)* u64 0
 *   trailer := u64 EXPORT_MAGIC ("NIXE"), string path, u64 n, string reference × n (sorted),
 *              string deriver ("" if none), u64 0 (1 = a legacy signature string follows)
 *
 * Numbers are u64 little-endian and strings are length-prefixed and zero-padded to 8 bytes, as
 * everywhere in Nix's serialisation. The NAR in between is self-delimiting; its sha256 and size
 * become the imported path's NAR hash and size. Paths are exported referenced-first.
 */
import type { StoreDir, StorePath } from '../store-path/index.js'
import { LIMITS, type WireReader, WireWriter } from '../wire/index.js'
import { StoreError } from './errors.js'

export const EXPORT_MAGIC = 0x4558494e // "NIXE"

/** The input is not an export (C++'s messages). */
export class BadExportError extends StoreError {
  constructor(message: string) { super(message, 'ERR_STORE_BAD_EXPORT') }
}

/** What follows each NAR in an export. */
export interface ExportTrailer {
  readonly path: StorePath
  readonly references: readonly StorePath[]
  readonly deriver: StorePath | undefined
}

/** `u64 1` before a path, `u64 0` at the end. */
export function encodeExportMarker(more: boolean): Uint8Array {
  return new WireWriter(8).u64(more ? 1 : 0).finish()
}

function byBaseName(a: StorePath, b: StorePath): number {
  return a.baseName < b.baseName ? -1 : a.baseName > b.baseName ? 1 : 0
}

export function encodeExportTrailer(storeDir: StoreDir, t: ExportTrailer): Uint8Array {
  const w = new WireWriter(256)
  w.u64(EXPORT_MAGIC).string(storeDir.print(t.path))
  const refs = [...t.references].sort(byBaseName)
  w.u64(refs.length)
  for (const r of refs) w.string(storeDir.print(r))
  w.string(t.deriver ? storeDir.print(t.deriver) : '').u64(0)
  return w.finish()
}

/** Read the marker before a path: true if a path follows, false at the end. */
export function decodeExportMarker(r: WireReader): boolean {
  const n = r.u64()
  if (n === 0n) return false
  if (n !== 1n) throw new BadExportError("input doesn't look like something created by 'nix-store --export'")
  return true
}

export function decodeExportTrailer(r: WireReader, storeDir: StoreDir): ExportTrailer {
  const magic = r.u64()
  if (magic !== BigInt(EXPORT_MAGIC)) throw new BadExportError('Nix archive cannot be imported; wrong format')
  const path = storeDir.parse(r.string({ max: LIMITS.path, what: 'store path' }))
  const n = r.count('references')
  const references: StorePath[] = []
  for (let i = 0; i < n; i++) references.push(storeDir.parse(r.string({ max: LIMITS.path, what: 'store path' })))
  const d = r.string({ max: LIMITS.path, what: 'deriver' })
  const deriver = d === '' ? undefined : storeDir.parse(d)
  // A legacy signature (never written since Nix 1.x) is read and ignored, as C++ does.
  if (r.u64() === 1n) r.bytes({ max: LIMITS.shortString, what: 'legacy signature' })
  return { path, references, deriver }
}

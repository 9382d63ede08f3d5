import { InvalidNameError, InvalidSymlinkTargetError } from './errors.js'

/** Longest directory entry name in bytes (tvix `MAX_NAME_LEN`, the usual NAME_MAX). */
export const MAX_NAME_LEN = 255
/** Longest symlink target in bytes (tvix `MAX_TARGET_LEN`, PATH_MAX − 1). */
export const MAX_TARGET_LEN = 4095

const encoder = new TextEncoder()

/** Names and targets are bytes; strings are taken as UTF-8 (a convenience for callers). */
export function toBytes(s: string | Uint8Array): Uint8Array {
  return typeof s === 'string' ? encoder.encode(s) : s
}

/**
 * Check a directory entry name (tvix `PathComponent`): 1–255 bytes, not `.` or `..`, no NUL
 * and no `/`. UTF-8 is not required.
 */
export function validateName(name: Uint8Array): void {
  if (name.length === 0) throw new InvalidNameError(name, 'empty')
  if (name.length > MAX_NAME_LEN) throw new InvalidNameError(name, `longer than ${MAX_NAME_LEN} bytes (${name.length})`)
  if (name[0] === 0x2e && (name.length === 1 || (name.length === 2 && name[1] === 0x2e))) throw new InvalidNameError(name, 'must not be . or ..')
  for (let i = 0; i < name.length; i++) {
    const c = name[i]
    if (c === 0) throw new InvalidNameError(name, 'contains NUL')
    if (c === 0x2f) throw new InvalidNameError(name, "contains '/'")
  }
}

/** Check a symlink target (tvix `SymlinkTarget`): 1–4095 bytes, no NUL; relative or absolute. */
export function validateSymlinkTarget(target: Uint8Array): void {
  if (target.length === 0) throw new InvalidSymlinkTargetError(target, 'empty')
  if (target.length > MAX_TARGET_LEN) throw new InvalidSymlinkTargetError(target, `longer than ${MAX_TARGET_LEN} bytes (${target.length})`)
  if (target.includes(0)) throw new InvalidSymlinkTargetError(target, 'contains NUL')
}

/** Byte-wise comparison, the order of Directory lists and of NAR entries. */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length)
  for (let i = 0; i < n; i++) {
    const d = a[i]! - b[i]!
    if (d !== 0) return d
  }
  return a.length - b.length
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}

/**
 * Nix's base-32: its own alphabet (no e, o, u, t) and least-significant-bits-first order,
 * printed from the last 5-bit group to the first (C++ `BaseNix32`).
 */
import { BadHashError } from './errors.js'

export const NIX32_ALPHABET = '0123456789abcdfghijklmnpqrsvwxyz'

const DIGIT = new Int8Array(128).fill(-1)
for (let i = 0; i < NIX32_ALPHABET.length; i++) DIGIT[NIX32_ALPHABET.charCodeAt(i)] = i

/** Length of the nix32 form of `n` bytes. */
export function nix32Length(n: number): number { return Math.ceil((n * 8) / 5) }

export function encodeNix32(bytes: Uint8Array): string {
  const len = nix32Length(bytes.length)
  let out = ''
  for (let n = len - 1; n >= 0; n--) {
    const b = n * 5
    const i = b >> 3
    const j = b & 7
    const c = (bytes[i]! >> j) | (i + 1 < bytes.length ? bytes[i + 1]! << (8 - j) : 0)
    out += NIX32_ALPHABET[c & 0x1f]
  }
  return out
}

/** Decode to exactly `size` bytes; throws BadHashError on a bad character or overflow. */
export function decodeNix32(s: string, size: number): Uint8Array {
  if (s.length !== nix32Length(size)) throw new BadHashError(`invalid nix32 length ${s.length} for ${size} bytes`)
  const out = new Uint8Array(size)
  for (let n = 0; n < s.length; n++) {
    const code = s.charCodeAt(s.length - n - 1)
    const digit = code < 128 ? DIGIT[code]! : -1
    if (digit < 0) throw new BadHashError(`invalid character '${s[s.length - n - 1]}' in nix32 string ${JSON.stringify(s)}`)
    const b = n * 5
    const i = b >> 3
    const j = b & 7
    out[i]! |= (digit << j) & 0xff
    const carry = digit >> (8 - j)
    if (i < size - 1) out[i + 1]! |= carry
    else if (carry) throw new BadHashError(`invalid nix32 string ${JSON.stringify(s)}: value too large`)
  }
  return out
}

/** True if every character is in the nix32 alphabet. */
export function isNix32(s: string): boolean {
  for (let k = 0; k < s.length; k++) {
    const c = s.charCodeAt(k)
    if (c >= 128 || DIGIT[c]! < 0) return false
  }
  return true
}

/**
 * Nix's base-32: its own alphabet (no e, o, u, t) and least-significant-bits-first order,
 * printed from the last 5-bit group to the first (C++ `BaseNix32`).
 */
import { BadHashError } from './errors.js'

export const NIX32_ALPHABET = '0123456789abcdfghijklmnpqrsvwxyz'

/** Digit value of each byte, or 0xff when the byte is not a nix32 character. */
export const NIX32_DIGIT: Readonly<Uint8Array> = (() => {
  const t = new Uint8Array(256).fill(0xff)
  for (let i = 0; i < NIX32_ALPHABET.length; i++) t[NIX32_ALPHABET.charCodeAt(i)] = i
  return t
})()

/** Length of the nix32 form of `n` bytes. */
export function nix32Length(n: number): number { return Math.ceil((n * 8) / 5) }

const ALPHABET_CODES = Uint8Array.from(NIX32_ALPHABET, ch => ch.charCodeAt(0))

export function encodeNix32(bytes: Uint8Array): string {
  const len = nix32Length(bytes.length)
  // Build the characters first: `out += c` in a loop makes a rope that V8 walks on every
  // comparison (hash parts are compared and hashed a lot); fromCharCode gives a flat string.
  const codes = new Array<number>(len)
  for (let n = len - 1, k = 0; n >= 0; n--, k++) {
    const b = n * 5
    const i = b >> 3
    const j = b & 7
    const c = (bytes[i]! >> j) | (i + 1 < bytes.length ? bytes[i + 1]! << (8 - j) : 0)
    codes[k] = ALPHABET_CODES[c & 0x1f]!
  }
  return String.fromCharCode(...codes)
}

function digitAt(s: string, k: number): number {
  const code = s.charCodeAt(k)
  return code < 256 ? NIX32_DIGIT[code]! : 0xff
}

/**
 * Decode as C++ `BaseNix32::decode` does: the result is as long as the highest byte any digit
 * touches, so a value too large for the intended size comes out one byte longer (callers compare
 * lengths). Throws BadHashError on a character outside the alphabet.
 */
export function decodeNix32Any(s: string): Uint8Array {
  const out = new Uint8Array(Math.ceil((s.length * 5) / 8) + 1)
  let used = 0
  for (let n = 0; n < s.length; n++) {
    const digit = digitAt(s, s.length - n - 1)
    if (digit === 0xff) throw new BadHashError(`invalid character in Nix32 (Nix's Base32 variation) string: '${s[s.length - n - 1]}'`)
    const b = n * 5
    const i = b >> 3
    const j = b & 7
    out[i]! |= (digit << j) & 0xff
    used = Math.max(used, i + 1)
    const carry = digit >> (8 - j)
    if (carry) {
      out[i + 1]! |= carry
      used = Math.max(used, i + 2)
    }
  }
  return out.slice(0, used)
}

/** Decode to exactly `size` bytes; throws BadHashError on a bad character, wrong length or overflow. */
export function decodeNix32(s: string, size: number): Uint8Array {
  if (s.length !== nix32Length(size)) throw new BadHashError(`invalid nix32 length ${s.length} for ${size} bytes`)
  const d = decodeNix32Any(s)
  if (d.length > size) throw new BadHashError(`invalid nix32 string ${JSON.stringify(s)}: value too large for ${size} bytes`)
  if (d.length === size) return d
  const out = new Uint8Array(size)
  out.set(d)
  return out
}

/** True if every character is in the nix32 alphabet. */
export function isNix32(s: string): boolean {
  for (let k = 0; k < s.length; k++) if (digitAt(s, k) === 0xff) return false
  return true
}

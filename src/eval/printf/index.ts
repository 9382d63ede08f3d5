/**
 * How C++ Nix 2.34 turns a float into text, in its three places:
 *
 * - `showFloat`: printing a value (`nix-instantiate --eval`, `nix eval`, `builtins.trace`, error
 *   messages): `std::ostream << double` with default flags, i.e. `%g` with 6 significant digits
 *   (`1e+06`, `9.22462e+06`, `0.1`, `inf`, `-nan`);
 * - `floatToString`: `builtins.toString` and string interpolation of floats: `std::to_string`,
 *   i.e. `%f` (`1.500000`, `1000000000000000000000.000000`);
 * - `floatToJson`: `builtins.toJSON` and `--json`: nlohmann::json's Grisu2 round-trip digits,
 *   with `.0` on integral values, exponents beyond 1e15 or below 1e-4 (`1e+21`, `1e-07`), and
 *   `null` for infinities and NaN.
 *
 * Rounding is exact and ties go to even, as glibc's printf does (JS `toPrecision`/`toFixed`
 * round ties away from zero, which differs on values such as 0.0078125).
 */

import { grisu2 } from './grisu2.js'

interface Exact {
  /** Decimal digits of |x|, no leading zeros ('0' for zero). */
  readonly digits: string
  /** |x| = digits × 10^-scale. */
  readonly scale: number
}

/** The exact decimal expansion of a finite double. */
function exact(x: number): Exact {
  const buf = new DataView(new ArrayBuffer(8))
  buf.setFloat64(0, Math.abs(x))
  const bits = buf.getBigUint64(0)
  const biased = Number((bits >> 52n) & 0x7ffn)
  let mant = bits & ((1n << 52n) - 1n)
  let e2: number
  if (biased === 0) e2 = -1074
  else { mant |= 1n << 52n; e2 = biased - 1075 }
  if (mant === 0n) return { digits: '0', scale: 0 }
  if (e2 >= 0) return { digits: (mant << BigInt(e2)).toString(), scale: 0 }
  // mant / 2^k = mant * 5^k / 10^k
  return { digits: (mant * 5n ** BigInt(-e2)).toString(), scale: -e2 }
}

/**
 * Round a digit string to its first `keep` (≥ 1) digits, ties to even. The result has `keep`
 * digits, or one more when rounding up carries out of the first digit ("999" → "1000").
 */
function roundDigits(digits: string, keep: number): string {
  if (keep >= digits.length) return digits.padEnd(keep, '0')
  const head = digits.slice(0, keep)
  const rest = digits.slice(keep)
  const first = rest.charCodeAt(0) - 48
  const odd = (head.charCodeAt(head.length - 1) - 48) % 2 === 1
  const up = first > 5 || (first === 5 && (/[1-9]/.test(rest.slice(1)) || odd))
  if (!up) return head
  const bumped = (BigInt(head) + 1n).toString()
  return bumped.length > keep ? bumped : bumped.padStart(keep, '0')
}

function nonFinite(x: number): string | undefined {
  if (Number.isNaN(x)) return nanIsNegative(x) ? '-nan' : 'nan'
  if (x === Infinity) return 'inf'
  if (x === -Infinity) return '-inf'
  return undefined
}

function nanIsNegative(x: number): boolean {
  const buf = new DataView(new ArrayBuffer(8))
  buf.setFloat64(0, x)
  return (buf.getUint8(0) & 0x80) !== 0
}

const sign = (x: number): string => (x < 0 || Object.is(x, -0) ? '-' : '')

/** `printf("%.*f", precision, x)`. */
export function formatFixed(x: number, precision: number): string {
  const nf = nonFinite(x)
  if (nf !== undefined) return nf
  const { digits, scale } = exact(x)
  // value = digits × 10^-scale; we want round(value × 10^precision)
  const intDigits = digits.length - scale // digits before the decimal point (may be ≤ 0)
  const padded = intDigits <= 0 ? '0'.repeat(1 - intDigits) + digits : digits
  const pointAt = Math.max(intDigits, 1)
  const out = roundDigits(padded, pointAt + precision)
  const whole = out.slice(0, out.length - precision).replace(/^0+(?=\d)/, '') || '0'
  const frac = out.slice(out.length - precision)
  return sign(x) + whole + (precision > 0 ? '.' + frac : '')
}

/** `printf("%.*e", precision, x)`. */
export function formatExponential(x: number, precision: number): string {
  const nf = nonFinite(x)
  if (nf !== undefined) return nf
  const { m, e } = significant(x, precision + 1)
  return sign(x) + m[0] + (precision > 0 ? '.' + m.slice(1) : '') + exponent(e)
}

/** `precision` significant digits of |x| and the decimal exponent of the first one. */
function significant(x: number, precision: number): { m: string; e: number } {
  const { digits, scale } = exact(x)
  if (digits === '0') return { m: '0'.repeat(precision), e: 0 }
  let e = digits.length - scale - 1
  let m = roundDigits(digits, precision)
  if (m.length > precision) { m = m.slice(0, precision); e++ }
  return { m, e }
}

function exponent(e: number): string {
  const a = Math.abs(e)
  return 'e' + (e < 0 ? '-' : '+') + (a < 10 ? '0' + a : String(a))
}

/** `printf("%.*g", precision, x)` (no `#` flag: trailing zeros removed). */
export function formatGeneral(x: number, precision = 6): string {
  const nf = nonFinite(x)
  if (nf !== undefined) return nf
  const p = precision === 0 ? 1 : precision
  const { m, e } = significant(x, p)
  if (e < -4 || e >= p) {
    const frac = m.slice(1).replace(/0+$/, '')
    return sign(x) + m[0] + (frac ? '.' + frac : '') + exponent(e)
  }
  const s = formatFixed(x, p - 1 - e)
  return s.includes('.') ? s.replace(/0+$/, '').replace(/\.$/, '') : s
}

/** A float as C++ Nix prints values: `std::ostream << double`. */
export function showFloat(x: number): string {
  return formatGeneral(x, 6)
}

/** A float as `builtins.toString` renders it: `std::to_string(double)`. */
export function floatToString(x: number): string {
  return formatFixed(x, 6)
}

/** A float as `builtins.toJSON` renders it (nlohmann::json `dump`). */
export function floatToJson(x: number): string {
  if (!Number.isFinite(x)) return 'null'
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0'
  const { digits, exponent: exp10 } = grisu2(Math.abs(x))
  const k = digits.length
  const n = k + exp10 // position of the decimal point relative to the digits
  let out: string
  if (k <= n && n <= 15) out = digits + '0'.repeat(n - k) + '.0'
  else if (n > 0 && n <= 15) out = digits.slice(0, n) + '.' + digits.slice(n)
  else if (n > -4 && n <= 0) out = '0.' + '0'.repeat(-n) + digits
  else out = digits[0] + (k > 1 ? '.' + digits.slice(1) : '') + exponent(n - 1)
  return sign(x) + out
}

/**
 * Grisu2 (Loitsch, "Printing Floating-Point Numbers Quickly and Accurately with Integers",
 * PLDI 2010), in the variant nlohmann::json uses for `dump` and so C++ Nix for `toJSON`: digits
 * that read back to the same double, usually but not always the shortest (1e23 gives
 * 9999999999999999, 0.080341339111328125 gives 8034133911132813), which is why JS's own
 * shortest-digit algorithm cannot stand in. 64-bit arithmetic is done in BigInt.
 */

/** f × 2^e */
interface DiyFp { f: bigint; e: number }

const ALPHA = -60
const TWO63 = 1n << 63n

function mul(x: DiyFp, y: DiyFp): DiyFp {
  // the upper 64 bits of the 128-bit product, rounded (ties up)
  return { f: (x.f * y.f + TWO63) >> 64n, e: x.e + y.e + 64 }
}

function normalize(x: DiyFp): DiyFp {
  let { f, e } = x
  while ((f >> 63n) === 0n) { f <<= 1n; e-- }
  return { f, e }
}

/** 10^k as a normalized DiyFp, rounded to nearest: the cached powers, computed. */
const cachedPowers = new Map<number, DiyFp>()
function cachedPower(k: number): DiyFp {
  let c = cachedPowers.get(k)
  if (c === undefined) {
    // find e with 2^63 <= 10^k / 2^e < 2^64, then round 10^k / 2^e
    const num = k >= 0 ? 10n ** BigInt(k) : 1n
    const den = k >= 0 ? 1n : 10n ** BigInt(-k)
    let e = Math.floor(k * Math.log2(10)) - 63
    const scaled = (ee: number): [bigint, bigint] => (ee >= 0 ? [num, den << BigInt(ee)] : [num << BigInt(-ee), den])
    for (;;) {
      const [n, d] = scaled(e)
      const q = n / d
      if (q < TWO63) { e--; continue }
      if (q >= 1n << 64n) { e++; continue }
      const r = n % d
      c = { f: 2n * r >= d ? q + 1n : q, e }
      if (c.f === 1n << 64n) c = { f: TWO63, e: e + 1 }
      break
    }
    cachedPowers.set(k, c)
  }
  return c
}

/** The cached power c ≈ 10^-k bringing w's exponent into [-60, -32], and that k. */
function cachedPowerFor(e: number): { c: DiyFp; k: number } {
  const f = ALPHA - e - 1
  const k = Math.trunc((f * 78913) / (1 << 18)) + (f > 0 ? 1 : 0)
  const index = Math.trunc((300 + k + 7) / 8)
  const dec = -300 + index * 8 // the table holds every 8th power from 10^-300
  return { c: cachedPower(dec), k: dec }
}

function round(buf: number[], dist: bigint, delta: bigint, rest: bigint, tenK: bigint): void {
  while (rest < dist && delta - rest >= tenK && (rest + tenK < dist || dist - rest > rest + tenK - dist)) {
    buf[buf.length - 1]!--
    rest += tenK
  }
}

/** Digits V with M- <= V <= M+, closest to w; returns the digits and the decimal exponent. */
function digitGen(mMinus: DiyFp, w: DiyFp, mPlus: DiyFp, exp10: number): { digits: number[]; exponent: number } {
  let delta = mPlus.f - mMinus.f
  let dist = mPlus.f - w.f
  const shift = BigInt(-mPlus.e)
  const one = 1n << shift
  let p1 = Number(mPlus.f >> shift)
  let p2 = mPlus.f & (one - 1n)
  const buf: number[] = []
  let pow10 = 1
  let k = 1
  while (pow10 * 10 <= p1) { pow10 *= 10; k++ }
  let n = k
  while (n > 0) {
    const d = Math.floor(p1 / pow10)
    p1 %= pow10
    buf.push(d)
    n--
    const rest = (BigInt(p1) << shift) + p2
    if (rest <= delta) {
      round(buf, dist, delta, rest, BigInt(pow10) << shift)
      return { digits: buf, exponent: exp10 + n }
    }
    pow10 /= 10
  }
  let m = 0
  for (;;) {
    p2 *= 10n
    buf.push(Number(p2 >> shift))
    p2 &= one - 1n
    m++
    delta *= 10n
    dist *= 10n
    if (p2 <= delta) break
  }
  round(buf, dist, delta, p2, one)
  return { digits: buf, exponent: exp10 - m }
}

/** Grisu2 digits of a finite x > 0: x ≈ digits × 10^exponent. */
export function grisu2(x: number): { digits: string; exponent: number } {
  const view = new DataView(new ArrayBuffer(8))
  view.setFloat64(0, x)
  const bits = view.getBigUint64(0)
  const E = Number(bits >> 52n)
  const F = bits & ((1n << 52n) - 1n)
  const v: DiyFp = E === 0 ? { f: F, e: -1074 } : { f: F + (1n << 52n), e: E - 1075 }
  const closer = F === 0n && E > 1
  const plus = normalize({ f: 2n * v.f + 1n, e: v.e - 1 })
  const minusRaw = closer ? { f: 4n * v.f - 1n, e: v.e - 2 } : { f: 2n * v.f - 1n, e: v.e - 1 }
  const minus = { f: minusRaw.f << BigInt(minusRaw.e - plus.e), e: plus.e }
  const { c, k } = cachedPowerFor(plus.e)
  const w = mul(normalize(v), c)
  const wMinus = mul(minus, c)
  const wPlus = mul(plus, c)
  const r = digitGen({ f: wMinus.f + 1n, e: wMinus.e }, w, { f: wPlus.f - 1n, e: wPlus.e }, -k)
  return { digits: r.digits.join(''), exponent: r.exponent }
}

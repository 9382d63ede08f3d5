/**
 * Grisu2 (Loitsch, "Printing Floating-Point Numbers Quickly and Accurately with Integers"), the
 * digit generator nlohmann::json uses to print doubles, and so what `builtins.toJSON` prints.
 * Grisu2 round-trips but is not always shortest (`5.4255129628557504e+16` where the shortest is
 * `5.42551296285575e+16`), so JS's own shortest formatting cannot stand in for it. Uses the
 * parameters nlohmann uses (alpha = -60, gamma = -32, cached powers of ten every 8 decades
 * from 1e-300, significands rounded to nearest). 64-bit arithmetic in BigInt: JSON floats are rare.
 */

const MASK64 = (1n << 64n) - 1n

interface DiyFp { f: bigint; e: number }

/** 64×64→64 multiplication keeping the high half, rounded (ties up), as nlohmann's diyfp::mul. */
function mul(x: DiyFp, y: DiyFp): DiyFp {
  const p = x.f * y.f
  const h = (p + (1n << 63n)) >> 64n
  return { f: h & MASK64, e: x.e + y.e + 64 }
}

function normalize(x: DiyFp): DiyFp {
  let { f, e } = x
  while ((f >> 63n) === 0n) { f <<= 1n; e-- }
  return { f, e }
}

interface CachedPower { f: bigint; e: number; k: number }
let cachedPowers: CachedPower[] | undefined

/** 10^k ≈ f·2^e with 2^63 ≤ f < 2^64, for k = -300, -292, …, 324. */
function powers(): CachedPower[] {
  if (cachedPowers) return cachedPowers
  const out: CachedPower[] = []
  for (let k = -300; k <= 324; k += 8) {
    const num0 = k >= 0 ? 10n ** BigInt(k) : 1n
    const den0 = k >= 0 ? 1n : 10n ** BigInt(-k)
    let e = num0.toString(2).length - den0.toString(2).length - 64
    for (;;) {
      const num = e < 0 ? num0 << BigInt(-e) : num0
      const den = e > 0 ? den0 << BigInt(e) : den0
      const q = num / den
      if (q >= 1n << 64n) { e++; continue }
      if (q < 1n << 63n) { e--; continue }
      let f = q
      if (2n * (num % den) >= den) f += 1n
      if (f >= 1n << 64n) { e++; continue }
      out.push({ f, e, k })
      break
    }
  }
  cachedPowers = out
  return out
}

function cachedPowerFor(e: number): CachedPower {
  const f = -60 - e - 1
  const k = Math.trunc((f * 78913) / (1 << 18)) + (f > 0 ? 1 : 0)
  const index = Math.trunc((300 + k + 7) / 8)
  return powers()[index]!
}

function largestPow10(n: number): [digits: number, pow10: number] {
  let pow10 = 1
  let digits = 1
  while (digits < 10 && n >= pow10 * 10) { pow10 *= 10; digits++ }
  return [digits, pow10]
}

/** The digits (without leading zeros) and decimal exponent of a positive finite double. */
export function grisu2(value: number): { digits: string; exponent: number } {
  // Boundaries of `value`: the midpoints to its neighbours.
  const dv = new DataView(new ArrayBuffer(8))
  dv.setFloat64(0, value)
  const bits = dv.getBigUint64(0)
  const E = Number(bits >> 52n)
  const F = bits & ((1n << 52n) - 1n)
  const v: DiyFp = E === 0 ? { f: F, e: 1 - 1075 } : { f: F + (1n << 52n), e: E - 1075 }
  const lowerCloser = F === 0n && E > 1
  const mPlus: DiyFp = { f: 2n * v.f + 1n, e: v.e - 1 }
  const mMinus: DiyFp = lowerCloser ? { f: 4n * v.f - 1n, e: v.e - 2 } : { f: 2n * v.f - 1n, e: v.e - 1 }
  const wPlus = normalize(mPlus)
  const wMinus: DiyFp = { f: mMinus.f << BigInt(mMinus.e - wPlus.e), e: wPlus.e }
  const w = normalize(v)

  const cached = cachedPowerFor(wPlus.e)
  const c: DiyFp = { f: cached.f, e: cached.e }
  const ww = mul(w, c)
  const wm = mul(wMinus, c)
  const wp = mul(wPlus, c)
  const Mminus: DiyFp = { f: wm.f + 1n, e: wm.e }
  const Mplus: DiyFp = { f: wp.f - 1n, e: wp.e }
  let exponent = -cached.k

  // Digit generation.
  let delta = Mplus.f - Mminus.f
  let dist = Mplus.f - ww.f
  const shift = BigInt(-Mplus.e)
  const one = 1n << shift
  let p1 = Number(Mplus.f >> shift)
  let p2 = Mplus.f & (one - 1n)
  let buf = ''
  let [n, pow10] = largestPow10(p1)
  while (n > 0) {
    const d = Math.floor(p1 / pow10)
    p1 %= pow10
    buf += String(d)
    n--
    const rest = (BigInt(p1) << shift) + p2
    if (rest <= delta) {
      exponent += n
      buf = round(buf, dist, delta, rest, BigInt(pow10) << shift)
      return { digits: buf, exponent }
    }
    pow10 /= 10
  }
  let m = 0
  for (;;) {
    p2 *= 10n
    const d = p2 >> shift
    p2 &= one - 1n
    buf += String(d)
    m++
    delta *= 10n
    dist *= 10n
    if (p2 <= delta) break
  }
  exponent -= m
  return { digits: round(buf, dist, delta, p2, one), exponent }
}

/** grisu2_round: move the last digit down while that brings the result closer to w. */
function round(buf: string, dist: bigint, delta: bigint, rest: bigint, tenK: bigint): string {
  let last = buf.charCodeAt(buf.length - 1) - 48
  while (rest < dist && delta - rest >= tenK && (rest + tenK < dist || dist - rest > rest + tenK - dist)) {
    last--
    rest += tenK
  }
  return buf.slice(0, -1) + String(last)
}

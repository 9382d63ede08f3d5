/**
 * mulberry32: a small, fast seeded PRNG for generated test data, so that a failing run can be
 * replayed from its seed. Returns numbers in [0, 1), each an unsigned 32-bit value / 2^32.
 */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

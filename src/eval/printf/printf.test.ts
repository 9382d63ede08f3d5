import assert from 'node:assert/strict'
import { grisu2 } from './grisu2.js'
import { floatToJson, formatExponential, formatFixed, formatGeneral } from './index.js'
import { mulberry32 as rng } from '../../../test/support/rng.js'


function randomDouble(r: () => number): number {
  const v = new DataView(new ArrayBuffer(8))
  v.setUint32(0, Math.floor(r() * 2 ** 32))
  v.setUint32(4, Math.floor(r() * 2 ** 32))
  return v.getFloat64(0)
}

describe('printf: float formatting', () => {
  it('Grisu2 digits read back to the same double (20000 random doubles)', () => {
    const r = rng(1)
    for (let i = 0; i < 20000; i++) {
      const x = Math.abs(randomDouble(r))
      if (!Number.isFinite(x) || x === 0) continue
      const { digits, exponent } = grisu2(x)
      assert.equal(Number(`${digits}e${exponent}`), x, `${x}`)
      assert.ok(digits.length <= 17 && !digits.endsWith('0') || digits === '0', `${x}: ${digits}`)
      assert.equal(JSON.parse(floatToJson(x)), x)
    }
  })

  it('rounds ties to even, as glibc does (worked out by hand)', () => {
    // 0.0078125 = 2^-7 exactly: halfway between 0.007812 and 0.007813
    assert.equal(formatFixed(0.0078125, 6), '0.007812')
    assert.equal(formatFixed(0.125, 2), '0.12')
    assert.equal(formatFixed(0.375, 2), '0.38')
    assert.equal(formatFixed(2.5, 0), '2')
    assert.equal(formatFixed(3.5, 0), '4')
    assert.equal(formatGeneral(999999.5), '1e+06')
    assert.equal(formatExponential(1.25, 1), '1.2e+00')
  })

  it('agrees with JS formatting away from ties (5000 random doubles)', () => {
    const r = rng(2)
    for (let i = 0; i < 5000; i++) {
      const x = randomDouble(r)
      if (!Number.isFinite(x) || Math.abs(x) >= 1e21 || Math.abs(x) < 1e-30) continue
      const js = x.toExponential(8)
      // random doubles are practically never exact ties, where JS would round away from zero
      assert.equal(formatExponential(x, 8), js.replace(/e([+-])(\d)$/, 'e$10$2'), `${x}`)
    }
  })
})

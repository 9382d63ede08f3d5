import assert from 'node:assert/strict'
import fc from 'fast-check'
import { compareUtf8, dumpJson, formatFloat, JsonSyntaxError, jsonFromPlain, jsonToPlain, parseJson } from './index.js'

describe('nlohmann-compatible JSON', () => {
  it('prints floats as nlohmann does', () => {
    // Expected strings as C++ 2.34 printed them (nix-2.34.8/lenient/json-noncanonical.json,
    // from-json/structured-numbers.drv); the rest worked out from nlohmann's format_buffer rules
    const cases: Array<[number, string]> = [
      [100, '100.0'], [1.5, '1.5'], [0.1, '0.1'], [1e-7, '1e-07'], [1e15, '1e+15'], [1e16, '1e+16'],
      [-0, '-0.0'], [0, '0.0'], [1e21, '1e+21'], [1e-5, '1e-05'], [18446744073709551616, '1.8446744073709552e+19'],
      [-9223372036854775809, '-9.223372036854776e+18'], [1e14, '100000000000000.0'], [0.0001, '0.0001'],
      [123456.789, '123456.789'], [NaN, 'null'], [Infinity, 'null'], [5e-324, '5e-324'], [1.7976931348623157e308, '1.7976931348623157e+308'],
    ]
    for (const [x, s] of cases) assert.equal(formatFloat(x), s, String(x))
  })

  it('keeps integers and floats apart, and ranges as nlohmann (int64 / uint64, else float)', () => {
    const v = parseJson('[1, 1.0, -0, 18446744073709551615, 18446744073709551616, -9223372036854775808, -9223372036854775809, 1E2]')
    assert.deepEqual(v, [1n, 1, 0n, 18446744073709551615n, 18446744073709551616, -9223372036854775808n, -9223372036854775809, 100])
    assert.equal(dumpJson(v), '[1,1.0,0,18446744073709551615,1.8446744073709552e+19,-9223372036854775808,-9.223372036854776e+18,100.0]')
  })

  it('sorts keys by UTF-8 bytes, keeps the last of repeated keys, escapes as nlohmann', () => {
    const v = parseJson('{"😀":1,"\\ufb00":2,"10":3,"9":4,"a":5,"a":6,"s":"\\u0001\\u007f\\/\\"\\\\\\b\\f\\n\\r\\t\\ud83d\\ude00"}')
    assert.equal(dumpJson(v), '{"10":3,"9":4,"a":6,"s":"\\u0001\u007f/\\"\\\\\\b\\f\\n\\r\\t😀","\uFB00":2,"😀":1}')
  })

  it('pretty-prints like dump(2)', () => {
    assert.equal(dumpJson(parseJson('{"b":[],"a":{"x":[1,{}]}}'), 2), '{\n  "a": {\n    "x": [\n      1,\n      {}\n    ]\n  },\n  "b": []\n}')
  })

  it('rejects what is not JSON, saying where', () => {
    const bad: Array<[string, RegExp, number]> = [
      ['', /expected a JSON value/, 0],
      ['{"a":1,}', /expected a string key/, 7],
      ['[1 2]', /expected ',' or '\]'/, 3],
      ['01', /after the JSON value/, 1],
      ['"a\u0001"', /control character/, 2],
      ['"\\x"', /invalid escape/, 1],
      ['"\\ud800"', /low surrogate/, 1],
      ['1.', /after the decimal point/, 2],
      ['tru', /expected 'true'/, 0],
      ['[1] x', /after the JSON value/, 4],
    ]
    for (const [text, msg, at] of bad) {
      assert.throws(() => parseJson(text), (e: unknown) => e instanceof JsonSyntaxError && msg.test(e.message) && e.offset === at, text)
    }
    assert.throws(() => parseJson('['.repeat(3000) + ']'.repeat(3000)), /nested deeper/)
  })

  it('parse ∘ dump is the identity on dumped text (property), and agrees with JSON.parse on values', () => {
    fc.assert(fc.property(fc.jsonValue(), v => {
      const text = dumpJson(jsonFromPlain(v))
      assert.equal(dumpJson(parseJson(text)), text)
      assert.deepEqual(jsonToPlain(parseJson(text)), JSON.parse(JSON.stringify(v)))
    }), { numRuns: 300 })
  })

  it('compareUtf8 orders as UTF-8 bytes do', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary' }), fc.string({ unit: 'binary' }), (a, b) => {
      assert.equal(Math.sign(compareUtf8(a, b)), Math.sign(Buffer.compare(Buffer.from(a), Buffer.from(b))))
    }), { numRuns: 1000 })
  })
})

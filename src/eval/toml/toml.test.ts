import assert from 'node:assert/strict'
import { NixError } from '../../errors.js'
import { fromToml, FromTomlError } from './index.js'

describe('fromToml', () => {
  it('FromTomlError has a stable name, code and the C++ Nix prefix', () => {
    const e = new FromTomlError('boom')
    assert.ok(e instanceof NixError)
    assert.equal(e.name, 'FromTomlError')
    assert.equal(e.code, 'ERR_FROM_TOML')
    assert.equal(e.message, 'while parsing TOML: boom')
  })

  it('keeps integers apart from floats (bigint vs number)', () => {
    const t = fromToml('i = 1\nf = 1.0\nbig = 9223372036854775807\n')
    assert.equal(t.get('i'), 1n)
    assert.equal(t.get('f'), 1)
    assert.equal(t.get('big'), 9223372036854775807n)
  })

  it('returns timestamps only with parse-toml-timestamps', () => {
    assert.throws(() => fromToml('d = 1979-05-27'), { message: 'while parsing TOML: Dates and times are not supported' })
    assert.deepEqual(fromToml('d = 1979-05-27', { timestamps: true }).get('d'), { _type: 'timestamp', value: '1979-05-27' })
  })

  it('works on bytes: UTF-8 in, the same bytes out', () => {
    const t = fromToml('"\u00c3\u00a9" = "\\u00e9"\n')
    assert.deepEqual([...t], [['\u00c3\u00a9', '\u00c3\u00a9']])
  })

  it('appends to an array of tables', () => {
    const doc = Array.from({ length: 2000 }, (_, i) => `[[package]]\nname = "p${i}"\n[package.meta]\nx = ${i}\n`).join('\n')
    const pkgs = fromToml(doc).get('package') as Array<Map<string, unknown>>
    assert.equal(pkgs.length, 2000)
    assert.deepEqual(pkgs[1999]!.get('meta'), new Map([['x', 1999n]]))
  })
})

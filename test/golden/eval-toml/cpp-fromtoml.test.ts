/**
 * `builtins.fromTOML` against C++ Nix 2.34.8: cpp-fromtoml.json (see README.md, capture.ts)
 * holds each document's value (with parse-toml-timestamps) or C++'s error as it prints it, and
 * whether it fails without the feature. We must agree on every value, on which documents fail,
 * and on the printed error text (Nix prints each line of a message without trailing blanks).
 */
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fromToml, FromTomlError, type FromTomlValue } from '../../../src/eval/toml/index.js'
import { repoRoot } from '../../support/paths.js'
import { generateDocs, handWritten } from './generate.js'

type Tagged = { t: Array<[string, Tagged]> } | { l: Tagged[] } | { s: string } | { i: string } | { f: string } | { b: boolean }

interface Golden {
  capturedWith: string
  seed: number
  generated: number
  cases: Array<{ doc: string; value?: Tagged; error?: string; errorWithoutTimestamps?: string }>
}

const golden = JSON.parse(readFileSync(join(repoRoot, 'test', 'golden', 'eval-toml', 'cpp-fromtoml.json'), 'utf8')) as Golden

/** Our value in the capture's tagged form (attribute names sorted bytewise, as Nix does). */
function tag(v: FromTomlValue): Tagged {
  if (typeof v === 'string') return { s: v }
  if (typeof v === 'bigint') return { i: v.toString() }
  if (typeof v === 'boolean') return { b: v }
  if (typeof v === 'number') return { f: canonical(v) }
  if (Array.isArray(v)) return { l: v.map(tag) }
  if (v instanceof Map) return { t: [...v.keys()].sort().map((k) => [k, tag(v.get(k)!)] as [string, Tagged]) }
  return { t: [['_type', { s: v._type }], ['value', { s: v.value }]] }
}

const canonical = (v: number): string =>
  Number.isNaN(v) ? 'nan' : v === Infinity ? 'inf' : v === -Infinity ? '-inf' : Object.is(v, -0) ? '-0' : String(v)

/** C++ floats come as toJSON text (or inf/nan): compare numbers, not spellings. */
function normalise(t: Tagged): Tagged {
  if ('f' in t) return { f: ['nan', 'inf', '-inf'].includes(t.f) ? t.f : canonical(JSON.parse(t.f) as number) }
  if ('l' in t) return { l: t.l.map(normalise) }
  if ('t' in t) return { t: t.t.map(([k, x]) => [k, normalise(x)]) }
  return t
}

/** How Nix prints an error: every line without trailing blanks (C++ keeps them in the message). */
const printed = (m: string): string => m.replace(/[ \t\r]+$/gm, '')

function run(doc: string, timestamps: boolean): { value: Tagged } | { error: FromTomlError } {
  try { return { value: tag(fromToml(doc, { timestamps })) } } catch (e) {
    if (e instanceof FromTomlError) return { error: e }
    throw e
  }
}

describe(`fromTOML against ${golden.capturedWith}`, () => {
  it('covers at least 150 documents, valid and invalid', () => {
    assert.ok(golden.cases.length >= 150)
    assert.ok(golden.cases.filter((c) => c.error !== undefined).length >= 50)
    assert.ok(golden.cases.filter((c) => c.value !== undefined).length >= 50)
  })

  it('was captured from the current generator (regenerate with capture.ts after changing it)', () => {
    const docs = [...new Set([...handWritten, ...generateDocs(golden.seed, golden.generated)])]
    assert.deepEqual(golden.cases.map((c) => c.doc), docs)
  })

  golden.cases.forEach((c, i) => {
    it(`document ${i}: ${JSON.stringify(c.doc.slice(0, 60))}${c.error !== undefined ? ' is rejected' : ''}`, () => {
      const r = run(c.doc, true)
      if (c.error !== undefined) {
        assert.ok('error' in r, `C++ rejects it: ${c.error}`)
        assert.equal(printed(r.error.message), c.error)
        return
      }
      assert.ok('value' in r, `C++ accepts it; we say: ${'error' in r ? r.error.message : ''}`)
      assert.deepEqual(r.value, normalise(c.value!))
      const off = run(c.doc, false)
      if (c.errorWithoutTimestamps !== undefined) {
        assert.ok('error' in off, 'C++ rejects it without parse-toml-timestamps')
        assert.equal(printed(off.error.message), c.errorWithoutTimestamps)
      } else assert.ok('value' in off)
    })
  })
})

/**
 * The fromTOML cases of the C++ Nix 2.34.8 lang suite, against the upstream expectations read in
 * place: eval-okay-fromTOML{,-timestamps} (our result printed as `nix-instantiate --eval --strict`
 * prints it must equal the `.exp`) and eval-fail-fromTOML-* (our message must be the one at the
 * end of the `.err.exp`). The TOML texts come from cpp-fromtoml.json (`langDocs`), because they
 * sit in Nix indented strings that C++ Nix parsed for us.
 */
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { showFloat } from '../../../src/eval/printf/index.js'
import { fromToml, FromTomlError, type FromTomlValue } from '../../../src/eval/toml/index.js'
import { fixture, skipBecause } from '../../support/env.js'
import { repoRoot } from '../../support/paths.js'

const golden = JSON.parse(readFileSync(join(repoRoot, 'test', 'golden', 'eval-toml', 'cpp-fromtoml.json'), 'utf8')) as { langDocs: Record<string, string | string[]> }

const KEYWORDS = new Set(['if', 'then', 'else', 'assert', 'with', 'let', 'in', 'rec', 'inherit'])
const nixString = (s: string): string => '"' + s.replace(/[\\"\n\r\t]|\$\{/g, (c) =>
  c === '\n' ? '\\n' : c === '\r' ? '\\r' : c === '\t' ? '\\t' : '\\' + c) + '"'
const attrName = (k: string): string => (/^[a-zA-Z_][a-zA-Z0-9_'-]*$/.test(k) && !KEYWORDS.has(k) ? k : nixString(k))

/** A value as `nix-instantiate --eval --strict` prints it (enough for fromTOML's results). */
function show(v: FromTomlValue): string {
  if (typeof v === 'string') return nixString(v)
  if (typeof v === 'bigint') return v.toString()
  if (typeof v === 'number') return showFloat(v)
  if (typeof v === 'boolean') return String(v)
  if (Array.isArray(v)) return v.length === 0 ? '[ ]' : `[ ${v.map(show).join(' ')} ]`
  const entries: Array<[string, FromTomlValue]> = v instanceof Map ? [...v] : [['_type', v._type], ['value', v.value]]
  if (entries.length === 0) return '{ }'
  return `{ ${entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([k, x]) => `${attrName(k)} = ${show(x)};`).join(' ')} }`
}

const lang = (name: string): string | undefined => fixture('nixos-nix-2.34.8', 'tests', 'functional', 'lang', name)
const printed = (m: string): string => m.replace(/[ \t\r]+$/gm, '')

describe('fromTOML: lang suite', () => {
  for (const [name, timestamps] of [['eval-okay-fromTOML', false], ['eval-okay-fromTOML-timestamps', true]] as const) {
    it(`${name} prints the upstream .exp`, function () {
      const exp = lang(`${name}.exp`)
      if (exp === undefined) skipBecause(this, 'lang suite fixtures (../shared/fixtures) not present')
      const docs = golden.langDocs[name]!
      const values = Array.isArray(docs) ? docs.map((d) => fromToml(d, { timestamps })) : fromToml(docs, { timestamps })
      const out = Array.isArray(values) ? `[ ${values.map(show).join(' ')} ]` : show(values)
      assert.equal(out + '\n', readFileSync(exp, 'latin1'))
    })
  }

  for (const name of Object.keys(golden.langDocs).filter((n) => n.startsWith('eval-fail'))) {
    it(`${name} fails with the upstream message`, function () {
      const exp = lang(`${name}.err.exp`)
      if (exp === undefined) skipBecause(this, 'lang suite fixtures (../shared/fixtures) not present')
      const text = readFileSync(exp, 'latin1')
      const want = /\n {7}error: ([^]*)$/.exec(text)![1]!.replace(/\n {7}/g, '\n').replace(/\n+$/, '')
      assert.throws(() => fromToml(golden.langDocs[name] as string), (e) =>
        e instanceof FromTomlError && printed(e.message).replace(/\n+$/, '') === printed(want))
    })
  }
})

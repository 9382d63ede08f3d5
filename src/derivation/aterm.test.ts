import assert from 'node:assert/strict'
import fc from 'fast-check'
import { NixHash, StoreDir, StorePath } from '../store-path/index.js'
import {
  type Derivation,
  type DerivationOutput,
  DerivationParseError,
  derivationFromJson,
  derivationToJson,
  dumpJson,
  InvalidDerivationError,
  parseDerivation,
  printDerivation,
  StructuredAttrs,
} from './index.js'

const P = (name: string): StorePath => StorePath.fromBaseName(`c015dhfh5l0lp6wxyvdn7bmwhbbr6hr9-${name}`)
const base = (over: Partial<Derivation> = {}): Derivation => ({
  name: 'x', outputs: new Map([['out', { kind: 'deferred' }]]), inputDrvs: [], inputSrcs: [], platform: 'sys', builder: 'b', args: [], env: new Map(), ...over,
})
const empty = 'Derive([("out","","","")],[],[],"sys","b",[],[])'

describe('ATerm printing', () => {
  it('escapes exactly ", \\, newline, carriage return and tab in builder, args and env', () => {
    // worked out by hand from C++ printString: each of the five gets a backslash form, nothing else
    const d = base({ builder: 'a"b\\c\nd\re\tf$g\u0001é😀', args: ['\\n'], env: new Map([['k\t', 'v"']]) })
    assert.equal(printDerivation(d), 'Derive([("out","","","")],[],[],"sys","a\\"b\\\\c\\nd\\re\\tf$g\u0001é😀",["\\\\n"],[("k\\t","v\\"")])')
  })

  it('writes the system, paths and output names verbatim', () => {
    const d = base({ platform: 'a\\b\nc' })
    assert.equal(printDerivation(d), 'Derive([("out","","","")],[],[],"a\\b\nc","b",[],[])')
  })

  it('sorts keys in byte order of UTF-8, not UTF-16 (U+FB00 before U+1F600)', () => {
    const d = base({ env: new Map([['😀', '1'], ['\uFB00', '2'], ['10', '3'], ['9', '4'], ['B', '5'], ['a', '6']]) })
    assert.equal(printDerivation(d), 'Derive([("out","","","")],[],[],"sys","b",[],[("10","3"),("9","4"),("B","5"),("a","6"),("\uFB00","2"),("😀","1")])')
  })

  it('prints each output kind as C++ does', () => {
    const h = NixHash.parseSRI('sha256-iUUXyRY8iW7DGirb0zwGgf1fRbLA7wimTJKgP7l/OQ8=')
    const outputs = new Map<string, DerivationOutput>([
      ['a', { kind: 'inputAddressed', path: P('x-a') }],
      ['b', { kind: 'caFloating', method: 'nar', hashAlgo: 'sha512' }],
      ['c', { kind: 'deferred' }],
      ['d', { kind: 'impure', method: 'flat', hashAlgo: 'sha1' }],
    ])
    assert.equal(printDerivation(base({ outputs })),
      'Derive([("a","/nix/store/c015dhfh5l0lp6wxyvdn7bmwhbbr6hr9-x-a","",""),("b","","r:sha512",""),("c","","",""),("d","","sha1","impure")],[],[],"sys","b",[],[])')
    // fixed: the path comes from the content address (C++ DerivationOutput::CAFixed::path)
    const fixed = printDerivation(base({ name: 'source', outputs: new Map([['out', { kind: 'caFixed', ca: { method: 'nar', hash: h } }]]) }))
    assert.equal(fixed, 'Derive([("out","/nix/store/i00sflxqsj37lfmf95m8mn0grv615hpj-source","r:sha256","894517c9163c896ec31a2adbd33c0681fd5f45b2c0ef08a64c92a03fb97f390f")],[],[],"sys","b",[],[])')
  })

  it('uses DrvWithVersion only when an input has dynamic outputs', () => {
    const node = { outputs: ['a'], dynamicOutputs: new Map([['a', { outputs: ['b'], dynamicOutputs: new Map() }]]) }
    assert.equal(printDerivation(base({ inputDrvs: [{ path: P('d.drv'), ...node }] })),
      'DrvWithVersion("xp-dyn-drv",[("out","","","")],[("/nix/store/c015dhfh5l0lp6wxyvdn7bmwhbbr6hr9-d.drv",(["a"],[("a",["b"])]))],[],"sys","b",[],[])')
  })

  it('puts structured attrs back as __json, and refuses an env var named __json', () => {
    const d = base({ structuredAttrs: StructuredAttrs.parse('{"a":1}') })
    assert.equal(printDerivation(d), 'Derive([("out","","","")],[],[],"sys","b",[],[("__json","{\\"a\\":1}")])')
    assert.throws(() => printDerivation(base({ env: new Map([['__json', '{}']]) })), InvalidDerivationError)
  })

  it('honours another store directory', () => {
    const sd = new StoreDir('/gnu/store')
    const d = base({ inputSrcs: [P('src')] })
    assert.equal(printDerivation(d, sd), 'Derive([("out","","","")],[],["/gnu/store/c015dhfh5l0lp6wxyvdn7bmwhbbr6hr9-src"],"sys","b",[],[])')
    assert.throws(() => parseDerivation(printDerivation(d), { name: 'x', storeDir: sd }), /not in the Nix store/)
  })
})

describe('ATerm parsing: errors', () => {
  // [input, message fragment, offset]: offsets counted by hand
  const bad: Array<[string, RegExp, number]> = [
    ['', /does not start with 'Derive'/, 0],
    ['Derive(', /expected '\['/, 7],
    ['Derive([("out","","","")', /expected ',' or '\]'/, 24],
    ['Derive([("out","","",""),', /expected '\('/, 25],
    ['Derive([("out","","","")],[],[],"sys","b",[],[("k","v)])', /unterminated string/, 56],
    ['DrvWithVersion("v2",[],[],[],"s","b",[],[])', /unknown derivation ATerm format version 'v2'/, 15],
    ['Derive([("out","x","","")],[],[],"s","b",[],[])', /bad store path/, 15],
    ['Derive([("out","/nix/store/c015dhfh5l0lp6wxyvdn7bmwhbbr6hr9-x","sha256","abc")],[],[],"s","b",[],[])', /wrong length/, 15],
    ['Derive([("out","","foo","")],[],[],"s","b",[],[])', /unknown hash algorithm 'foo'/, 15],
    ['Derive([("out","","","abc")],[],[],"s","b",[],[])', /hash specified without hash algorithm/, 15],
    ['Derive([("out","/nix/store/c015dhfh5l0lp6wxyvdn7bmwhbbr6hr9-x","r:sha256","")],[],[],"s","b",[],[])', /should not specify output path/, 15],
    ['Derive([("out","/nix/store/c015dhfh5l0lp6wxyvdn7bmwhbbr6hr9-x","sha256","impure")],[],[],"s","b",[],[])', /impure derivation output should not specify output path/, 15],
    ['Derive([],[("/nix/store/c015dhfh5l0lp6wxyvdn7bmwhbbr6hr9-x.drv",(["out"],[]))],[],"s","b",[],[])', /expected '\['/, 64],
    ['Derive([],[],[],"s","b",[],[("__json","[1]")])', /cannot process __json attribute: expected a JSON object/, 0],
    ['Derive([],[],[],"s","b",[],[("__json","{")])', /cannot process __json attribute/, 0],
    ['Derive([("out","","text:sha1","")],[],[],"s","b",[],[])', /text-hashed output must use sha256/, 15],
  ]
  for (const [input, msg, offset] of bad) {
    it(`rejects ${JSON.stringify(input.slice(0, 60))}`, () => {
      for (const strict of [false, true]) {
        const e = (() => { try { parseDerivation(input, { name: 'x', strict }); return undefined } catch (x) { return x } })()
        assert.ok(e instanceof DerivationParseError, `strict=${strict}: ${String(e)}`)
        assert.match(e.message, msg)
        assert.equal(e.offset, offset, `strict=${strict}: ${e.message}`)
        assert.equal(e.code, 'ERR_DRV_PARSE')
      }
    })
  }

  it('rejects bytes that are not UTF-8, saying where', () => {
    const b = Buffer.from(empty.replace('sys', 's\xffs'), 'latin1')
    assert.throws(() => parseDerivation(b, { name: 'x' }), (e: unknown) => e instanceof DerivationParseError && /not valid UTF-8/.test(e.message) && e.offset === empty.indexOf('sys') + 1)
  })

  it('bounds the nesting of dynamic outputs', () => {
    let node = '["o"]'
    for (let i = 0; i < 100; i++) node = `(["o"],[("o",${node})])`
    const t = `DrvWithVersion("xp-dyn-drv",[],[("/nix/store/c015dhfh5l0lp6wxyvdn7bmwhbbr6hr9-d.drv",${node})],[],"s","b",[],[])`
    assert.throws(() => parseDerivation(t, { name: 'x' }), /nested deeper than 64/)
  })
})

describe('ATerm parsing: canonical (strict) versus C++ 2.34 (default) reading', () => {
  // [non-canonical input, what the default reading prints back]
  const cases: Array<[string, string, string]> = [
    ['unsorted env, last wins', 'Derive([],[],[],"s","b",[],[("b","1"),("a","2"),("b","3")])', 'Derive([],[],[],"s","b",[],[("a","2"),("b","3")])'],
    ['repeated output, first wins', 'Derive([("out","","",""),("out","","r:sha256","")],[],[],"s","b",[],[])', 'Derive([("out","","","")],[],[],"s","b",[],[])'],
    ['unsorted set', 'Derive([],[("/nix/store/c015dhfh5l0lp6wxyvdn7bmwhbbr6hr9-d.drv",["z","a","z"])],[],"s","b",[],[])', 'Derive([],[("/nix/store/c015dhfh5l0lp6wxyvdn7bmwhbbr6hr9-d.drv",["a","z"])],[],"s","b",[],[])'],
    ['unknown escape', 'Derive([],[],[],"s","\\q",[],[])', 'Derive([],[],[],"s","q",[],[])'],
    ['raw newline', 'Derive([],[],[],"s","a\nb",[],[])', 'Derive([],[],[],"s","a\\nb",[],[])'],
    ['escape in a verbatim field', 'Derive([],[],[],"x\\_y","b",[],[])', 'Derive([],[],[],"x_y","b",[],[])'],
    ['trailing data', 'Derive([],[],[],"s","b",[],[])\n', 'Derive([],[],[],"s","b",[],[])'],
    ['versioned without dynamic inputs', 'DrvWithVersion("xp-dyn-drv",[],[],[],"s","b",[],[])', 'Derive([],[],[],"s","b",[],[])'],
    ['input derivation that is not a .drv', 'Derive([],[("/nix/store/c015dhfh5l0lp6wxyvdn7bmwhbbr6hr9-x",["out"])],[],"s","b",[],[])', 'Derive([],[("/nix/store/c015dhfh5l0lp6wxyvdn7bmwhbbr6hr9-x",["out"])],[],"s","b",[],[])'],
    ['non-canonical store path', 'Derive([],[],["/nix/store//c015dhfh5l0lp6wxyvdn7bmwhbbr6hr9-x"],"s","b",[],[])', 'Derive([],[],["/nix/store/c015dhfh5l0lp6wxyvdn7bmwhbbr6hr9-x"],"s","b",[],[])'],
    ['nix32 fixed hash, wrong path', 'Derive([("out","/nix/store/c015dhfh5l0lp6wxyvdn7bmwhbbr6hr9-x","r:sha256","03rrgywkz84j9jk0ivy0n92mzzc10qyd7nra3b1nx29w2v4ific9")],[],[],"s","b",[],[])',
      'Derive([("out","/nix/store/i00sflxqsj37lfmf95m8mn0grv615hpj-source","r:sha256","894517c9163c896ec31a2adbd33c0681fd5f45b2c0ef08a64c92a03fb97f390f")],[],[],"s","b",[],[])'],
  ]
  for (const [what, input, printed] of cases) {
    it(`${what}: read by default, rejected by strict`, () => {
      assert.equal(printDerivation(parseDerivation(input, { name: 'source' })), printed)
      assert.throws(() => parseDerivation(input, { name: 'source', strict: true }), DerivationParseError)
    })
  }
})

describe('ATerm round trip (property)', () => {
  const str = fc.string({ unit: 'binary', maxLength: 12 })
  const verbatim = str.filter(s => !s.includes('"') && !s.includes('\\'))
  const outName = fc.stringMatching(/^[a-z][a-z0-9-]{0,6}$/)
  const path = fc.stringMatching(/^[a-z][a-z0-9+._-]{0,10}$/).map(n => P(n))
  const output: fc.Arbitrary<DerivationOutput> = fc.oneof(
    path.map(p => ({ kind: 'inputAddressed', path: p }) as const),
    fc.constant({ kind: 'deferred' } as const),
    fc.record({ method: fc.constantFrom('flat', 'nar', 'git' as const), hashAlgo: fc.constantFrom('sha1', 'sha256' as const) }).map(r => ({ kind: 'caFloating' as const, ...r })),
    fc.record({ method: fc.constantFrom('flat', 'nar' as const), hashAlgo: fc.constantFrom('md5', 'sha512' as const) }).map(r => ({ kind: 'impure' as const, ...r })),
    fc.tuple(fc.constantFrom('flat', 'nar', 'text' as const), fc.uint8Array({ minLength: 32, maxLength: 32 }))
      .map(([method, d]) => ({ kind: 'caFixed' as const, ca: { method, hash: NixHash.fromDigest('sha256', d) } })),
  )
  const node = fc.record({ outputs: fc.uniqueArray(outName, { maxLength: 3 }), dynamicOutputs: fc.constant(new Map()) })
  const drv: fc.Arbitrary<Derivation> = fc.record({
    name: fc.stringMatching(/^[a-z][a-z0-9.-]{0,12}$/),
    outputs: fc.uniqueArray(fc.tuple(outName, output), { selector: t => t[0], maxLength: 4 }).map(e => new Map(e)),
    inputDrvs: fc.uniqueArray(fc.tuple(path, node), { selector: t => t[0].name, maxLength: 3 })
      .map(e => e.map(([p, n]) => ({ path: StorePath.fromParts(p.hashPart, p.name + '.drv'), outputs: n.outputs, dynamicOutputs: n.dynamicOutputs }))),
    inputSrcs: fc.uniqueArray(path, { selector: p => p.name, maxLength: 3 }),
    platform: verbatim,
    builder: str,
    args: fc.array(str, { maxLength: 4 }),
    env: fc.uniqueArray(fc.tuple(str, str), { selector: t => t[0], maxLength: 6 }).map(e => new Map(e.filter(([k]) => k !== '__json'))),
  })

  it('print → strict parse → print is the identity, and JSON agrees', () => {
    fc.assert(fc.property(drv, d => {
      const t = printDerivation(d)
      const back = parseDerivation(t, { name: d.name, strict: true })
      assert.equal(printDerivation(back), t)
      assert.equal(printDerivation(parseDerivation(Buffer.from(t), { name: d.name })), t)
      const json = dumpJson(derivationToJson(back))
      assert.equal(json, dumpJson(derivationToJson(d)))
      assert.equal(printDerivation(derivationFromJson(json)), t)
    }), { numRuns: 300 })
  })
})

import assert from 'node:assert/strict'
import { computeBuildEnv, DerivationLike, passAsFileName, renderValidityRegistration, tokenize } from './env.js'
import { SandboxRequestError } from './errors.js'
import { fromBasicDerivation } from './env.js'
import { parseJson, type JsonObject } from '../derivation/index.js'
import { shellEscape, writeStructuredAttrsShell } from './structured-attrs.js'

const S = '/nix/store'
const OUT = `${S}/lq0ls3b4dn5vbs4mv4k8b0yhv01aajvi-envdump`
const DEV = `${S}/3fj0w5x4s3g2f1d0c9b8a7z6y5x4w3v2-envdump-dev`

/** The `envdump` derivation of shared/tools/sandbox-probe/probe-drv.nix, as its drv env. */
const envdump: DerivationLike = {
  builder: '/bin/sh',
  args: ['-c', 'echo'],
  platform: 'x86_64-linux',
  env: {
    bigattr: 'passed-as-file-7', builder: '/bin/sh', dev: DEV, name: 'envdump', nonce: '7',
    out: OUT, outputs: 'out dev', passAsFile: 'bigattr', plain: 'plain-value', system: 'x86_64-linux',
  },
  outputs: [{ name: 'out', path: OUT }, { name: 'dev', path: DEV }],
  kind: 'input-addressed',
}

describe('sandbox: builder environment (env.ts)', () => {
  it('names passAsFile files as C++ Nix does', () => {
    // Observed under C++ Nix 2.8 and 2.34.8 (build-sandbox.md §1.6).
    assert.equal(passAsFileName('bigattr'), '.attr-0r6a9470s427ilyhvywdaz6j9d03761f96kw9zraigvd0qph2jwk')
  })

  it('gives the envdump derivation the variables C++ Nix gave it, sorted', () => {
    const { env, files, args } = computeBuildEnv(envdump, { storeDir: S, cores: 1 })
    // The observed sorted env of build-sandbox.md §1.6, minus SHLVL (set by the shell).
    assert.deepEqual(env.map(([k]) => k), [
      'HOME', 'NIX_BUILD_CORES', 'NIX_BUILD_TOP', 'NIX_LOG_FD', 'NIX_STORE', 'PATH', 'PWD', 'TEMP', 'TEMPDIR', 'TERM', 'TMP', 'TMPDIR',
      'bigattrPath', 'builder', 'dev', 'name', 'nonce', 'out', 'outputs', 'passAsFile', 'plain', 'system',
    ])
    const m = new Map(env)
    assert.equal(m.get('PATH'), '/path-not-set')
    assert.equal(m.get('HOME'), '/homeless-shelter')
    assert.equal(m.get('NIX_BUILD_CORES'), '1')
    for (const k of ['NIX_BUILD_TOP', 'TMPDIR', 'TEMPDIR', 'TMP', 'TEMP', 'PWD']) assert.equal(m.get(k), '/build')
    assert.equal(m.get('NIX_LOG_FD'), '2')
    assert.equal(m.get('TERM'), 'xterm-256color')
    assert.equal(m.get('bigattrPath'), '/build/.attr-0r6a9470s427ilyhvywdaz6j9d03761f96kw9zraigvd0qph2jwk')
    assert.equal(m.get('passAsFile'), 'bigattr')
    assert.equal(m.has('bigattr'), false)
    assert.deepEqual(files, [{ name: '.attr-0r6a9470s427ilyhvywdaz6j9d03761f96kw9zraigvd0qph2jwk', contents: 'passed-as-file-7' }])
    assert.deepEqual(args, ['-c', 'echo'])
  })

  it('lets the derivation override PATH/HOME/NIX_STORE/NIX_BUILD_CORES but not the later variables', () => {
    const drv = { ...envdump, env: { PATH: '/p', HOME: '/h', NIX_STORE: '/s', NIX_BUILD_CORES: '9', NIX_BUILD_TOP: '/x', TMPDIR: '/x', PWD: '/x', NIX_LOG_FD: '5', TERM: 'dumb' } }
    const m = new Map(computeBuildEnv(drv, { storeDir: S, cores: 1 }).env)
    assert.equal(m.get('PATH'), '/p')
    assert.equal(m.get('HOME'), '/h')
    assert.equal(m.get('NIX_STORE'), '/s')
    assert.equal(m.get('NIX_BUILD_CORES'), '9')
    assert.equal(m.get('NIX_BUILD_TOP'), '/build')
    assert.equal(m.get('TMPDIR'), '/build')
    assert.equal(m.get('PWD'), '/build')
    assert.equal(m.get('NIX_LOG_FD'), '2')
    assert.equal(m.get('TERM'), 'xterm-256color')
  })

  it('sorts names bytewise, as std::map<std::string> does', () => {
    const drv = { ...envdump, env: { b: '1', B: '2', _a: '3', 'é': '4', z: '5' } }
    const keys = computeBuildEnv(drv, { storeDir: S, cores: 1 }).env.map(([k]) => k)
    assert.deepEqual(keys.filter(k => ['b', 'B', '_a', 'é', 'z'].includes(k)), ['B', '_a', 'b', 'z', 'é'])
  })

  it('adds NIX_OUTPUT_CHECKED and the impure variables for fixed-output derivations', () => {
    const fod: DerivationLike = { ...envdump, kind: 'fixed-output', env: { impureEnvVars: 'PROBE_IMPURE http_proxy', out: OUT } }
    const m = new Map(computeBuildEnv(fod, { storeDir: S, cores: 1, impureEnv: n => (n === 'http_proxy' ? 'http://proxy:3128' : undefined) }).env)
    assert.equal(m.get('NIX_OUTPUT_CHECKED'), '1')
    // Observed: unset names become empty strings (build-sandbox.md §1.6, `PROBE_IMPURE=`).
    assert.equal(m.get('PROBE_IMPURE'), '')
    assert.equal(m.get('http_proxy'), 'http://proxy:3128')
    const impure = new Map(computeBuildEnv({ ...fod, kind: 'impure' }, { storeDir: S, cores: 1 }).env)
    assert.equal(impure.has('NIX_OUTPUT_CHECKED'), false)
    assert.equal(impure.get('http_proxy'), '')
    const sandboxed = new Map(computeBuildEnv({ ...fod, kind: 'input-addressed' }, { storeDir: S, cores: 1 }).env)
    assert.equal(sandboxed.has('PROBE_IMPURE'), false)
  })

  it('exports none of the derivation env in structured mode, only the .attrs files', () => {
    const json = '{"name":"structured","someList":[1,"two",true],"x":1.0,"outputs":["out"],"system":"x86_64-linux"}'
    const drv: DerivationLike = { ...envdump, env: { __json: json, out: OUT }, outputs: [{ name: 'out', path: OUT }] }
    const { env, files } = computeBuildEnv(drv, { storeDir: S, cores: 2 })
    const m = new Map(env)
    assert.equal(m.has('out'), false)
    assert.equal(m.has('__json'), false)
    assert.equal(m.get('NIX_ATTRS_JSON_FILE'), '/build/.attrs.json')
    assert.equal(m.get('NIX_ATTRS_SH_FILE'), '/build/.attrs.sh')
    const byName = new Map(files.map(f => [f.name, f.contents]))
    // nlohmann: keys sorted, integers and floats kept apart, `outputs` replaced by name → path.
    assert.equal(byName.get('.attrs.json'), `{"name":"structured","outputs":{"out":"${OUT}"},"someList":[1,"two",true],"system":"x86_64-linux","x":1.0}`)
    assert.equal(byName.get('.attrs.sh'), `declare name='structured'\ndeclare -A outputs=(['out']='${OUT}' )\ndeclare -a someList=(1 'two' 1 )\ndeclare system='x86_64-linux'\ndeclare x=1\n`)
  })

  it('writes exportReferencesGraph files through the injected lookup', () => {
    const input = `${S}/0c7lv3ihhbrzn1p4zv9v6d3f4z2q8s5a-input`
    const drv = { ...envdump, env: { exportReferencesGraph: `closure ${input}`, out: OUT } }
    const { files } = computeBuildEnv(drv, { storeDir: S, cores: 1, referencesGraphText: ps => renderValidityRegistration(ps.map(p => ({ path: p, references: [p] }))) })
    assert.deepEqual(files, [{ name: 'closure', contents: `${input}\n\n1\n${input}\n` }])
    assert.throws(() => computeBuildEnv({ ...drv, env: { exportReferencesGraph: 'bad/name x' } }, { storeDir: S, cores: 1, referencesGraphText: () => '' }), SandboxRequestError)
    assert.throws(() => computeBuildEnv({ ...drv, env: { exportReferencesGraph: 'odd' } }, { storeDir: S, cores: 1 }), SandboxRequestError)
  })

  it('applies output rewrites to args, env values and files', () => {
    const ph = '/1rz4g4znpzjwh1xymhjpm42vipw92pr73vdgl6xs1hycac8kf2n9'
    const drv = { ...envdump, args: ['-c', `echo > ${ph}`], env: { out: ph, passAsFile: 'f', f: ph } }
    const r = computeBuildEnv(drv, { storeDir: S, cores: 1, rewrites: [[ph, OUT]] })
    assert.deepEqual(r.args, ['-c', `echo > ${OUT}`])
    assert.equal(new Map(r.env).get('out'), OUT)
    assert.equal(r.files[0]!.contents, OUT)
  })

  it('tokenizes like Nix tokenizeString', () => {
    assert.deepEqual(tokenize('  a\tb\n\nc  '), ['a', 'b', 'c'])
    assert.deepEqual(tokenize(''), [])
  })
})

describe('sandbox: structured attrs (nlohmann dump, writeStructuredAttrsShell)', () => {
  it('rejects malformed __json with a clear error', () => {
    for (const bad of ['{', '{"a":}', '[1,]', '{"a":1} x', '[1]']) {
      assert.throws(() => computeBuildEnv({ ...envdump, env: { __json: bad } }, { storeDir: S, cores: 1 }), SandboxRequestError, bad)
    }
  })

  it('writes .attrs.sh lines only for what bash can hold', () => {
    // Expected lines worked out by hand from writeStructuredAttrsShell (parsed-derivations.cc).
    const json = parseJson(JSON.stringify({
      a: "x'y", b: 5, d: null, e: true, f: false, g: [1, 's', true], h: { n: 2, k: 'v' }, 'bad-name': 1, i: [[1]], j: { x: [1] }, k: 2.5e0,
    }))
    const sh = writeStructuredAttrsShell(json as JsonObject)
    assert.equal(sh, [
      "declare a='x'\\''y'", 'declare b=5', "declare d=''", 'declare e=1', 'declare f=', "declare -a g=(1 's' 1 )",
      "declare -A h=(['k']='v' ['n']=2 )", '',
    ].join('\n'))
  })

  it('applies the float32 ceil test and int truncation to numbers', () => {
    const json = parseJson('{"big":4294967297,"f":3.0,"half":0.5,"tiny":1e-50,"huge":1e300}') as JsonObject
    // 4294967297 → int32 1; 3.0 → 3; 0.5 skipped; 1e-50 rounds to float 0 → "0"; 1e300 → inf → INT_MIN.
    assert.equal(writeStructuredAttrsShell(json), 'declare big=1\ndeclare f=3\ndeclare huge=-2147483648\ndeclare tiny=0\n')
  })

  it('escapes for the shell like Nix shellEscape', () => {
    assert.equal(shellEscape("it's"), "'it'\\''s'")
  })
})

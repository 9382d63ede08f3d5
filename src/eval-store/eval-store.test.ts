import assert from 'node:assert/strict'
import { execFileSync, spawn } from 'node:child_process'
import { createHash } from 'node:crypto'
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { nix28, skipBecause } from '../../test/support/env.js'
import { distRoot } from '../../test/support/paths.js'
import { EvalError } from '../eval/errors.js'
import { EvalState } from '../eval/eval-state.js'
import { type EvalIO, MemoryEvalIO } from '../eval/io.js'
import { Attrs, NixString, type Value } from '../eval/value.js'
import { main } from '../cli/instantiate.js'
import { instantiateHook } from './instantiate.js'
import { dumpSource } from './dump.js'
import { memorySource, nodeSource, type MemoryNode } from './source.js'
import { BridgedEvalStore, DummyEvalStore, MemoryEvalStore } from './store.js'

/*
 * Expected store paths are what C++ Nix 2.34.8 printed for the same expressions and trees
 * (`reference-nix run 'nix-instantiate …'`, dummy:// for read-only, a private local store
 * `local?root=…` for instantiation); they are written down here, not computed by tsnix.
 */

/** The tree C++ hashed as `/data/evalstore/src` (a.txt is executable). */
const SRC: MemoryNode = {
  dir: {
    'a.txt': { exec: 'hi\n' },
    'b@c': 'x\n',
    'x.drv': 'd\n',
    link: { link: 'a.txt' },
    sub: { dir: { f: 's\n' } },
  },
}

const DEP_TOP = `let d = derivation { name = "dep"; builder = "/bin/sh"; system = "x86_64-linux"; src = ./src; f = builtins.toFile "f" "x"; };
in [ d (derivation { name = "top"; builder = "/bin/sh"; system = "x86_64-linux"; inherit d; p = d.drvPath; }) ]`
const DEP_DRV = '/nix/store/xklz47ybfl5ypy6lavdz227fd64jx1x6-dep.drv'
const TOP_DRV = '/nix/store/h1fmic3lzg54apkrknjc5v2245kp69rs-top.drv'
const SRC_PATH = '/nix/store/k9skj2v0n8nrbbkbzl3z28wkvkxh2b02-src'
const F_PATH = '/nix/store/x93g3gvygaiq7h4b6zls3w7l5az1y526-f'

function evalWith(store: MemoryEvalStore | DummyEvalStore, src: string): { st: EvalState; v: Value } {
  const io: EvalIO = new MemoryEvalIO()
  io.store = store
  const st = new EvalState(io)
  const v = st.eval(st.parse(src, 'string', '', '/w'))
  return { st, v }
}

function strings(st: EvalState, v: Value): string[] {
  const l = st.force(v) as Value[]
  return l.map(x => {
    const s = st.force(x)
    return s instanceof NixString ? s.s : String(s)
  })
}

describe('eval-store: stores behind the evaluator', () => {
  it('computes source, text and .drv paths as C++ read-only mode does, writing nothing', function () {
    const store = new DummyEvalStore('/nix/store', memorySource({ '/w/src': SRC }))
    const r = evalWith(store, `let l = ${DEP_TOP}; in [ "\${./src}" (builtins.toFile "f" "x") (builtins.elemAt l 0).drvPath ]`)
    assert.deepEqual(strings(r.st, r.v), [SRC_PATH, F_PATH, DEP_DRV])
  })

  it('rejects all-outputs context in read-only mode: the .drv is not valid (as dummy://)', function () {
    const store = new DummyEvalStore('/nix/store', memorySource({ '/w/src': SRC }))
    assert.throws(() => evalWith(store, `let l = ${DEP_TOP}; in (builtins.elemAt l 1).drvPath`), (e: unknown) => e instanceof EvalError && e.msg === `path '${DEP_DRV}' is not valid`)
  })

  it('instantiating against dummy:// fails as C++ does', function () {
    const store = new DummyEvalStore('/nix/store', memorySource({ '/w/src': SRC }), false)
    const r = evalWith(store, 'derivation { name = "a"; builder = "/bin/sh"; system = "x"; }')
    assert.throws(() => instantiateHook(r.st, r.v, Attrs.empty),
      (e: unknown) => e instanceof EvalError && e.msg === "operation 'writeDerivation' is not supported by store 'dummy://'")
  })

  it('writes .drv files, text files and sources to a store, and reads them back for all-outputs contexts', function () {
    const store = new MemoryEvalStore('/nix/store', memorySource({ '/w/src': SRC }))
    const r = evalWith(store, DEP_TOP)
    assert.deepEqual(instantiateHook(r.st, r.v, Attrs.empty), [DEP_DRV, TOP_DRV])
    assert.deepEqual([...store.objects.keys()].sort(), [SRC_PATH, F_PATH, DEP_DRV, TOP_DRV].sort())
    assert.deepEqual(store.queryReferences(DEP_DRV), [SRC_PATH, F_PATH].sort())
    // `p = d.drvPath` makes the whole closure of dep.drv an input of top.drv
    const top = Buffer.from(store.objects.get(TOP_DRV)!.contents).toString()
    assert.match(top, /^Derive\(\[\("out","\/nix\/store\/[0-9a-z]{32}-top","",""\)\],\[\("\/nix\/store\/xklz47ybfl5ypy6lavdz227fd64jx1x6-dep.drv",\["out"\]\)\],\["\/nix\/store\/k9skj2v0n8nrbbkbzl3z28wkvkxh2b02-src","\/nix\/store\/x93g3gvygaiq7h4b6zls3w7l5az1y526-f","\/nix\/store\/xklz47ybfl5ypy6lavdz227fd64jx1x6-dep.drv"\]/)
  })

  it('builds derivation outputs a path depends on before reading it (import from derivation)', function () {
    const io = new MemoryEvalIO()
    const store = new MemoryEvalStore('/nix/store', memorySource({}))
    const built: string[] = []
    store.builder = (targets, s) => {
      for (const t of targets) {
        built.push(t)
        const out = '/nix/store/0pd4llb3k36fnppfxwp6nlwsxwlv0y2c-a' // C++'s output path of this derivation
        io.add(`${out}/x`, '{ answer = 42; }')
        s.addTextToStore(out, new Uint8Array(), [])
      }
    }
    ;(io as EvalIO).store = store
    const st = new EvalState(io)
    const v = st.eval(st.parse('(import "${derivation { name = "a"; builder = "/bin/sh"; system = "x"; }}/x").answer', 'string', '', '/'))
    assert.equal(st.force(v), 42)
    assert.deepEqual(built, ['/nix/store/l9ldjc53ry43x24hvq73jx7dx0489mhj-a.drv!out'])
  })

  it('runs filters on every entry below the root with its type', function () {
    const store = new DummyEvalStore('/nix/store', memorySource({ '/w/src': SRC }))
    const seen: string[] = []
    const p = store.addSourcePath({ path: '/w/src', name: 'src', method: 'nar', filter: (path, type) => { seen.push(`${path} ${type}`); return true } })
    assert.equal(p, SRC_PATH)
    assert.deepEqual(seen, ['/w/src/a.txt regular', '/w/src/b@c regular', '/w/src/link symlink', '/w/src/sub directory', '/w/src/sub/f regular', '/w/src/x.drv regular'])
  })
})

describe('eval-store: the CLI with a real store', function () {
  this.timeout(60_000)
  let dir: string
  before(() => { dir = mkdtempSync(join(tmpdir(), 'tsnix-eval-store-')) })
  after(() => rmSync(dir, { recursive: true, force: true }))

  it('tsnix instantiate writes the .drv files into a local store and prints their paths as nix-instantiate', function () {
    const root = join(dir, 'root')
    let out = ''
    let err = ''
    const rc = main(['-E', 'let f = builtins.toFile "f" "x"; in derivation { name = "dep"; builder = "/bin/sh"; system = "x86_64-linux"; inherit f; outputs = [ "dev" "out" ]; }'],
      { stdout: s => { out += s }, stderr: s => { err += s } },
      { env: { NIX_REMOTE: `local?root=${root}`, HOME: dir, NIX_CONF_DIR: join(dir, 'etc') }, cwd: dir, readStdin: () => '' })
    assert.equal(err, "warning: you did not specify '--add-root'; the result might be removed by the garbage collector\n")
    assert.equal(rc, 0)
    // what C++ 2.34.8 printed for this expression (`!dev`: the first output)
    assert.equal(out, '/nix/store/3hkyxwcj57852644nmz3lp1inw29qgr4-dep.drv!dev\n')
    const [line] = out.split('\n')
    const drv = readFileSync(join(root, 'nix', 'store', line!.slice('/nix/store/'.length, -'!dev'.length)), 'utf8')
    assert.match(drv, /\("f","\/nix\/store\/x93g3gvygaiq7h4b6zls3w7l5az1y526-f"\)/)
    const bridged = new BridgedEvalStore({ storeUrl: `local?root=${root}`, storeDir: '/nix/store', env: { HOME: dir }, isRoot: process.getuid?.() === 0 })
    try {
      assert.equal(bridged.isValidPath(F_PATH), true)
      assert.deepEqual(bridged.queryReferences(line!.slice(0, -'!dev'.length)), [F_PATH])
      assert.equal(bridged.readDerivation(line!.slice(0, -'!dev'.length)), drv)
    } finally {
      bridged.close()
    }
  })
})

describe('eval-store: batched writes to a real store', function () {
  this.timeout(120_000)
  let dir: string
  before(() => { dir = mkdtempSync(join(tmpdir(), 'tsnix-eval-batch-')) })
  after(() => rmSync(dir, { recursive: true, force: true }))

  it('instantiating more .drv files than one batch holds writes them all, each after its references', function () {
    // 600 derivations, each depending on an earlier one: three batches, references across them
    const root = join(dir, 'root')
    const expr = 'let d = builtins.genList (i: derivation { name = "d${toString i}"; builder = "/bin/sh"; system = "x86_64-linux"; dep = if i == 0 then "" else builtins.elemAt d (i / 2); }) 600; in d'
    let out = ''
    let err = ''
    const rc = main(['-E', expr], { stdout: s => { out += s }, stderr: s => { err += s } },
      { env: { NIX_REMOTE: `local?root=${root}`, HOME: dir, NIX_CONF_DIR: join(dir, 'etc') }, cwd: dir, readStdin: () => '' })
    assert.equal(rc, 0, err)
    // C++ 2.34.8's output for the same expression (private local store): 600 lines, this SHA-256
    assert.equal(createHash('sha256').update(out).digest('hex'), '70241227774e6c12a487bb62452c17b7ff56dc9921fc184e5df00a45c3379b47')
    const lines = out.trim().split('\n')
    assert.equal(lines[599], '/nix/store/yfq1vmxhbsik779fgx6mbm8g5blhsfwb-d599.drv')
    const bridged = new BridgedEvalStore({ storeUrl: `local?root=${root}`, storeDir: '/nix/store', env: { HOME: dir }, isRoot: process.getuid?.() === 0 })
    try {
      for (const l of lines) assert.equal(bridged.isValidPath(l), true, l)
      // d599 depends on d299, whose .drv is its one reference
      assert.deepEqual(bridged.queryReferences(lines[599]!), [lines[299]!])
    } finally {
      bridged.close()
    }
  })
})

describe('eval-store: the CLI through a daemon', function () {
  this.timeout(60_000)
  let dir: string
  let daemon: ReturnType<typeof spawn> | undefined
  before(async function () {
    dir = mkdtempSync(join(tmpdir(), 'tsnix-eval-daemon-'))
    const sock = join(dir, 'sock')
    daemon = spawn(process.execPath, [join(distRoot, 'src', 'cli', 'main.js'), 'daemon', '--store', `local?root=${join(dir, 'root')}`],
      { env: { ...process.env, NIX_DAEMON_SOCKET_PATH: sock, HOME: dir }, stdio: 'ignore' })
    for (let i = 0; i < 100 && !existsSync(sock); i++) await sleep(100)
    if (!existsSync(sock)) throw new Error('tsnix daemon did not start')
  })
  after(() => {
    daemon?.kill()
    rmSync(dir, { recursive: true, force: true })
  })

  it('tsnix instantiate writes .drv files through the worker protocol (unix://…) and reads them back for all-outputs contexts', function () {
    let out = ''
    let err = ''
    const expr = 'let d = derivation { name = "dep"; builder = "/bin/sh"; system = "x86_64-linux"; f = builtins.toFile "f" "x"; }; in [ d (derivation { name = "top"; builder = "/bin/sh"; system = "x86_64-linux"; inherit d; p = d.drvPath; }) ]'
    const rc = main(['-E', expr], { stdout: s => { out += s }, stderr: s => { err += s } },
      { env: { NIX_REMOTE: `unix://${join(dir, 'sock')}`, HOME: dir, NIX_CONF_DIR: join(dir, 'etc') }, cwd: dir, readStdin: () => '' })
    assert.equal(rc, 0, err)
    // C++ 2.34.8 printed these for the same expression (private local store)
    assert.equal(out, '/nix/store/7blnnygm8w19jj2q7fvsncj6z5681r87-dep.drv\n/nix/store/w0fimd3lpb9f9fb7v5va55kvlcynmmg6-top.drv\n')
  })
})

describe('eval-store: file modes as C++ dumps them', function () {
  it('only the owner\'s execute bit makes a file executable (nix-hash 2.8 hashes the same tree)', function () {
    const nix = nix28()
    if (!nix) return skipBecause(this, 'C++ Nix 2.8 (nix-hash) is not installed')
    const dir = mkdtempSync(join(tmpdir(), 'tsnix-modes-'))
    try {
      for (const [name, mode] of [['g-o-exec', 0o611], ['owner-exec', 0o744], ['plain', 0o644]] as const) {
        writeFileSync(join(dir, name), `${name}\n`)
        chmodSync(join(dir, name), mode)
      }
      const cpp = execFileSync(nix.nixHash, ['--type', 'sha256', '--base32', dir], { encoding: 'utf8' }).trim()
      assert.equal(dumpSource(nodeSource, dir).narHash.format('nix32'), `sha256:${cpp}`)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})

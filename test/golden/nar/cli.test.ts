/**
 * The `tsnix nar|hash|store path-of` commands against the C++ tools they mirror: outputs must
 * match `nix-store --dump/--restore/--add/--add-fixed`, `nix-hash` and `nix nar ls` of C++ Nix
 * 2.8, and (when the reference chroot is set up) `nix-hash --sri/--base64`, `nix hash convert`
 * and `nix nar ls --json` of 2.34 byte for byte.
 */
import assert from 'node:assert/strict'
import { execFileSync, spawnSync } from 'node:child_process'
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { distRoot } from '../../support/paths.js'
import { isRoot, nix28, referenceNix, skipBecause } from '../../support/env.js'
import { type GenStats, writeTree } from './gen-tree.js'

const main = join(distRoot, 'src', 'cli', 'main.js')

function tsnix(args: string[], input?: Uint8Array): { status: number; stdout: Buffer; stderr: string } {
  const r = spawnSync(process.execPath, [main, ...args], { maxBuffer: 1 << 30, ...(input ? { input } : {}) })
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr.toString() }
}
function cpp(cmd: string, args: string[], input?: Uint8Array): { status: number; stdout: Buffer; stderr: string } {
  const r = spawnSync(cmd, args, { maxBuffer: 1 << 30, ...(input ? { input } : {}) })
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr.toString() }
}
const ok = (r: { status: number; stdout: Buffer; stderr: string }): Buffer => {
  assert.equal(r.status, 0, r.stderr)
  return r.stdout
}

describe('golden: tsnix CLI vs C++ Nix 2.8', function () {
  this.timeout(300_000)
  let work: string
  let nix: NonNullable<ReturnType<typeof nix28>>
  let t: string
  const gen: string[] = []

  before(function () {
    const n = nix28()
    if (!n) skipBecause(this, 'C++ Nix 2.8 (nix-store, nix-hash) is not installed')
    nix = n
    work = mkdtempSync(join(tmpdir(), 'tsnix-nar-cli-'))
    // The tree of the C++ nar-listing example, plus a big file for backpressure.
    t = join(work, 't')
    mkdirSync(join(t, 'bar'), { recursive: true })
    mkdirSync(join(t, 'empty'))
    writeFileSync(join(t, 'foo'), 'hello\n\u0000\n\tworld!')
    writeFileSync(join(t, 'bar', 'baz'), 'good day,\n\u0000\n\tworld!')
    chmodSync(join(t, 'bar', 'baz'), 0o755)
    symlinkSync('/over/there', join(t, 'bar', 'quux'))
    writeFileSync(join(t, 'big'), Buffer.alloc(9 * 1024 * 1024 + 5, 'nix'))
    const stats: GenStats = { files: 0, dirs: 0, symlinks: 0, bytes: 0 }
    for (const i of [4, 5, 7, 9]) { // a directory, a file, a symlink, a directory
      const p = join(work, `gen-${i}`)
      writeTree(Buffer.from(p), 11, i, undefined, stats)
      gen.push(p)
    }
  })
  after(() => { if (work) rmSync(work, { recursive: true, force: true }) })

  it('nar dump writes what nix-store --dump writes', () => {
    for (const p of [t, ...gen]) assert.ok(ok(tsnix(['nar', 'dump', p])).equals(ok(cpp(nix.nixStore, ['--dump', p]))), p)
  })

  it('nar restore unpacks as nix-store --restore does', () => {
    const nar = ok(cpp(nix.nixStore, ['--dump', t]))
    ok(tsnix(['nar', 'restore', join(work, 'r-ours')], nar))
    ok(cpp(nix.nixStore, ['--restore', join(work, 'r-cpp')], nar))
    assert.ok(ok(cpp(nix.nixStore, ['--dump', join(work, 'r-ours')])).equals(nar))
    assert.equal((execFileSync('stat', ['-c', '%a', join(work, 'r-ours', 'bar', 'baz')]).toString()),
      execFileSync('stat', ['-c', '%a', join(work, 'r-cpp', 'bar', 'baz')]).toString())
    // Both refuse a NAR that is cut short, and a target that exists.
    assert.notEqual(tsnix(['nar', 'restore', join(work, 'r-short')], nar.subarray(0, 200)).status, 0)
    assert.notEqual(tsnix(['nar', 'restore', join(work, 'r-ours')], nar).status, 0)
  })

  it('nar ls prints what nix nar ls prints', () => {
    const nar = join(work, 't.nar')
    writeFileSync(nar, ok(cpp(nix.nixStore, ['--dump', t])))
    const nixCmd = nix.nixStore.replace(/nix-store$/, 'nix')
    const theirs = (args: string[]): Buffer => ok(cpp(nixCmd, ['--extra-experimental-features', 'nix-command', 'nar', 'ls', ...args]))
    const cases: Array<[string[], string]> = [[['-lR'], '/'], [['-R'], '/bar'], [['-d'], '/'], [['-l'], '/bar/quux'], [[], '/foo']]
    for (const [args, inside] of cases) {
      assert.equal(ok(tsnix(['nar', 'ls', ...args, nar, inside])).toString(), theirs([...args, nar, inside]).toString(), `${args.join(' ')} ${inside}`)
    }
    // 2.8 orders JSON keys as it writes them; 2.34's sorted order is ours (see the 2.34 suite).
    for (const [args, inside] of [[['--json', '-R'], '/'], [['--json'], '/bar']] as Array<[string[], string]>) {
      assert.deepEqual(JSON.parse(ok(tsnix(['nar', 'ls', ...args, nar, inside])).toString()), JSON.parse(theirs([...args, nar, inside]).toString()))
    }
    assert.equal(tsnix(['nar', 'ls', nar, '/nonexistent']).status, 1)
  })

  it('hash path and hash file print what nix-hash prints', () => {

    for (const flags of [[], ['--type', 'sha1', '--base32'], ['--type', 'sha512'], ['--type', 'sha256', '--truncate', '--base32']]) {
      assert.equal(ok(tsnix(['hash', 'path', ...flags, t, ...gen])).toString(), ok(cpp(nix.nixHash, [...flags, t, ...gen])).toString(), flags.join(' '))
      const flat = [join(t, 'foo'), join(t, 'big'), join(work, 'gen-5')]
      assert.equal(ok(tsnix(['hash', 'file', ...flags, ...flat])).toString(), ok(cpp(nix.nixHash, ['--flat', ...flags, ...flat])).toString(), `--flat ${flags.join(' ')}`)
    }

    assert.notEqual(tsnix(['hash', 'path', join(work, 'missing')]).status, 0)
  })

  it('store path-of prints what nix-store --add and --add-fixed print', () => {
    const store = join(work, 'store')
    const add = (args: string[]): string => ok(cpp(nix.nixStore, ['--store', store, ...args])).toString()
    const flat = [join(t, 'foo'), join(t, 'big'), join(work, 'gen-5')]
    assert.equal(ok(tsnix(['store', 'path-of', t, ...gen])).toString(), add(['--add', t, ...gen]))
    for (const [algo, recursive] of [['sha256', true], ['sha1', true], ['md5', false], ['sha512', false]] as Array<[string, boolean]>) {
      if (recursive) assert.equal(ok(tsnix(['store', 'path-of', '--fixed', algo, '--recursive', t, ...gen])).toString(), add(['--add-fixed', '--recursive', algo, t, ...gen]), algo)
      assert.equal(ok(tsnix(['store', 'path-of', '--fixed', algo, ...flat])).toString(), add(['--add-fixed', algo, ...flat]), algo)
    }
    // --name renames; the path must be the one C++ gives a file of that name.
    writeFileSync(join(work, 'renamed'), readFileSync(join(t, 'foo')))
    assert.equal(ok(tsnix(['store', 'path-of', '--name', 'renamed', join(t, 'foo')])).toString(), add(['--add', join(work, 'renamed')]))
  })
})

describe('golden: tsnix CLI vs C++ Nix 2.34 (reference chroot)', function () {
  this.timeout(300_000)
  let ref: NonNullable<ReturnType<typeof referenceNix>>
  let hostDir: string
  let inside: string

  before(function () {
    const r = referenceNix()
    if (!r) skipBecause(this, 'reference C++ Nix 2.34 chroot is not set up (../shared/tools/reference-nix setup)')
    if (!isRoot) skipBecause(this, 'running the reference chroot needs root')
    ref = r
    hostDir = mkdtempSync(join(r.root, 'data', 'tsnix-nar-cli-'))
    inside = '/data/' + hostDir.slice(hostDir.lastIndexOf('/') + 1)
    const t = join(hostDir, 't')
    mkdirSync(join(t, 'bar'), { recursive: true })
    writeFileSync(join(t, 'foo'), 'hello\n\u0000\n\tworld!')
    writeFileSync(join(t, 'bar', 'baz'), 'good day,\n\u0000\n\tworld!')
    chmodSync(join(t, 'bar', 'baz'), 0o755)
    symlinkSync('/over/there', join(t, 'bar', 'quux'))
    const stats: GenStats = { files: 0, dirs: 0, symlinks: 0, bytes: 0 }
    writeTree(Buffer.from(join(hostDir, 'g')), 12, 9, undefined, stats)
  })
  after(() => { if (hostDir) rmSync(hostDir, { recursive: true, force: true }) })

  const inRef = (cmd: string): string => execFileSync(ref.script, ['run', `cd ${inside} && ${cmd}`], { stdio: ['ignore', 'pipe', 'pipe'] }).toString()

  it('hash path/file with --sri, --base64 and last-flag-wins match nix-hash', () => {
    for (const flags of [['--sri'], ['--type', 'sha256', '--sri'], ['--type', 'sha512', '--base64'], ['--base16', '--base32'], ['--type', 'sha256', '--truncate', '--sri']]) {
      assert.equal(ok(tsnix(['hash', 'path', ...flags, join(hostDir, 't'), join(hostDir, 'g')])).toString(), inRef(`nix-hash ${flags.join(' ')} t g`), flags.join(' '))
      assert.equal(ok(tsnix(['hash', 'file', ...flags, join(hostDir, 't', 'foo')])).toString(), inRef(`nix-hash --flat ${flags.join(' ')} t/foo`), flags.join(' '))
    }
  })

  it('hash convert matches nix hash convert', () => {
    const cases: string[][] = [
      ['--hash-algo', 'sha256', '--to', 'nix32', '614e1f93649a4df139258db974a9dd43cfbfe8709ed57a993d2a1a07d35500ea'],
      ['--to', 'base16', 'sha256:1sh0ap9hf6ia7ncpmmcyf3lbzks3vnlp9fcd4lwz2kcscj9iykk1'],
      ['sha256:1sh0ap9hf6ia7ncpmmcyf3lbzks3vnlp9fcd4lwz2kcscj9iykk1', 'md5-sZRqySSS0jR8YjW00mERhA=='],
      ['--to', 'nix32', '--from', 'sri', 'md5-sZRqySSS0jR8YjW00mERhA=='],
      ['--to', 'base64', 'sha1:0000000000000000000000000000000000000000'],
      ['--hash-algo', 'sha512', '--to', 'base16', 'm62pWxGwk9TH6kQtlvM+V8eh/f0Er/948oyNbKhwszSQ1EGOGCAf9rSg8sNsqJ6JFCj0OGXvNq2hX/jxzWVCMA=='],
    ]
    for (const c of cases) assert.equal(ok(tsnix(['hash', 'convert', ...c])).toString(), inRef(`nix hash convert ${c.join(' ')}`), c.join(' '))
    for (const bad of [['--from', 'base16', 'sha256:1sh0ap9hf6ia7ncpmmcyf3lbzks3vnlp9fcd4lwz2kcscj9iykk1'], ['--hash-algo', 'sha1', 'abc'], ['abc']]) {
      assert.equal(tsnix(['hash', 'convert', ...bad]).status, 1, bad.join(' '))
    }
  })

  it('nar ls --json prints the JSON text nix nar ls prints', () => {
    execFileSync(ref.script, ['run', `nix-store --dump ${inside}/t > ${inside}/t.nar`])
    for (const args of [['--json', '-R'], ['--json']]) {
      for (const p of ['/', '/bar', '/foo', '/bar/quux']) {
        assert.equal(ok(tsnix(['nar', 'ls', ...args, join(hostDir, 't.nar'), p])).toString(), inRef(`nix nar ls ${args.join(' ')} t.nar ${p}`), `${args.join(' ')} ${p}`)
      }
    }
    assert.equal(ok(tsnix(['nar', 'ls', '-lR', join(hostDir, 't.nar'), '/'])).toString(), inRef('nix nar ls -lR t.nar /'))
  })
})

/**
 * Store path computation against C++ Nix, live: Nix 2.8 (host) adds fixed-output files to a
 * private store (`nix-store --store local?root=… --add-fixed`) and writes text files
 * (`builtins.toFile`, with references), Nix 2.34 (reference chroot) adds a git-hashed file.
 * Every expected path comes from the C++ run.
 */
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { HASH_ALGOS, makeFixedOutputPath, makeTextPath, NixHash, parseContentAddress, StoreDir, storePathForContentAddress } from '../../../src/store-path/index.js'
import { nix28, referenceNix, skipBecause } from '../../support/env.js'

/** NAR of a single regular, non-executable file (the NAR grammar, worked out by hand). */
function narOfFile(contents: Uint8Array): Uint8Array {
  const parts: Uint8Array[] = []
  const str = (s: string | Uint8Array) => {
    const b = typeof s === 'string' ? new TextEncoder().encode(s) : s
    const len = new Uint8Array(8)
    new DataView(len.buffer).setBigUint64(0, BigInt(b.length), true)
    parts.push(len, b, new Uint8Array((8 - (b.length % 8)) % 8))
  }
  for (const s of ['nix-archive-1', '(', 'type', 'regular', 'contents']) str(s)
  str(contents)
  str(')')
  return Buffer.concat(parts)
}

describe('golden: store paths vs C++ Nix', function () {
  this.timeout(60_000)
  let dir: string
  before(function () { dir = mkdtempSync(join(tmpdir(), 'tsnix-sp-')) })
  after(() => rmSync(dir, { recursive: true, force: true }))

  it('fixed-output paths, flat and recursive, every algorithm (nix-store --add-fixed, Nix 2.8)', function () {
    const nix = nix28()
    if (!nix) skipBecause(this, 'C++ Nix 2.8 (nix-store) not installed')
    const contents = new TextEncoder().encode('hello tsnix\n')
    const file = join(dir, 'f')
    writeFileSync(file, contents)
    const store = new StoreDir()
    for (const algo of HASH_ALGOS.filter(a => a !== 'blake3')) {
      for (const recursive of [false, true]) {
        const args = ['--store', `local?root=${dir}/r`, '--add-fixed', ...(recursive ? ['--recursive'] : []), algo, file]
        const expected = execFileSync(nix!.nixStore, args, { encoding: 'utf8' }).trim()
        const hash = NixHash.of(algo, recursive ? narOfFile(contents) : contents)
        const got = makeFixedOutputPath(store, 'f', recursive ? 'nar' : 'flat', hash)
        assert.equal(store.print(got), expected, `${algo} recursive=${recursive}`)
      }
    }
  })

  it('text paths with references, and another store dir (builtins.toFile, Nix 2.8)', function () {
    const nix = nix28()
    if (!nix) skipBecause(this, 'C++ Nix 2.8 (nix-instantiate) not installed')
    for (const storeDir of ['/nix/store', '/foo/store']) {
      const run = (expr: string): string => JSON.parse(execFileSync(nix!.nixInstantiate, ['--store', `local?root=${dir}/t${storeDir.length}`, '--eval', '-E', expr],
        { encoding: 'utf8', env: { ...process.env, NIX_STORE_DIR: storeDir } })) as string
      const store = new StoreDir(storeDir)
      const dep = run('builtins.toFile "dep" "x"')
      const dep2 = run('builtins.toFile "dep2" "y"')
      assert.equal(store.print(makeTextPath(store, 'dep', NixHash.of('sha256', 'x'))), dep)
      const top = run('builtins.toFile "foo" "bar ${builtins.toFile "dep2" "y"} ${builtins.toFile "dep" "x"}"')
      const got = makeTextPath(store, 'foo', NixHash.of('sha256', `bar ${dep2} ${dep}`), [store.parse(dep2), store.parse(dep)])
      assert.equal(store.print(got), top, storeDir)
    }
  })

  it('git-hashed paths (nix store add --mode git, Nix 2.34)', function () {
    const ref = referenceNix()
    if (!ref) skipBecause(this, 'reference Nix 2.34 chroot not set up')
    const sub = `tsnix-sp-${process.pid}`
    const host = join(ref!.root, 'data', sub)
    mkdirSync(host, { recursive: true })
    try {
      const contents = 'hello git\n'
      writeFileSync(join(host, 'g'), contents)
      const out = execFileSync(ref!.script, ['run',
        `for a in sha1 sha256; do nix --extra-experimental-features git-hashing path-info --json --json-format 1 --store local?root=/tmp/${sub} ` +
        `$(nix --extra-experimental-features git-hashing store add --mode git --hash-algo $a --store local?root=/tmp/${sub} /data/${sub}/g); echo; done; rm -rf /tmp/${sub}`,
      ], { encoding: 'utf8' })
      const store = new StoreDir()
      const lines = out.split('\n').filter(l => l.trim() !== '')
      assert.equal(lines.length, 2)
      for (const [i, algo] of (['sha1', 'sha256'] as const).entries()) {
        const [[path, info]] = Object.entries(JSON.parse(lines[i]!) as Record<string, { ca: string }>) as [[string, { ca: string }]]
        const blob = Buffer.concat([Buffer.from(`blob ${contents.length}\0`), Buffer.from(contents)])
        const ca = parseContentAddress(info.ca)
        assert.equal(ca.method, 'git')
        assert.equal(ca.hash.toBase16(), createHash(algo).update(blob).digest('hex'))
        assert.equal(store.print(storePathForContentAddress(store, 'g', ca)), path)
      }
    } finally {
      rmSync(host, { recursive: true, force: true })
    }
  })
})

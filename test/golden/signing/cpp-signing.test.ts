/**
 * Keys, signatures and narinfo files against C++ Nix 2.8, live, in private stores:
 *
 *   nix-store --add (store r) → --export → --import into store r2 (drops the CA, so
 *   signatures count) → nix-store --generate-binary-cache-key → nix store sign --key-file
 *   (with Nix's key and with ours) → nix store verify --sigs-needed 2 → nix copy --to file://…
 *
 * Ed25519 is deterministic: our signature of the fingerprint must equal Nix's byte for byte, in
 * both directions, and the narinfo Nix writes must print back identically.
 */
import assert from 'node:assert/strict'
import { execFileSync, spawnSync } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseNarInfo, printNarInfo } from '../../../src/narinfo/index.js'
import { checkPathInfoSignature, PublicKey, publicKeysOf, SecretKey, signPathInfo } from '../../../src/signing/index.js'
import { fingerprintPathInfo, StoreDir } from '../../../src/store-path/index.js'
import { nix28, referenceNix, skipBecause, which } from '../../support/env.js'

describe('golden: signatures and narinfo vs C++ Nix', function () {
  this.timeout(60_000)
  let dir: string
  let nix: string
  let nixStore: string
  const store = new StoreDir()
  before(function () {
    const n = nix28()
    if (!n || !which('nix')) skipBecause(this, 'C++ Nix 2.8 (nix, nix-store) not installed')
    nixStore = n!.nixStore
    nix = which('nix')!
    dir = mkdtempSync(join(tmpdir(), 'tsnix-sign-'))
  })
  after(() => { if (dir) rmSync(dir, { recursive: true, force: true }) })

  const run = (cmd: string, args: string[], input?: Buffer) => execFileSync(cmd, args, { encoding: 'buffer', stdio: 'pipe', ...(input ? { input } : {}) })
  const nixCmd = (...args: string[]) => run(nix, ['--extra-experimental-features', 'nix-command', ...args]).toString('utf8')

  it('signs, verifies and writes narinfo as Nix does, in both directions', () => {
    writeFileSync(join(dir, 'dep'), 'signed by tsnix\n')
    const r = `local?root=${dir}/r`
    const r2 = `local?root=${dir}/r2`
    const p = run(nixStore, ['--store', r, '--add', join(dir, 'dep')]).toString('utf8').trim()
    run(nixStore, ['--store', r2, '--import'], run(nixStore, ['--store', r, '--export', p]))

    // Nix's key, our signature.
    run(nixStore, ['--generate-binary-cache-key', 'cpp-key-1', join(dir, 'cpp.sec'), join(dir, 'cpp.pub')])
    const cppSecret = SecretKey.parse(readFileSync(join(dir, 'cpp.sec'), 'utf8'))
    const cppPublic = PublicKey.parse(readFileSync(join(dir, 'cpp.pub'), 'utf8'))
    assert.equal(cppSecret.toPublicKey().toString(), cppPublic.toString())
    nixCmd('store', 'sign', '--store', r2, '--key-file', join(dir, 'cpp.sec'), p)

    // Our key, Nix's signature.
    const ours = SecretKey.generate('tsnix-key-1')
    writeFileSync(join(dir, 'ours.sec'), ours.toString())
    nixCmd('store', 'sign', '--store', r2, '--key-file', join(dir, 'ours.sec'), p)
    const trusted = `${cppPublic.toString()} ${ours.toPublicKey().toString()}`
    const verify = spawnSync(nix, ['--extra-experimental-features', 'nix-command', 'store', 'verify', '--store', r2, '--no-contents',
      '--sigs-needed', '2', '--trusted-public-keys', trusted, p], { encoding: 'utf8' })
    assert.equal(verify.status, 0, verify.stderr)

    nixCmd('copy', '--store', r2, '--to', `file://${dir}/cache`, p)
    const file = readdirSync(join(dir, 'cache')).find(f => f.endsWith('.narinfo'))!
    const text = readFileSync(join(dir, 'cache', file), 'utf8')
    const info = parseNarInfo(text, store, file)
    assert.equal(printNarInfo(info, store), text)
    assert.equal(store.print(info.path), p)

    const expected = [signPathInfo(store, info, cppSecret), signPathInfo(store, info, ours)].sort()
    assert.deepEqual(info.sigs, expected, `fingerprint ${fingerprintPathInfo(store, info)}`)
    const keys = publicKeysOf([cppPublic, ours.toPublicKey()])
    for (const sig of info.sigs) assert.ok(checkPathInfoSignature(store, info, sig, keys))
  })

  it('Nix 2.34 derives the same public key from our secret key (nix key convert-secret-to-public)', function () {
    const ref = referenceNix()
    if (!ref) skipBecause(this, 'reference Nix 2.34 chroot not set up')
    const sk = SecretKey.generate('tsnix-key-2')
    const out = execFileSync(ref!.script, ['run', `printf %s '${sk.toString()}' | nix key convert-secret-to-public`], { encoding: 'utf8' })
    assert.equal(out, sk.toPublicKey().toString())
  })
})

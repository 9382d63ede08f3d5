import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const main = join(dirname(fileURLToPath(import.meta.url)), 'main.js')
const tsnix = (args: string[], input = '') => spawnSync(process.execPath, [main, ...args], { input, encoding: 'utf8' })

describe('tsnix key', () => {
  it('generates a secret key and converts it to its public key (no trailing newline, as Nix)', () => {
    const gen = tsnix(['key', 'generate-secret', '--key-name', 'cache.example.org-1'])
    assert.equal(gen.status, 0, gen.stderr)
    assert.match(gen.stdout, /^cache\.example\.org-1:[A-Za-z0-9+/]{86}==$/)
    const pub = tsnix(['key', 'convert-secret-to-public'], gen.stdout + '\n')
    assert.equal(pub.status, 0, pub.stderr)
    assert.match(pub.stdout, /^cache\.example\.org-1:[A-Za-z0-9+/]{43}=$/)
  })

  it('converts the example of the Nix manual', () => {
    const r = tsnix(['key', 'convert-secret-to-public'], 'cache.example.org-0:E7lAO+MsPwTFfPXsdPtW8GKui/5ho4KQHVcAGnX+Tti1V4dUxoVoqLyWJ4YESuZJwQ67GVIksDt47og+tPVUZw==\n')
    assert.equal(r.stdout, 'cache.example.org-0:tVeHVMaFaKi8lieGBErmScEOuxlSJLA7eO6IPrT1VGc=')
  })

  it('fails like Nix on a missing --key-name and a bad key', () => {
    const a = tsnix(['key', 'generate-secret'])
    assert.equal(a.status, 1)
    assert.match(a.stderr, /^error: required argument '--key-name' is missing\n/)
    const b = tsnix(['key', 'convert-secret-to-public'], 'foo:abc\n')
    assert.equal(b.status, 1)
    assert.equal(b.stderr, 'error: secret key is not valid\n')
  })
})

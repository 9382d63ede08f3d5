import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { skipBecause } from '../../test/support/env.js'
import { loadBundle } from './bundle.js'

const cliDir = dirname(fileURLToPath(import.meta.url))
const mainJs = join(cliDir, 'main.js')

/** `tsnix ARGS` as a process, with the nar bundle (default) or the ES modules. */
function tsnix(args: string[], bundle: boolean, input?: Buffer, env: NodeJS.ProcessEnv = {}): [number | null, Buffer, string] {
  const r = spawnSync(process.execPath, [mainJs, ...args], {
    env: { ...process.env, ...env, TSNIX_NAR_BUNDLE: bundle ? '' : '0' },
    ...(input ? { input } : {}),
  })
  return [r.status, r.stdout, r.stderr.toString()]
}

describe('tsnix nar bundle (start-up fast path of nar and hash)', function () {
  this.timeout(60_000)
  let dir: string
  before(function () {
    if (!existsSync(join(cliDir, 'nar-bundle.cjs'))) skipBecause(this, 'no nar bundle (npm run build with esbuild installed makes it)')
    const b = loadBundle<Record<string, unknown>>('nar', 'TSNIX_NAR_BUNDLE')
    if (b === undefined) skipBecause(this, 'the nar bundle is stale (dist changed since `node tools/bundle-cli.mjs`)')
    assert.equal(typeof b!['nar'], 'function')
    assert.equal(typeof b!['hash'], 'function')
    dir = mkdtempSync(join(tmpdir(), 'tsnix-nar-bundle-'))
    mkdirSync(join(dir, 't', 'd'), { recursive: true })
    writeFileSync(join(dir, 't', 'd', 'f'), 'hello\n')
    writeFileSync(join(dir, 't', 'x'), '#!/bin/sh\n')
    chmodSync(join(dir, 't', 'x'), 0o755)
    symlinkSync('d/f', join(dir, 't', 'l'))
  })
  after(() => { if (dir) rmSync(dir, { recursive: true, force: true }) })

  // Each command must behave exactly as with the unbundled modules (which the golden specs
  // check against C++ Nix).
  it('nar dump, hash path and a usage error', () => {
    for (const args of [['nar', 'dump', join(dir, 't')], ['hash', 'path', '--type', 'sha256', join(dir, 't')], ['nar', 'bogus']]) {
      const bundled = tsnix(args, true)
      assert.deepEqual(bundled, tsnix(args, false), args.join(' '))
    }
  })

  it('nar restore (the NAR helper worker is found by the module URL)', () => {
    const nar = tsnix(['nar', 'dump', join(dir, 't')], true)[1]
    for (const [bundle, out] of [[true, 'r1'], [false, 'r2']] as const) {
      const r = tsnix(['nar', 'restore', join(dir, out)], bundle, nar, { TSNIX_NAR_HELPER: 'always' })
      assert.equal(r[0], 0, r[2])
      assert.ok(tsnix(['nar', 'dump', join(dir, out)], false)[1].equals(nar))
    }
  })
})

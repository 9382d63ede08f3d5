/**
 * `nix path-info --json --json-format 1|2` of Nix 2.34 (reference chroot), live, for a signed
 * `nix store add` path and a `builtins.toFile` path with a reference: our reading of each
 * version must print the other byte for byte (compact, as C++ `dump()`).
 */
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { pathInfoFromJSON, pathInfoToJSON } from '../../../src/narinfo/index.js'
import { referenceNix, skipBecause } from '../../support/env.js'

describe('golden: path-info JSON vs Nix 2.34', function () {
  this.timeout(60_000)

  it('converts version 1 to 2 and back as nix path-info prints them', function () {
    const ref = referenceNix()
    if (!ref) skipBecause(this, 'reference Nix 2.34 chroot not set up')
    const s = `local?root=/tmp/tsnix-pij-${process.pid}`
    const script = [
      `mkdir -p /tmp/tsnix-pij-${process.pid}-src && echo hi > /tmp/tsnix-pij-${process.pid}-src/h`,
      `P=$(nix store add --store '${s}' /tmp/tsnix-pij-${process.pid}-src/h)`,
      `nix key generate-secret --key-name k1 > /tmp/tsnix-pij-${process.pid}-src/k1`,
      `nix store sign --store '${s}' --key-file /tmp/tsnix-pij-${process.pid}-src/k1 $P 2>/dev/null`,
      `Q=$(nix eval --store '${s}' --raw --expr 'builtins.toFile "a" "see \${builtins.toFile "b" "c"}"')`,
      `for v in 1 2; do nix path-info --json --json-format $v --store '${s}' $P $Q; echo; done`,
      `rm -rf /tmp/tsnix-pij-${process.pid}*`,
    ].join(' && ')
    const [v1Text, v2Text] = execFileSync(ref!.script, ['run', script], { encoding: 'utf8' }).split('\n').filter(l => l.trim() !== '') as [string, string]
    const v1 = JSON.parse(v1Text) as Record<string, unknown>
    const v2 = (JSON.parse(v2Text) as { info: Record<string, unknown> }).info
    assert.equal(Object.keys(v1).length, 2)
    for (const [path, j1] of Object.entries(v1)) {
      const base = path.slice(path.lastIndexOf('/') + 1)
      const j2 = v2[base]
      const a = pathInfoFromJSON(j1)
      const b = pathInfoFromJSON(j2)
      assert.equal(JSON.stringify(pathInfoToJSON(a.info, a.storeDir, { version: 2, includeImpureInfo: true })), JSON.stringify(j2))
      assert.equal(JSON.stringify(pathInfoToJSON(b.info, b.storeDir, { version: 1, includeImpureInfo: true })), JSON.stringify(j1))
    }
    const withRef = Object.values(v1).find(j => (j as { references: string[] }).references.length > 0) as { ca: string }
    assert.match(withRef.ca, /^text:sha256:/)
  })
})

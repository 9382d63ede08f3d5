/**
 * Captures `nix-2.34.8.json`, the fetcher golden, from C++ Nix 2.34.8 in the reference-nix
 * chroot (root needed):
 *
 *   npx tsc -p . && node dist/test/golden/eval/fetchers/capture.js
 *
 * The fixtures are made under /data/tsnix-eval-fetchers in the chroot; every case runs with a
 * private store there (`--store local?root=…`) and a private cache directory.
 */
import { execFileSync, spawnSync } from 'node:child_process'
import { mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { referenceNix } from '../../../support/env.js'
import { repoRoot } from '../../../support/paths.js'
import { FETCH_CASES, instantiateCase, makeFetchFixtures, repoRevs } from './fixtures.js'
import { FETCH_FLAGS, type FetchGoldenCase, firstErrorLine, normalise } from './harness.js'

const ref = referenceNix()
if (!ref) throw new Error('reference-nix is not set up (run ../shared/tools/reference-nix setup as root)')
const inChroot = '/data/tsnix-eval-fetchers'
const work = join(ref.root, inChroot)
rmSync(work, { recursive: true, force: true })
const fx = join(work, 'fx')
mkdirSync(fx, { recursive: true })
makeFetchFixtures(fx)
const revs = repoRevs(fx)
mkdirSync(join(work, 'conf'))
writeFileSync(join(work, 'conf', 'nix.conf'), 'build-users-group =\nexperimental-features =\nsandbox = false\n')

const cases: FetchGoldenCase[] = []
FETCH_CASES.forEach((c, i) => {
  const file = join(work, `case-${i}.nix`)
  writeFileSync(file, instantiateCase(c, `${inChroot}/fx`, revs))
  const flags = FETCH_FLAGS.map(f => (f.includes(' ') ? `'${f}'` : f)).join(' ')
  const cmd = `cd ${inChroot} && env -i PATH=/usr/bin:/bin HOME=${inChroot}/home XDG_CACHE_HOME=${inChroot}/cache NIX_CONF_DIR=${inChroot}/conf NIX_PATH= `
    + `nix-instantiate --store local?root=${inChroot}/store ${flags} ./case-${i}.nix`
  const r = spawnSync(ref.script, ['run', cmd])
  const stdout = r.stdout.toString('latin1')
  const stderr = r.stderr.toString('latin1')
  cases.push(r.status === 0
    ? { expr: c, exit: 0, stdout: normalise(stdout, `${inChroot}/fx`) }
    : { expr: c, exit: r.status ?? -1, error: firstErrorLine(normalise(stderr, `${inChroot}/fx`), '/pwd') })
})
const version = execFileSync(ref.script, ['run', 'nix --version'], { encoding: 'utf8' }).trim()
writeFileSync(join(repoRoot, 'test', 'golden', 'eval', 'fetchers', 'nix-2.34.8.json'), Buffer.from(JSON.stringify({
  nixVersion: version,
  command: `nix-instantiate --store local?root=<dir>/store ${FETCH_FLAGS.join(' ')} <case>.nix`,
  cases,
}, null, 1) + '\n', 'latin1'))
process.stdout.write(`${cases.length} cases (${cases.filter(c => c.exit !== 0).length} rejected) from ${version}\n`)
rmSync(work, { recursive: true, force: true })

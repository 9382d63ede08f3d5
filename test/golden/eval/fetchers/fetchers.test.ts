/**
 * The fetchers (fetchurl, fetchTarball, fetchGit, fetchTree) against C++ Nix 2.34.8: the cases
 * of fixtures.ts, evaluated by `tsnix instantiate --eval --strict --json` with a private local
 * store, must give what `nix-2.34.8.json` (captured by capture.ts) records: exit status, stdout
 * and the first error line, with the fixture directory as `/pwd`.
 */
import assert from 'node:assert/strict'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { main } from '../../../../src/cli/instantiate.js'
import { which, skipBecause } from '../../../support/env.js'
import { repoRoot } from '../../../support/paths.js'
import { instantiateCase, makeFetchFixtures, repoRevs } from './fixtures.js'
import { compareOutcome, FETCH_FLAGS, type FetchGolden, firstErrorLine, normalise, type Outcome } from './harness.js'

const golden = JSON.parse(readFileSync(join(repoRoot, 'test', 'golden', 'eval', 'fetchers', 'nix-2.34.8.json'), 'latin1')) as FetchGolden

describe('golden: fetchers against C++ Nix 2.34.8', function () {
  this.timeout(120_000)
  let dir: string
  let revs: { one: string; two: string }
  before(function () {
    for (const tool of ['git', 'tar', 'xz', 'bzip2', 'zip', 'unzip']) if (!which(tool)) skipBecause(this, `needs ${tool}`)
    dir = mkdtempSync(join(tmpdir(), 'tsnix-fetchers-'))
    mkdirSync(join(dir, 'fx'))
    makeFetchFixtures(join(dir, 'fx'))
    revs = repoRevs(join(dir, 'fx'))
    mkdirSync(join(dir, 'conf'))
    writeFileSync(join(dir, 'conf', 'nix.conf'), 'build-users-group =\nexperimental-features =\nsandbox = false\n')
  })
  after(() => { if (dir && process.env['TSNIX_KEEP'] !== '1') rmSync(dir, { recursive: true, force: true }) })

  it(`${golden.cases.length} fetcher cases agree (exit status, --json output, first error line)`, function () {
    const fx = Buffer.from(join(dir, 'fx'), 'utf8').toString('latin1')
    const env = {
      HOME: join(dir, 'home'), XDG_CACHE_HOME: join(dir, 'cache'), NIX_CONF_DIR: join(dir, 'conf'), NIX_PATH: '',
      NIX_REMOTE: `local?root=${join(dir, 'store')}`,
    }
    const problems: string[] = []
    golden.cases.forEach((c, i) => {
      const file = join(dir, `case-${i}.nix`)
      writeFileSync(file, Buffer.from(instantiateCase(c.expr, fx, revs), 'latin1'))
      let out = ''
      let err = ''
      const rc = main([...FETCH_FLAGS, file], { stdout: s => { out += s }, stderr: s => { err += s } }, { env, cwd: dir, readStdin: () => '' })
      const got: Outcome = rc === 0 ? { exit: 0, stdout: normalise(out, fx) } : { exit: rc, error: firstErrorLine(normalise(err, fx), '/pwd') }
      const d = compareOutcome(c, got)
      if (d !== undefined) problems.push(`case ${i} ${c.expr}: ${d}`)
    })
    if (problems.length > 0) process.stdout.write(problems.map(p => `    ${p}\n`).join(''))
    assert.equal(problems.length, 0, `${problems.length} fetcher cases differ (above)`)
  })
})

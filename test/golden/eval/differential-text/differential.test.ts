/**
 * Differential test: generated expressions (generate.ts) whose exit status, stdout and stderr
 * under C++ Nix 2.34.8 were captured in cases.json (capture.ts); `tsnix instantiate` must print
 * the same, byte for byte. Runs in-process through instantiate's `main`.
 */
import assert from 'node:assert/strict'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { basename, join } from 'node:path'
import { main } from '../../../../src/cli/instantiate.js'
import { repoRoot } from '../../../support/paths.js'
import type { CapturedCase } from './capture.js'

interface CaseFile { nix: string; seed: number; cases: CapturedCase[] }

describe('eval differential (generated expressions vs C++ Nix 2.34.8)', function () {
  this.timeout(120_000)
  // TSNIX_DIFF_CASES: another capture (e.g. a fresh seed while looking for bugs).
  const dir = join(repoRoot, 'test', 'golden', 'eval', 'differential-text')
  const files = process.env['TSNIX_DIFF_CASES'] !== undefined ? [process.env['TSNIX_DIFF_CASES']]
    : [join(dir, 'cases.json'), join(dir, 'sharing.json')]
  let conf: string
  before(() => { conf = mkdtempSync(join(tmpdir(), 'tsnix-diff-conf-')) })
  after(() => rmSync(conf, { recursive: true, force: true }))

  for (const file of files) {
    const data = JSON.parse(readFileSync(file, 'utf8')) as CaseFile
    it(`prints what C++ Nix prints for ${data.cases.length} expressions (${basename(file)})`, function () {
      const failures: string[] = []
      for (const c of data.cases) {
        let out = ''
        let err = ''
        const env: NodeJS.ProcessEnv = { NIX_REMOTE: 'dummy://', HOME: '/nonexistent', NIX_PATH: '', NIX_CONF_DIR: conf, TSNIX_EVAL_THREAD: 'main' }
        const rc = main([...c.flags, '-E', c.expr], { stdout: s => { out += s }, stderr: s => { err += s } },
          { env, cwd: conf, readStdin: () => '' })
        if (rc !== c.exit || out !== c.stdout || err !== c.stderr) {
          failures.push(`nix-instantiate ${c.flags.join(' ')} -E '${c.expr}'\n` +
            (rc !== c.exit ? `  exit: got ${rc}, want ${c.exit}\n` : '') +
            (out !== c.stdout ? `  stdout: got ${JSON.stringify(out)}\n         want ${JSON.stringify(c.stdout)}\n` : '') +
            (err !== c.stderr ? `  stderr: got ${JSON.stringify(err)}\n         want ${JSON.stringify(c.stderr)}\n` : ''))
        }
      }
      assert.equal(failures.length, 0, `${failures.length} of ${data.cases.length} differ:\n${failures.slice(0, 20).join('\n')}`)
    })
  }
})

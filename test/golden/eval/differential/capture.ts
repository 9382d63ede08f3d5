/**
 * Captures the differential golden `nix-2.34.8.json` from C++ Nix 2.34.8 (see README.md). Needs
 * root and the reference-nix chroot (`../shared/tools/reference-nix setup`):
 *
 *   npx tsc -p . && node dist/test/golden/eval/differential/capture.js [seed]
 *
 * Every case runs in read-only evaluation (`NIX_REMOTE=dummy://`) under a private nix.conf, in
 * batches of files per `nix-instantiate` process (harness.ts `runCpp`).
 */
import { execFileSync } from 'node:child_process'
import { rmSync } from 'node:fs'
import { join } from 'node:path'
import { referenceNix } from '../../../support/env.js'
import { repoRoot } from '../../../support/paths.js'
import { generateDiffCases } from './generate.js'
import { BASE_FLAGS, DIFF_SEED, type GoldenCase, runCpp, writeCaseDir, writeGolden } from './harness.js'

const ref = referenceNix()
if (!ref) throw new Error('reference-nix is not set up (run ../shared/tools/reference-nix setup as root)')
const seed = Number(process.argv[2] ?? DIFF_SEED)
const inChroot = '/data/tsnix-eval-differential'
const work = join(ref.root, inChroot)
rmSync(work, { recursive: true, force: true })

const cases = generateDiffCases(seed)
writeCaseDir(work, cases)
const started = Date.now()
const outcomes = runCpp(ref, inChroot, cases)
const version = execFileSync(ref.script, ['run', 'nix --version'], { encoding: 'utf8' }).trim()
const golden: GoldenCase[] = cases.map(c => {
  const o = outcomes.get(c.id)
  if (!o) throw new Error(`no outcome for ${c.id}`)
  return { ...c, ...o }
})
writeGolden(join(repoRoot, 'test', 'golden', 'eval', 'differential', 'nix-2.34.8.json'), {
  nixVersion: version,
  seed,
  command: `NIX_REMOTE=dummy:// nix-instantiate ${BASE_FLAGS.join(' ')} [--extra-experimental-features …] <case>.nix`,
  cases: golden,
})
const failing = golden.filter(g => g.exit !== 0).length
process.stdout.write(`${golden.length} cases (${failing} rejected by C++) from ${version} in ${((Date.now() - started) / 1000).toFixed(1)} s\n`)
rmSync(work, { recursive: true, force: true })

/**
 * Captures what C++ Nix 2.34.8 (shared/tools/reference-nix) prints for generated expressions
 * (generate.ts) into cases.json, the expected values of differential.test.ts. Run by hand:
 *
 *   node dist/test/golden/eval/differential-text/capture.js [SEED] [COUNT] [OUT]
 *   TSNIX_DIFF_SHARING=1 node dist/test/golden/eval/differential-text/capture.js 7 150 \
 *     test/golden/eval/differential-text/sharing.json      (generateSharingCases)
 *   TSNIX_DIFF_EXPRS=test/golden/eval/differential-text/symbol-order.txt \
 *     node dist/test/golden/eval/differential-text/capture.js 0 0 \
 *     test/golden/eval/differential-text/symbol-order.json (one expression per line, --eval --strict
 *     plus TSNIX_DIFF_FLAGS; flake-refs.txt is captured with TSNIX_DIFF_FLAGS='--extra-experimental-features flakes',
 *     flake-refs-disabled.txt with TSNIX_DIFF_FLAGS='--option experimental-features nix-command',
 *     flake-refs-verified.txt with TSNIX_DIFF_FLAGS='--extra-experimental-features flakes --extra-experimental-features verified-fetches')
 *   (store-path-names.txt, json-env.txt, rounding.txt, symbol-order.txt: no extra flags)
 *
 * Each case runs as `NIX_REMOTE=dummy:// nix-instantiate FLAGS -E EXPR` in the chroot; exit
 * status, stdout and stderr are recorded as they come.
 */
import { execFileSync } from 'node:child_process'
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { repoRoot, sharedRoot } from '../../../support/paths.js'
import { generateCases, generateSharingCases } from './generate.js'

export interface CapturedCase { expr: string; flags: string[]; exit: number; stdout: string; stderr: string }

const tool = join(sharedRoot, 'tools', 'reference-nix')
const seed = Number(process.argv[2] ?? 1)
const count = Number(process.argv[3] ?? 400)
const exprs = process.env['TSNIX_DIFF_EXPRS']
const cases = exprs !== undefined
  ? readFileSync(exprs, 'utf8').split('\n').filter(l => l.trim() !== '')
    .map(expr => ({ expr, flags: ['--eval', '--strict', ...(process.env['TSNIX_DIFF_FLAGS'] ?? '').split(' ').filter(f => f !== '')] }))
  : process.env['TSNIX_DIFF_SHARING'] === '1' ? generateSharingCases(seed, count) : generateCases(seed, count)

const root = execFileSync(tool, ['root'], { encoding: 'utf8' }).trim()
const rel = `tsnix-differential-${process.pid}`
const dir = join(root, 'data', rel)
rmSync(dir, { recursive: true, force: true })
mkdirSync(dir, { recursive: true })
const script: string[] = ['export NIX_REMOTE=dummy:// HOME=/nonexistent NIX_PATH=', 'unset NIX_CONFIG']
cases.forEach((c, i) => {
  writeFileSync(join(dir, `${i}.nix`), c.expr)
  const flags = c.flags.join(' ')
  script.push(`nix-instantiate ${flags} -E "$(cat ${i}.nix)" >${i}.out 2>${i}.err; echo $? >${i}.rc`)
})
writeFileSync(join(dir, 'run.sh'), script.join('\n') + '\n')
execFileSync(tool, ['run', `cd /data/${rel} && sh run.sh`], { stdio: 'inherit' })

const out: CapturedCase[] = cases.map((c, i) => ({
  expr: c.expr,
  flags: c.flags,
  exit: Number(readFileSync(join(dir, `${i}.rc`), 'utf8').trim()),
  stdout: readFileSync(join(dir, `${i}.out`)).toString('latin1'),
  stderr: readFileSync(join(dir, `${i}.err`)).toString('latin1'),
}))
rmSync(dir, { recursive: true, force: true })
const file = process.argv[4] ?? join(repoRoot, 'test', 'golden', 'eval', 'differential-text', 'cases.json')
writeFileSync(file, JSON.stringify({ nix: '2.34.8', seed, cases: out }, null, 1) + '\n')
process.stdout.write(`wrote ${out.length} cases to ${file} (${out.filter(c => c.exit !== 0).length} failing)\n`)

/**
 * Captures the XML goldens from C++ Nix 2.34 (the reference chroot, tools/reference-nix):
 *
 *   npx tsc -p . && node dist/test/golden/eval-xml/capture.js
 *
 * writes test/golden/eval-xml/cpp-xml.json: for each seed of SEEDS, the value of
 * `generateValue(seed, file)` written to `file` in the chroot, then `builtins.toXML (import file)`
 * (all in one evaluation; bytes ≥ 0x80 and '<' rewritten to `<hh>` by Nix for the JSON trip) and
 * `nix-instantiate --eval --strict --xml file` (with source locations; raw bytes); and the same
 * two for `repeatedDerivation` (the first with `--xml --no-location`, which prints what toXML
 * returns).
 */
import { execFileSync } from 'node:child_process'
import { mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { repoRoot, sharedRoot } from '../../support/paths.js'
import { generateValue, repeatedDerivation } from './generate.js'

export const SEEDS = Array.from({ length: 80 }, (_, i) => 1000 + i)
/** Where the documents sit inside the chroot (positions in `--xml` output name them). */
export const CHROOT_DIR = '/data/tsnix-xml'

function capture(): void {
  const script = join(sharedRoot, 'tools', 'reference-nix')
  const root = execFileSync(script, ['root'], { encoding: 'utf8' }).trim()
  const work = join(root, CHROOT_DIR)
  rmSync(work, { recursive: true, force: true })
  mkdirSync(work, { recursive: true })
  writeFileSync(join(work, 'repeated.nix'), repeatedDerivation(`${CHROOT_DIR}/repeated.nix`).source + '\n')
  for (const seed of SEEDS) writeFileSync(join(work, `v${seed}.nix`), Buffer.from(generateValue(seed, `${CHROOT_DIR}/v${seed}.nix`).source + '\n', 'latin1'))
  const from = ['<']
  const to = ['<3c>']
  for (let b = 0x80; b < 0x100; b++) { from.push(JSON.stringify(String.fromCharCode(b))); to.push(`"<${b.toString(16)}>"`) }
  const list = `let enc = builtins.replaceStrings [ "<" ${from.slice(1).join(' ')} ] [ "<3c>" ${to.slice(1).join(' ')} ]; in [\n` +
    SEEDS.map((s) => `(enc (builtins.toXML (import ./v${s}.nix)))`).join('\n') + '\n]\n'
  writeFileSync(join(work, 'toxml.nix'), Buffer.from(list, 'latin1'))
  const run = (cmd: string): string => execFileSync(script, ['run', cmd], { encoding: 'latin1', maxBuffer: 1 << 26 })
  const toXml = (JSON.parse(run(`nix-instantiate --eval --strict --json ${CHROOT_DIR}/toxml.nix`)) as string[])
    .map((s) => s.replace(/<([0-9a-f]{2})>/g, (_, h: string) => String.fromCharCode(parseInt(h, 16))))
  const cases = SEEDS.map((seed, i) => ({ seed, toXML: toXml[i]!, xmlWithLocations: run(`nix-instantiate --eval --strict --xml ${CHROOT_DIR}/v${seed}.nix`) }))
  const repeated = { toXML: run(`nix-instantiate --eval --strict ${CHROOT_DIR}/repeated.nix --xml --no-location`), xmlWithLocations: run(`nix-instantiate --eval --strict --xml ${CHROOT_DIR}/repeated.nix`) }
  const version = run('nix --version').trim()
  writeFileSync(join(repoRoot, 'test', 'golden', 'eval-xml', 'cpp-xml.json'),
    JSON.stringify({ capturedWith: version, command: 'node dist/test/golden/eval-xml/capture.js', cases, repeated }, null, 1) + '\n')
  process.stdout.write(`${version}: ${cases.length} values\n`)
}

if (process.argv[1]?.endsWith('capture.js')) capture()

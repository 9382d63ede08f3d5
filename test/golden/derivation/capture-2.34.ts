/**
 * Captures the C++ Nix 2.34 goldens under test/golden/derivation/nix-2.34.8/ (see README.md).
 * Needs root and the reference-nix chroot (`../shared/tools/reference-nix setup`):
 *
 *   npx tsc -p . && node dist/test/golden/derivation/capture-2.34.js
 *
 * Everything runs against a private store inside the chroot (/data/tsnix-derivation-capture).
 */
import { execFileSync } from 'node:child_process'
import { createRequire } from 'node:module'
import { copyFileSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { referenceNix } from '../../support/env.js'
import { fixturesRoot, repoRoot } from '../../support/paths.js'
import { CAPTURE_SEED, CAPTURE_COUNT, CRAFTED_DRVS, CRAFTED_JSON, FROM_JSON_FIXTURES, LENIENT_FIXTURES } from './cases.js'
import { generateCases } from './generate.js'

const ref = referenceNix()
if (!ref) throw new Error('reference-nix is not set up (run ../shared/tools/reference-nix setup as root)')
const work = join(ref.root, 'data', 'tsnix-derivation-capture')
const inChroot = '/data/tsnix-derivation-capture'
const out = join(repoRoot, 'test', 'golden', 'derivation', 'nix-2.34.8')
const XP = "--extra-experimental-features 'ca-derivations impure-derivations dynamic-derivations git-hashing'"
const STORE = `--store ${inChroot}/store`

function sh(cmd: string, input?: string): string {
  return execFileSync(ref!.script, ['run', cmd], { encoding: 'utf8', input: input ?? '', stdio: ['pipe', 'pipe', 'pipe'] })
}
function trySh(cmd: string, input?: string): { ok: true; out: string } | { ok: false; err: string } {
  try { return { ok: true, out: sh(cmd, input) } } catch (e) {
    const err = String((e as { stderr?: string }).stderr ?? e).split('\n').filter(l => l.trim() !== '' && !l.startsWith('warning:')).join('\n')
    return { ok: false, err }
  }
}

rmSync(work, { recursive: true, force: true })
rmSync(out, { recursive: true, force: true })
mkdirSync(work, { recursive: true })
for (const d of ['store', 'generated', 'lenient', 'from-json']) mkdirSync(join(out, d), { recursive: true })
const version = sh('nix --version').trim()

// 1. Generated derivations, instantiated by 2.34, shown by `nix derivation show`.
const gen = generateCases({ seed: CAPTURE_SEED, count: CAPTURE_COUNT, experimental: true })
writeFileSync(join(work, 'expr.nix'), gen.nix)
const drvs = sh(`nix-instantiate ${STORE} ${XP} ${inChroot}/expr.nix 2>/dev/null`).trim().split('\n').map(l => l.replace(/!.*$/, ''))
writeFileSync(join(out, 'generated', 'drvs.txt'), drvs.join('\n') + '\n')
writeFileSync(join(out, 'generated', 'show-r.json'), sh(`nix derivation show ${STORE} ${XP} -r ${drvs.join(' ')} 2>/dev/null`))
writeFileSync(join(out, 'generated', 'show-pretty.json'), sh(`nix derivation show ${STORE} ${XP} --pretty ${drvs.slice(0, 4).join(' ')} 2>/dev/null`))

// 2. Non-canonical and crafted `.drv` files registered as they are, then shown (2.34's lenient parse).
// Registered straight into the SQLite database: `nix-store --register-validity` would check
// the derivations (and these have no inputs in the store).
interface Db { prepare(sql: string): { run(...args: unknown[]): unknown }; close(): void }
const Database = createRequire(import.meta.url)('better-sqlite3') as new (path: string) => Db
const db = new Database(join(work, 'store', 'nix', 'var', 'nix', 'db', 'db.sqlite'))
function register(base: string, text: string): string {
  const p = `/nix/store/${base}`
  writeFileSync(join(work, 'store', 'nix', 'store', base), text)
  db.prepare('insert into ValidPaths (path, hash, registrationTime, narSize) values (?, ?, ?, ?)')
    .run(p, 'sha256:' + '0'.repeat(64), 0, text.length)
  return p
}
const lenientDir = join(fixturesRoot, 'nixos-nix-2.34.8', 'src', 'libstore-tests', 'data', 'derivation')
for (const [stem, base] of LENIENT_FIXTURES) {
  const p = register(base, readFileSync(join(lenientDir, `${stem}.drv`), 'utf8'))
  writeFileSync(join(out, 'lenient', `${stem}.json`), sh(`nix derivation show ${STORE} ${XP} ${p} 2>/dev/null`))
}
for (const [stem, base, text] of CRAFTED_DRVS) {
  writeFileSync(join(out, 'lenient', `${stem}.drv`), text)
  const p = register(base, text)
  const r = trySh(`nix derivation show ${STORE} ${XP} ${p}`)
  writeFileSync(join(out, 'lenient', `${stem}.${r.ok ? 'json' : 'error'}`), r.ok ? r.out : r.err + '\n')
}

// 3. JSON → ATerm: `nix derivation add` (fills in output paths, checks invariants, writes the .drv).
const fakeInputs = ['j56sf12rxpcv5swr14vsjn5cwm6bj03h-foo.drv', 'qnml92yh97a6fbrs2m5qg5cqlc8vni58-bar.drv']
for (const base of fakeInputs) register(base, 'Derive([("out","","","")],[],[],"x","/bin/sh",[],[])')
const results: string[] = []
const addJson = (stem: string, json: string): void => {
  writeFileSync(join(work, 'in.json'), json)
  const r = trySh(`nix derivation add ${STORE} ${XP} < ${inChroot}/in.json`)
  if (r.ok) {
    const p = r.out.trim()
    copyFileSync(join(work, 'store', p), join(out, 'from-json', `${stem}.drv`))
    results.push(`${stem} ${p}`)
  } else results.push(`${stem} error ${r.err.replace(/\n/g, ' ')}`)
}
for (const [stem, rel] of FROM_JSON_FIXTURES) addJson(stem, readFileSync(join(fixturesRoot, rel), 'utf8'))
for (const [stem, json] of CRAFTED_JSON) {
  writeFileSync(join(out, 'from-json', `${stem}.json`), json)
  addJson(stem, json)
}
writeFileSync(join(out, 'from-json', 'results.txt'), results.join('\n') + '\n')
db.close()

// 4. Every .drv in the private store (what the generated ones depend on, and the added ones).
for (const f of readdirSync(join(work, 'store', 'nix', 'store'))) {
  if (f.endsWith('.drv')) copyFileSync(join(work, 'store', 'nix', 'store', f), join(out, 'store', f))
}
writeFileSync(join(out, 'VERSION'), `${version}\nseed ${CAPTURE_SEED}, ${CAPTURE_COUNT} generated derivations, features ${gen.features.join(' ')}\n`)
console.log(`captured into ${out} with ${version}`)

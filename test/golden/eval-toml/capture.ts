/**
 * Captures the fromTOML goldens from C++ Nix (the reference chroot, tools/reference-nix):
 *
 *   npx tsc -p . && node dist/test/golden/eval-toml/capture.js
 *
 * writes test/golden/eval-toml/cpp-fromtoml.json. Needs root and the chroot. Each document of
 * generate.ts is read with `builtins.readFile` (so any bytes get through) and evaluated with
 * `--extra-experimental-features parse-toml-timestamps`, then the ones that succeed again
 * without the feature. Results travel as a tagged tree built by Nix itself (strings with bytes
 * ≥ 0x80 and '<' rewritten to `<hh>`, ints via toString, floats via toJSON or inf/nan);
 * failures as the error message C++ Nix prints (its 7-space continuation indent removed).
 */
import { execFileSync } from 'node:child_process'
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fixturesRoot, repoRoot, sharedRoot } from '../../support/paths.js'
import { generateDocs, handWritten } from './generate.js'

export const SEED = 20260802
export const COUNT = 220

const script = join(sharedRoot, 'tools', 'reference-nix')
const root = execFileSync(script, ['root'], { encoding: 'utf8' }).trim()
const work = join(root, 'data', 'tsnix-toml')

function nixString(s: string): string {
  return '"' + s.replace(/[\\"$]/g, (c) => '\\' + c).replace(/\n/g, '\\n') + '"'
}

const prelude = (() => {
  const from = ['<']
  const to = ['<3c>']
  for (let b = 0x80; b < 0x100; b++) { from.push(String.fromCharCode(b)); to.push(`<${b.toString(16)}>`) }
  return `let
  enc = builtins.replaceStrings [ ${from.map(nixString).join(' ')} ] [ ${to.map(nixString).join(' ')} ];
  walk = v:
    if builtins.isAttrs v then { t = map (k: [ (enc k) (walk v.\${k}) ]) (builtins.attrNames v); }
    else if builtins.isList v then { l = map walk v; }
    else if builtins.isString v then { s = enc v; }
    else if builtins.isInt v then { i = toString v; }
    else if builtins.isFloat v then { f = if v != v then "nan" else if v > 1.7976931348623157e308 then "inf" else if v < -1.7976931348623157e308 then "-inf" else builtins.toJSON v; }
    else if builtins.isBool v then { b = v; }
    else throw "unexpected value";
  doc = f: walk (builtins.fromTOML (builtins.readFile f));
in
`
})()

function decode(v: unknown): unknown {
  if (typeof v === 'string') return v.replace(/<([0-9a-f]{2})>/g, (_, h: string) => String.fromCharCode(parseInt(h, 16)))
  if (Array.isArray(v)) return v.map(decode)
  if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, decode(x)]))
  return v
}

function evaluate(files: number[], timestamps: boolean): { ok: true; out: unknown[] } | { ok: false; index: number; message: string } {
  const text = prelude + '[\n' + files.map((i) => `(doc ./d${i}.toml)\n`).join('') + ']\n'
  writeFileSync(join(work, 'eval.nix'), Buffer.from(text, 'latin1'))
  const xp = timestamps ? '--extra-experimental-features parse-toml-timestamps ' : ''
  try {
    const out = execFileSync(script, ['run', `nix-instantiate ${xp}--eval --strict --json tsnix-toml/eval.nix`], { encoding: 'latin1', maxBuffer: 1 << 28, stdio: ['ignore', 'pipe', 'pipe'] })
    return { ok: true, out: decode(JSON.parse(out)) as unknown[] }
  } catch (e) {
    const err = String((e as { stderr?: string }).stderr ?? e)
    const idx = /while evaluating list element at index (\d+)/.exec(err)
    const msg = /\n {7}error: ([^]*)$/.exec(err)
    if (!idx || !msg) throw new Error(`unexpected failure:\n${err}`)
    return { ok: false, index: files[Number(idx[1])]!, message: msg[1]!.replace(/\n {7}/g, '\n').replace(/\n$/, '') }
  }
}

/** Evaluate all, dropping (and recording) one failing document per round. */
function run(files: number[], timestamps: boolean): { values: Map<number, unknown>; errors: Map<number, string> } {
  const errors = new Map<number, string>()
  let pending = files.slice()
  for (;;) {
    const r = evaluate(pending, timestamps)
    if (r.ok) return { values: new Map(pending.map((f, i) => [f, r.out[i]])), errors }
    errors.set(r.index, r.message)
    pending = pending.filter((f) => f !== r.index)
  }
}

function capture(): void {
  rmSync(work, { recursive: true, force: true })
  mkdirSync(work, { recursive: true })
  const version = execFileSync(script, ['run', 'nix --version'], { encoding: 'utf8' }).trim()
  const docs = [...new Set([...handWritten, ...generateDocs(SEED, COUNT)])]
  docs.forEach((d, i) => writeFileSync(join(work, `d${i}.toml`), Buffer.from(d, 'latin1')))
  const all = docs.map((_, i) => i)
  const on = run(all, true)
  const off = run([...on.values.keys()], false)
  const cases = docs.map((doc, i) => {
    const err = on.errors.get(i)
    if (err !== undefined) return { doc, error: err }
    const offErr = off.errors.get(i)
    return { doc, value: on.values.get(i), ...(offErr !== undefined ? { errorWithoutTimestamps: offErr } : {}) }
  })
  // The lang suite's TOML sources, as C++ Nix reads the .nix files (indented strings).
  const langDir = join(fixturesRoot, 'nixos-nix-2.34.8', 'tests', 'functional', 'lang')
  const langDocs: Record<string, unknown> = {}
  for (const f of readdirSync(langDir).filter((n) => /fromTOML.*\.nix$/.test(n)).sort()) {
    const text = readFileSync(join(langDir, f), 'latin1').replaceAll('builtins.fromTOML', '(s: s)')
    writeFileSync(join(work, 'lang.nix'), Buffer.from(text, 'latin1'))
    langDocs[f.replace(/\.nix$/, '')] = JSON.parse(execFileSync(script, ['run', 'nix-instantiate --eval --strict --json tsnix-toml/lang.nix'], { encoding: 'latin1' }))
  }
  const golden = { capturedWith: version, command: 'node dist/test/golden/eval-toml/capture.js', seed: SEED, generated: COUNT, cases, langDocs }
  writeFileSync(join(repoRoot, 'test', 'golden', 'eval-toml', 'cpp-fromtoml.json'), JSON.stringify(golden, null, 1) + '\n')
  process.stdout.write(`${version}: ${docs.length} documents, ${on.errors.size} rejected, ${off.errors.size} rejected only without parse-toml-timestamps\n`)
}

capture()

/**
 * Captures how C++ Nix 2.34 renders floats (the reference chroot, tools/reference-nix):
 *
 *   npx tsc -p . && node dist/test/golden/eval-printf/capture.js
 *
 * writes test/golden/eval-printf/cpp-floats.json: for each double of `floats()` (its bits in hex),
 * the value as `nix-instantiate --eval --strict` prints it, `builtins.toString` of it and
 * `builtins.toJSON` of it. Doubles reach Nix through `builtins.fromJSON` (exact: strtod) and
 * infinities/NaNs through `builtins.fromTOML`.
 */
import { execFileSync } from 'node:child_process'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { rng } from '../eval-regex/generate.js'
import { repoRoot, sharedRoot } from '../../support/paths.js'

export const SEED = 20260803

/** Bits of a double as 16 hex digits, and back. */
export function toBits(x: number): string {
  const b = new DataView(new ArrayBuffer(8)); b.setFloat64(0, x); return b.getBigUint64(0).toString(16).padStart(16, '0')
}
export function fromBits(h: string): number {
  const b = new DataView(new ArrayBuffer(8)); b.setBigUint64(0, BigInt('0x' + h)); return b.getFloat64(0)
}

/** The doubles to render: hand-picked edge cases and seeded random ones. */
export function floats(): number[] {
  const r = rng(SEED)
  const out = [0, -0, 1, -1, 0.1, 0.5, 1.5, 2.5, 0.0078125, 0.0000125, 999999.5, 9999995, 1e6, 1e-4, 1e-5, 1e14, 1e15, 1e16, 1e21, 1e22, 1e300,
    5e-324, 2.2250738585072014e-308, 1.7976931348623157e308, 2 ** 53, 2 ** 53 + 2, 123456789.123, 9224617.445991228, 6.626e-34, 3.1415, 1 / 3, 2 / 3,
    0.30000000000000004, 1234567, 12345678, 0.000123456789, 100, 1e-7, 4.35, 0.125, 1e23, 8.5, 0.0000005, 0.0000015, 1e-6, 5e-7]
  for (let i = 0; i < 150; i++) {
    // random bit patterns (finite ones)
    const b = new DataView(new ArrayBuffer(8))
    b.setUint32(0, Math.floor(r() * 2 ** 32)); b.setUint32(4, Math.floor(r() * 2 ** 32))
    const x = b.getFloat64(0)
    if (Number.isFinite(x)) out.push(x)
  }
  for (let i = 0; i < 150; i++) {
    // random decimals of varying magnitude and length, and exact binary fractions (ties)
    const digits = 1 + Math.floor(r() * 9)
    const m = Math.floor(r() * 10 ** digits) * (r() < 0.3 ? -1 : 1)
    out.push(m * 10 ** (Math.floor(r() * 40) - 20))
    out.push(Math.floor(r() * 2 ** 20) / 2 ** Math.floor(r() * 30))
  }
  return [...new Map(out.map((x) => [toBits(x), x])).values()]
}

const specials: Array<[string, string]> = [['inf', 'a = inf'], ['-inf', 'a = -inf'], ['nan', 'a = nan'], ['-nan', 'a = -nan']]

function capture(): void {
  const script = join(sharedRoot, 'tools', 'reference-nix')
  const root = execFileSync(script, ['root'], { encoding: 'utf8' }).trim()
  const work = join(root, 'data', 'tsnix-printf')
  mkdirSync(work, { recursive: true })
  const xs = floats()
  const list = '[\n' + xs.map((x) => `(builtins.fromJSON "${Object.is(x, -0) ? "-0.0" : x.toExponential()}")`).join('\n') + '\n' +
    specials.map(([, t]) => `(builtins.fromTOML "${t}").a`).join('\n') + '\n]'
  writeFileSync(join(work, 'floats.nix'), list)
  writeFileSync(join(work, 'strings.nix'), `map (x: [ (toString x) (builtins.toJSON x) ]) (import ./floats.nix)`)
  const run = (cmd: string): string => execFileSync(script, ['run', cmd], { encoding: 'utf8', maxBuffer: 1 << 26 })
  const printed = run('nix-instantiate --eval --strict tsnix-printf/floats.nix').trim().replace(/^\[ | \]$/g, '').split(' ')
  const strings = JSON.parse(run('nix-instantiate --eval --strict --json tsnix-printf/strings.nix')) as Array<[string, string]>
  const version = run('nix --version').trim()
  const bits = [...xs.map(toBits), ...specials.map(([name]) => name)]
  if (printed.length !== bits.length || strings.length !== bits.length) throw new Error('length mismatch')
  const cases = bits.map((b, i) => ({ bits: b, printed: printed[i]!, toString: strings[i]![0], toJSON: strings[i]![1] }))
  writeFileSync(join(repoRoot, 'test', 'golden', 'eval-printf', 'cpp-floats.json'),
    JSON.stringify({ capturedWith: version, command: 'node dist/test/golden/eval-printf/capture.js', seed: SEED, cases }, null, 1) + '\n')
  process.stdout.write(`${version}: ${cases.length} floats\n`)
}

if (process.argv[1]?.endsWith('capture.js')) capture()

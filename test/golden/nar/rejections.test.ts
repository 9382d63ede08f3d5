/**
 * Which NARs are valid, decided by C++ Nix: each crafted NAR (and each upstream fixture NAR)
 * goes through `nix-store --restore`, and we must accept exactly those it accepts. 2.34 is the
 * reference; 2.8 was laxer (no depth limit, NUL in symlink targets, long names and targets
 * accepted by the parser), so against 2.8 only the cases it rejects too are compared.
 */
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { concatBytes, NarEncoder, scanNar, tokens } from '../../../src/nar/index.js'
import { fixture, isRoot, nix28, referenceNix, skipBecause } from '../../support/env.js'

const te = new TextEncoder()
const file = (name: string | Uint8Array): Uint8Array => tokens('nix-archive-1', '(', 'type', 'directory',
  'entry', '(', 'name', name, 'node', '(', 'type', 'regular', 'contents', 'x', ')', ')', ')')
const link = (target: string | Uint8Array): Uint8Array => tokens('nix-archive-1', '(', 'type', 'symlink', 'target', target, ')')
const deep = (n: number): Uint8Array => {
  const e = new NarEncoder()
  for (let i = 0; i < n; i++) { e.directory(); e.entry('d') }
  e.directory(); e.directoryEnd()
  for (let i = 0; i < n; i++) e.directoryEnd()
  e.end()
  return concatBytes(e.take())
}
const withByte = (b: Uint8Array, at: number, v: number): Uint8Array => { const c = b.slice(); c[at] = v; return c }
const regular = tokens('nix-archive-1', '(', 'type', 'regular', 'contents', 'abc', ')')

/** name → [bytes, does 2.8 agree with 2.34 on it] */
const CASES: Record<string, [Uint8Array, boolean]> = {
  'ok-regular': [regular, true],
  'ok-executable': [tokens('nix-archive-1', '(', 'type', 'regular', 'executable', '', 'contents', '', ')'), true],
  'ok-name-255': [file('n'.repeat(255)), true],
  'ok-target-4095': [link('t'.repeat(4095)), true],
  'ok-depth-63': [deep(62), true],
  'ok-casehack-name': [file('foo~nix~case~hack~1'), true],
  'ok-trailing-bytes': [concatBytes([regular, te.encode('garbage!')]), true],
  'bad-name-256': [file('n'.repeat(256)), true],
  'bad-target-4096': [link('t'.repeat(4096)), true],
  'bad-target-empty': [link(''), true],
  'bad-target-nul': [link(new Uint8Array([0x61, 0, 0x62])), false],
  'bad-depth-64': [deep(63), false],
  'bad-exec-marker': [tokens('nix-archive-1', '(', 'type', 'regular', 'executable', 'x', 'contents', '', ')'), true],
  'bad-tag-33': [tokens('nix-archive-1', '(', 'type', 'regular', 'x'.repeat(33)), true],
  'bad-padding-contents': [withByte(regular, regular.length - 17, 1), true],
  'bad-padding-magic': [withByte(regular, 21, 1), true],
  'bad-magic': [tokens('nix-archive-0', '(', 'type', 'regular', 'contents', '', ')'), true],
  'bad-duplicate': [tokens('nix-archive-1', '(', 'type', 'directory',
    'entry', '(', 'name', 'a', 'node', '(', 'type', 'symlink', 'target', 't', ')', ')',
    'entry', '(', 'name', 'a', 'node', '(', 'type', 'symlink', 'target', 't', ')', ')', ')'), true],
  'bad-truncated': [regular.subarray(0, regular.length - 3), true],
}

/** Upstream fixture NARs: all invalid except regular-one-byte-zero-padding. */
function upstreamNars(): Record<string, [Uint8Array, boolean]> {
  const out: Record<string, [Uint8Array, boolean]> = {}
  for (const dir of [fixture('nixos-nix-2.34.8', 'src', 'libutil-tests', 'data', 'nars'), fixture('nixos-nix', 'src', 'libutil-tests', 'data', 'nars')]) {
    if (!dir) continue
    for (const f of readdirSync(dir)) out[`upstream-${f.replace(/\.nar$/, '')}`] = [new Uint8Array(readFileSync(join(dir, f))), false]
  }
  return out
}

async function oursAccepts(nar: Uint8Array): Promise<boolean> {
  async function* src(): AsyncGenerator<Uint8Array> { yield nar }
  try { await scanNar(src()); return true } catch { return false }
}

/** Run `nix-store --restore` on every NAR in `dir` with one shell; name → accepted. */
function restoreAll(run: (script: string) => string, dir: string, names: string[]): Map<string, boolean> {
  const script = `cd ${dir} && for n in ${names.join(' ')}; do rm -rf out; if nix-store --restore out < $n.nar 2>/dev/null; then echo "$n 0"; else echo "$n 1"; fi; done; rm -rf out`
  return new Map(run(script).trim().split('\n').map(l => { const [n, rc] = l.split(' '); return [n!, rc === '0'] }))
}

describe('golden: which NARs C++ Nix accepts', function () {
  this.timeout(120_000)
  const all = { ...CASES, ...upstreamNars() }
  const names = Object.keys(all)

  it('C++ 2.34 accepts exactly the NARs we accept', async function () {
    const ref = referenceNix()
    if (!ref) skipBecause(this, 'reference C++ Nix 2.34 chroot is not set up (../shared/tools/reference-nix setup)')
    if (!isRoot) skipBecause(this, 'running the reference chroot needs root')
    const host = mkdtempSync(join(ref.root, 'data', 'tsnix-nar-rej-'))
    try {
      for (const n of names) writeFileSync(join(host, `${n}.nar`), all[n]![0])
      const inside = '/data/' + host.slice(host.lastIndexOf('/') + 1)
      const theirs = restoreAll(s => execFileSync(ref.script, ['run', s]).toString(), inside, names)
      for (const n of names) assert.equal(await oursAccepts(all[n]![0]), theirs.get(n), n)
      assert.ok(names.filter(n => theirs.get(n)).length >= 7)
    } finally {
      rmSync(host, { recursive: true, force: true })
    }
  })

  it('C++ 2.8 agrees where its parser was as strict', async function () {
    const n28 = nix28()
    if (!n28) skipBecause(this, 'C++ Nix 2.8 is not installed')
    const dir = mkdtempSync(join(tmpdir(), 'tsnix-nar-rej-'))
    try {
      mkdirSync(dir, { recursive: true })
      const some = names.filter(n => !n.startsWith('upstream-') && all[n]![1])
      for (const n of some) writeFileSync(join(dir, `${n}.nar`), all[n]![0])
      const theirs = restoreAll(s => execFileSync('sh', ['-c', s]).toString(), dir, some)
      for (const n of some) assert.equal(await oursAccepts(all[n]![0]), theirs.get(n), n)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})

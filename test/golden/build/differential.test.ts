/**
 * The builder's differential suite (issue 5, acceptance 1): the derivations of drvs.nix built
 * by stock clients — Nix 2.8 (host) and Nix 2.34 (reference tree) — against C++ nix-daemon
 * and against `tsnix daemon`, each on a fresh private chroot store with the same nix.conf
 * (sandbox = true, busybox as /bin/sh and builder). Everything the C++ daemon produced is the
 * expectation: output paths, NAR hashes and sizes, references, content addresses, derivers,
 * exit codes, and the error messages (exactly for 2.34, whose wording tsnix uses; the key
 * lines for 2.8, whose daemon words some failures differently).
 *
 * Modes: both C++ daemons run with their sandbox (2.8 on the host; 2.34 entered with
 * pivot_root), tsnix with its runc sandbox (warm slots). Heavier repetitions: none; the whole
 * suite takes about a minute per Nix version on the test VM.
 */
import assert from 'node:assert/strict'
import { copyFileSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { nativeAddon } from '../../../src/os/index.js'
import { findRunc } from '../../../src/sandbox/index.js'
import { isRoot, nix28, referenceNix, skipBecause } from '../../support/env.js'
import { repoRoot } from '../../support/paths.js'
import { findStaticBusybox } from '../../support/sandbox.js'
import { client, type ClientResult, type Daemon, makeWorkspace, normalise, startDaemon, type Version, type Workspace } from './harness.js'

const SUCCESS = [
  'simple', 'tree', 'multi', 'chain3', 'diamondTop', 'selfRef', 'refByName', 'refBySymlink', 'fromSource', 'closureRef',
  'fodShellFlat', 'fodShellRecursive', 'fetchFileFlat', 'fetchFileRecursive', 'fetchHttp', 'unpackChannel', 'caFloating', 'caSelfRef', 'caFlat', 'caDependent',
  'structured', 'structuredGraph', 'structuredGraphValid', 'passAsFile', 'exportGraph', 'allowedOk', 'allowedRequisitesOk', 'disallowedOk', 'env',
]

interface FailureCase {
  readonly attr: string
  readonly title?: string
  readonly args?: readonly string[]
  /** Lines that must read the same under both daemons with a 2.8 client (whose daemon words things its own way). */
  readonly key28: readonly RegExp[]
  /** With 2.34, the whole normalised error text must match, except lines matching these. */
  readonly loose34?: readonly RegExp[]
  /** C++ 2.34 also logs an empty error line when it cancels a running build; not copied. */
  readonly ignoreEmpty34?: boolean
}

const FAILURES: readonly FailureCase[] = [
  { attr: 'failing', key28: [/failed with exit code \d+/] },
  { attr: 'disallowed', key28: [/is not allowed to refer to the following paths:/, /^\s+\S+-simple$/m] },
  { attr: 'allowedBad', key28: [/is not allowed to refer to the following paths:/, /^\s+\S+-chain1$/m] },
  { attr: 'allowedRequisitesBad', key28: [/is not allowed to refer to the following paths:/, /^\s+\S+-chain1$/m] },
  { attr: 'structuredTooBig', key28: [/is too large at \d+ bytes; limit is \d+ bytes/] },
  { attr: 'timeout', args: ['--timeout', '2'], key28: [/timed out after 2 seconds/] },
  { attr: 'silent', args: ['--max-silent-time', '2'], key28: [/timed out after 2 seconds/] },
  { attr: 'hashMismatch', key28: [/hash mismatch in fixed-output derivation '.*':/, /specified: \S+/, /got: +\S+/] },
  { attr: 'noOutput', key28: [/failed to produce output path for output 'out'/], loose34: [/failed to produce output path/] },
  { attr: 'depFailed', key28: [/failed with exit code 3/] },
  { attr: 'logLimit', args: ['--option', 'max-build-log-size', '1000'], key28: [/killed after writing more than 1000 bytes of log output/] },
  { attr: 'fetchMissing', key28: [] },
  { attr: 'failing', title: 'failing while another build runs (no keep-going: it is cancelled)', args: ['-A', 'timeout', '--max-jobs', '2'], key28: [/failed with exit code 3/], ignoreEmpty34: true },
  { attr: 'wrongSystem', key28: [/riscv64-linux/] },
  { attr: 'jobsZero', args: ['--max-jobs', '0'], key28: [] },
  { attr: 'missingFeature', key28: [/gpu/] },
  { attr: 'builderMissing', key28: [/failed with exit code 1/] },
]

function args(ws: Workspace, httpUrl: string): string[] {
  return [`${ws.view}/drvs.nix`, '--argstr', 'bb', ws.busybox, '--argstr', 'srcDir', ws.srcDir, '--argstr', 'httpUrl', httpUrl]
}

/** path-info JSON of the closure, without what legitimately differs (registration times). */
async function closureInfo(ws: Workspace, d: Daemon, paths: readonly string[]): Promise<unknown> {
  const r = await client(ws, d, 'nix', ['path-info', '--json', '--recursive', ...paths])
  assert.equal(r.code, 0, r.stderr)
  const j = JSON.parse(r.stdout) as unknown
  const entries: Array<[string, Record<string, unknown>]> = Array.isArray(j)
    ? (j as Array<Record<string, unknown>>).map(e => [e['path'] as string, e])
    : Object.entries(j as Record<string, Record<string, unknown>>)
  return Object.fromEntries(entries.sort((a, b) => (a[0] < b[0] ? -1 : 1)).map(([p, e]) => {
    const { registrationTime: _t, path: _p, ...rest } = e
    return [p, rest]
  }))
}

/** Errors and warnings a client received, as the daemon worded them (internal-json log, ANSI kept). */
function daemonMessages(r: ClientResult, ws: Workspace): string[] {
  const out: string[] = []
  for (const line of r.stderr.split('\n')) {
    if (!line.startsWith('@nix ')) continue
    const j = JSON.parse(line.slice(5)) as { action?: string; level?: number; msg?: string }
    if (j.action === 'msg' && (j.level ?? 9) <= 1 && j.msg !== undefined) out.push(j.msg.replaceAll(ws.host, '<ws>').replaceAll(ws.view, '<ws>').replace(/<ws>\/(cpp|tsnix)(28|234)\b/g, '<root>'))
  }
  return out
}

/** The error part of a client's stderr: from the first `error:` line on. */
function errorText(r: ClientResult, ws: Workspace): string {
  const s = normalise(r.stderr, ws)
  const i = s.search(/^error:/m)
  return i < 0 ? '' : s.slice(i).trimEnd()
}

for (const version of ['2.8', '2.34'] as Version[]) {
  describe(`golden: builds by Nix ${version} clients, tsnix daemon vs C++ nix-daemon`, function () {
    this.timeout(600_000)
    let ws: Workspace | undefined
    let cpp: Daemon | undefined
    let ts: Daemon | undefined
    let http: Server | undefined
    let httpUrl = ''

    before(async function () {
      if (!isRoot) skipBecause(this, 'needs root (daemons, sandbox)')
      if (!nativeAddon()) skipBecause(this, 'native addon not built (node native/build.mjs)')
      if (!findRunc()) skipBecause(this, 'runc not installed')
      if (!nix28()) skipBecause(this, 'Nix 2.8 not installed')
      const ref = referenceNix()
      if (version === '2.34' && !ref) skipBecause(this, 'reference Nix 2.34 not set up (shared/tools/reference-nix)')
      const bb = findStaticBusybox()
      if (!bb) skipBecause(this, 'no static busybox')
      ws = makeWorkspace(version === '2.34' ? ref!.root : undefined, bb!)
      copyFileSync(join(repoRoot, 'test', 'golden', 'build', 'drvs.nix'), join(ws.host, 'drvs.nix'))
      http = createServer((req, res) => { if (req.url === '/payload.txt') res.end('payload\n'); else { res.statusCode = 404; res.end() } })
      await new Promise<void>(r => http!.listen(0, '127.0.0.1', () => r()))
      httpUrl = `http://127.0.0.1:${(http.address() as AddressInfo).port}/payload.txt`
      // Both daemons sign what they build with the same key (ed25519 signatures are deterministic).
      const key = await client(ws, { name: 'keygen', version, impl: 'cpp', root: '', sock: '', clientStore: 'dummy://', pid: undefined, stop: async () => {} }, 'nix-store', ['--generate-binary-cache-key', 'tsnix-test-1', `${ws.view}/key.sec`, `${ws.view}/key.pub`])
      assert.equal(key.code, 0, key.stderr)
      const extraConf = `secret-key-files = ${ws.view}/key.sec`
      ;[cpp, ts] = await Promise.all([startDaemon(ws, 'cpp', version, { extraConf }), startDaemon(ws, 'tsnix', version, { extraConf })])
    })

    after(async () => {
      await Promise.all([cpp?.stop(), ts?.stop()])
      http?.close()
      ws?.cleanup()
    })

    // A floating CA output that refers to itself: Nix 2.8 hashes the self-reference positions
    // into its content address, 2.34 does not (see src/store-path/refscan.ts). A daemon can only
    // give one answer; tsnix gives 2.34's (checked by the 2.34 suite), so 2.8's C++ path differs.
    // And 2.8's exportReferencesGraph JSON has no `valid` field (structuredGraphValid keeps it).
    const success = version === '2.8' ? SUCCESS.filter(a => a !== 'caSelfRef' && a !== 'structuredGraphValid') : SUCCESS

    it(`builds ${success.length} derivations to the same paths, NAR hashes, references and content addresses`, async () => {
      const build = (d: Daemon) => client(ws!, d, 'nix-build', ['--no-out-link', ...args(ws!, httpUrl), ...success.flatMap(a => ['-A', a])])
      const [c, t] = await Promise.all([build(cpp!), build(ts!)])
      assert.equal(c.code, 0, `C++: ${c.stderr.slice(-3000)}`)
      assert.equal(t.code, 0, `tsnix: ${t.stderr.slice(-3000)}`)
      const paths = c.stdout.trim().split('\n')
      assert.deepEqual(t.stdout.trim().split('\n'), paths)
      const [ci, ti] = await Promise.all([closureInfo(ws!, cpp!, paths), closureInfo(ws!, ts!, paths)])
      assert.deepEqual(ti, ci)
      const signed = Object.values(ti as Record<string, Record<string, unknown>>).filter(e => Array.isArray(e['signatures']) && (e['signatures'] as unknown[]).length > 0)
      assert.ok(signed.length >= paths.length, 'built outputs are signed with secret-key-files')
    })

    if (version === '2.8') {
      it('caSelfRef: the one accepted difference from 2.8 (self-reference positions in the CA hash)', async () => {
        const build = (d: Daemon) => client(ws!, d, 'nix-build', ['--no-out-link', ...args(ws!, httpUrl), '-A', 'caSelfRef'])
        const [c, t] = await Promise.all([build(cpp!), build(ts!)])
        assert.equal(c.code, 0, c.stderr)
        assert.equal(t.code, 0, t.stderr)
        assert.notEqual(t.stdout, c.stdout, 'tsnix now agrees with 2.8 here: move caSelfRef back into the common list')
      })
    }

    if (version === '2.34') {
      it('nix build --json (BuildPathsWithResults; floating CA paths come from builtOutputs)', async () => {
        const build = (d: Daemon) => client(ws!, d, 'nix', ['build', '--no-link', '--json', '-f', `${ws!.view}/drvs.nix`,
          '--argstr', 'bb', ws!.busybox, '--argstr', 'srcDir', ws!.srcDir, '--argstr', 'httpUrl', httpUrl, 'caFloating', 'multi^*', 'caDependent', 'simple'])
        const [c, t] = await Promise.all([build(cpp!), build(ts!)])
        assert.equal(c.code, 0, c.stderr)
        assert.equal(t.code, 0, t.stderr)
        const strip = (s: string) => (JSON.parse(s) as Array<Record<string, unknown>>).map(({ startTime: _a, stopTime: _b, ...rest }) => rest)
        assert.deepEqual(strip(t.stdout), strip(c.stdout))
      })
    }

    it('nix-store --realise of one output, then --check (same) and of a non-deterministic build (differs)', async () => {
      const inst = (d: Daemon, attr: string) => client(ws!, d, 'nix-instantiate', [...args(ws!, httpUrl), '-A', attr])
      for (const d of [cpp!, ts!]) void d
      const [cd, td] = await Promise.all([inst(cpp!, 'multi'), inst(ts!, 'multi')])
      const drv = cd.stdout.trim()
      assert.equal(td.stdout.trim(), drv)
      const real = (d: Daemon, extra: string[]) => client(ws!, d, 'nix-store', ['--realise', ...extra])
      const [c1, t1] = await Promise.all([real(cpp!, [`${drv}!dev`]), real(ts!, [`${drv}!dev`])])
      assert.equal(t1.code, c1.code, `${c1.stderr}\n----\n${t1.stderr}`)
      assert.equal(t1.stdout, c1.stdout)
      const [c2, t2] = await Promise.all([real(cpp!, ['--check', `${drv}!dev`]), real(ts!, ['--check', `${drv}!dev`])])
      assert.equal(t2.code, c2.code, `${c2.stderr}\n----\n${t2.stderr}`)
    })

    it('--repair of a corrupted output: same exit code; tsnix rebuilds it in place', async () => {
      // C++ (2.8 and 2.34) with a chroot store reports "path … is corrupted or missing!" and
      // leaves it so; tsnix does what --repair documents: rebuild and replace the output.
      const { chmodSync, readFileSync, writeFileSync } = await import('node:fs')
      const build = (d: Daemon, extra: string[]) => client(ws!, d, 'nix-build', ['--no-out-link', ...args(ws!, httpUrl), '-A', 'simple', ...extra])
      const [b1, b2] = await Promise.all([build(cpp!, []), build(ts!, [])])
      const out = b1.stdout.trim()
      assert.equal(b2.stdout.trim(), out)
      for (const d of [cpp!, ts!]) {
        const real = `${ws!.host}/${d.name}${out}`
        chmodSync(real, 0o644)
        writeFileSync(real, 'corrupted\n')
      }
      const [c, t] = await Promise.all([build(cpp!, ['--repair']), build(ts!, ['--repair'])])
      assert.equal(t.code, c.code, `${c.stderr}\n----\n${t.stderr}`)
      assert.equal(readFileSync(`${ws!.host}/${ts!.name}${out}`, 'utf8'), 'hello\n')
      const v = await client(ws!, ts!, 'nix-store', ['--verify-path', out])
      assert.equal(v.code, 0, v.stderr)
      // The C++ store is left as C++ left it; repair it for the store comparison at the end.
      chmodSync(`${ws!.host}/${cpp!.name}${out}`, 0o644)
      writeFileSync(`${ws!.host}/${cpp!.name}${out}`, 'hello\n')
      chmodSync(`${ws!.host}/${cpp!.name}${out}`, 0o444)
    })

    it('--check of a non-deterministic build: same status and message; --keep-failed leaves <out>.check', async () => {
      const json = version === '2.34' ? ['--log-format', 'internal-json'] : []
      const build = (d: Daemon, extra: string[]) => client(ws!, d, 'nix-build', ['--no-out-link', ...json, ...args(ws!, httpUrl), '-A', 'nondeterministic', ...extra])
      const [c0, t0] = await Promise.all([build(cpp!, []), build(ts!, [])])
      assert.equal(c0.code, 0, c0.stderr)
      assert.equal(t0.code, 0, t0.stderr)
      for (const extra of [['--check'], ['--check', '--keep-failed']]) {
        const [c, t] = await Promise.all([build(cpp!, extra), build(ts!, extra)])
        assert.equal(t.code, c.code, `${c.stderr}\n----\n${t.stderr}`)
        if (version === '2.34') {
          // The kept build directory is named differently (C++: the chroot's; ours: the slot's).
          const notes = (r: ClientResult) => daemonMessages(r, ws!).filter(m => m.startsWith('note:')).map(m => m.replace(/".*"/, '"…"'))
          const rest = (r: ClientResult) => daemonMessages(r, ws!).filter(m => !m.startsWith('note:'))
          assert.deepEqual(rest(t), rest(c))
          assert.deepEqual(notes(t), notes(c))
        } else {
          // 2.8 quotes the path its own way; the statement is the same.
          for (const r of [c, t]) assert.match(errorText(r, ws!), /derivation '\S+' may not be deterministic: output \S+ differs/)
        }
      }
      const out = (await client(ws!, ts!, 'nix-build', ['--no-out-link', ...args(ws!, httpUrl), '-A', 'nondeterministic'])).stdout.trim()
      const { existsSync } = await import('node:fs')
      for (const d of [cpp!, ts!]) assert.ok(existsSync(`${ws!.host}/${d.name}${out}.check`), `${d.name}: ${out}.check kept`)
    })

    for (const f of FAILURES) {
      it(`${f.title ?? f.attr}: same exit code and ${version === '2.34' ? 'error text' : 'key error lines'}`, async () => {
        const json = version === '2.34' ? ['--log-format', 'internal-json'] : []
        const build = (d: Daemon) => client(ws!, d, 'nix-build', ['--no-out-link', ...json, ...args(ws!, httpUrl), '-A', f.attr, ...(f.args ?? [])])
        const [c, t] = await Promise.all([build(cpp!), build(ts!)])
        assert.equal(t.code, c.code, `exit codes differ\nC++:\n${c.stderr}\ntsnix:\n${t.stderr}`)
        assert.notEqual(c.code, 0)
        if (version === '2.34') {
          // Exactly what the daemon said, colours included, apart from lines that name build
          // scratch areas (C++ `<drv>.chroot/…`, ours under the build dir).
          const loose = (ms: string[]) => ms.filter(m => !(f.ignoreEmpty34 && m === '')).map(m => m.split('\n').filter(l => !(f.loose34 ?? []).some(r => r.test(l))).join('\n'))
          assert.deepEqual(loose(daemonMessages(t, ws!)), loose(daemonMessages(c, ws!)))
        } else {
          const ce = errorText(c, ws!)
          const te = errorText(t, ws!)
          for (const k of f.key28) {
            const cm = k.exec(ce)
            assert.ok(cm, `C++ message lacks ${k}:\n${ce}`)
            assert.equal(k.exec(te)?.[0], cm[0], `tsnix message differs at ${k}:\n${te}\n---- C++:\n${ce}`)
          }
        }
      })
    }
    it('leaves no partial outputs or lock files behind (everything in the store is also in C++\'s)', async () => {
      // C++ keeps a wrongly hashed fixed output under its own (valid) path, and so does tsnix;
      // C++ also leaves the lock files and the rejected outputs of failed builds (unregistered),
      // which tsnix removes.
      const { readdirSync } = await import('node:fs')
      const list = (d: Daemon) => readdirSync(`${ws!.host}/${d.name}/nix/store`).filter(n => !n.endsWith('.check')).sort()
      const c = list(cpp!)
      const t = list(ts!)
      // (2.8: caSelfRef has a different path by design, see above.)
      assert.deepEqual(t.filter(x => !c.includes(x) && !(version === '2.8' && x.endsWith('-ca-self-ref'))), [])
      assert.deepEqual(t.filter(x => x.endsWith('.lock') || x.startsWith('.')), [])
    })
  })
}

/**
 * `sandbox = false` (the direct runner): Nix 2.8's daemon and tsnix, one after the other on
 * the same unrelocated store directory (so paths agree), building what needs no sandbox, as
 * build users from `build-users-group = nixbld` when the machine has that group.
 */
describe('golden: builds with sandbox = false, tsnix daemon vs C++ nix-daemon 2.8', function () {
  this.timeout(600_000)
  const DIRECT = ['simple', 'tree', 'multi', 'chain3', 'diamondTop', 'selfRef', 'refByName', 'refBySymlink', 'fromSource', 'closureRef',
    'fodShellFlat', 'fodShellRecursive', 'fetchFileFlat', 'fetchFileRecursive', 'caFloating', 'caFlat', 'passAsFile', 'exportGraph', 'allowedOk', 'disallowedOk', 'whoami']
  const DIRECT_FAILURES: ReadonlyArray<{ attr: string; args?: string[]; key: RegExp }> = [
    { attr: 'failing', key: /failed with exit code 3/ },
    { attr: 'hashMismatch', key: /got: +\S+/ },
    { attr: 'noOutput', key: /failed to produce output path for output 'out'/ },
    { attr: 'disallowed', key: /is not allowed to refer to the following paths:/ },
    { attr: 'timeout', args: ['--timeout', '2'], key: /timed out after 2 seconds/ },
    { attr: 'builderMissing', key: /failed with exit code 1/ },
  ]
  interface Record { paths: string[]; info: unknown; failures: Array<[number, string]>; check: number; leftovers: string[] }
  let ws: Workspace | undefined
  const records: Partial<{ cpp: Record; tsnix: Record }> = {}

  before(async function () {
    if (!isRoot) skipBecause(this, 'needs root (daemons)')
    if (!nativeAddon()) skipBecause(this, 'native addon not built (node native/build.mjs)')
    if (!nix28()) skipBecause(this, 'Nix 2.8 not installed')
    const bb = findStaticBusybox()
    if (!bb) skipBecause(this, 'no static busybox')
    ws = makeWorkspace(undefined, bb!)
    copyFileSync(join(repoRoot, 'test', 'golden', 'build', 'drvs.nix'), join(ws.host, 'drvs.nix'))
    const { rmSync, readdirSync } = await import('node:fs')
    for (const impl of ['cpp', 'tsnix'] as const) {
      rmSync(join(ws.host, 'direct'), { recursive: true, force: true })
      const { execFileSync } = await import('node:child_process')
      const users = (() => { try { return execFileSync('getent', ['group', 'nixbld'], { encoding: 'utf8' }).trim().split(':')[3] ?? '' } catch { return '' } })()
      const d = await startDaemon(ws, impl, '2.8', { sandbox: false, dir: 'direct', extraConf: users ? 'build-users-group = nixbld' : '' })
      try {
        const a = args(ws, 'http://127.0.0.1:1/unused')
        const ok = await client(ws, d, 'nix-build', ['--no-out-link', ...a, ...DIRECT.flatMap(x => ['-A', x])])
        if (ok.code !== 0) throw new Error(`${impl}: ${ok.stderr.slice(-3000)}`)
        const paths = ok.stdout.trim().split('\n')
        const info = await closureInfo(ws, d, paths)
        const failures: Array<[number, string]> = []
        for (const f of DIRECT_FAILURES) {
          const r = await client(ws, d, 'nix-build', ['--no-out-link', ...a, '-A', f.attr, ...(f.args ?? [])])
          failures.push([r.code, f.key.exec(errorText(r, ws))?.[0] ?? `(no match in ${errorText(r, ws)})`])
        }
        await client(ws, d, 'nix-build', ['--no-out-link', ...a, '-A', 'nondeterministic'])
        const check = (await client(ws, d, 'nix-build', ['--no-out-link', ...a, '-A', 'nondeterministic', '--check'])).code
        // Valid paths and leftovers: entries that are not valid store paths (C++ keeps some).
        const valid = new Set((await client(ws, d, 'nix-store', ['--query', '--requisites', ...paths])).stdout.trim().split('\n'))
        const leftovers = readdirSync(join(ws.host, 'direct', 'store')).filter(n => !n.endsWith('.drv') && !n.endsWith('.lock') && !valid.has(`${ws!.view}/direct/store/${n}`))
        records[impl] = { paths, info, failures, check, leftovers }
      } finally {
        await d.stop()
      }
    }
  })
  after(() => ws?.cleanup())

  it('same output paths, NAR hashes, references and content addresses', () => {
    if (process.env['TSNIX_DEBUG_RECORDS']) console.log(JSON.stringify(records, null, 1).slice(0, 3000))
    assert.deepEqual(records.tsnix!.paths, records.cpp!.paths)
    assert.deepEqual(records.tsnix!.info, records.cpp!.info)
  })
  it('same exit codes and key error lines for failures; --check of a non-deterministic build fails the same way', () => {
    assert.deepEqual(records.tsnix!.failures, records.cpp!.failures)
    assert.equal(records.tsnix!.check, records.cpp!.check)
  })
  it('no partial outputs left in the store (beyond what C++ leaves)', () => {
    assert.deepEqual(records.tsnix!.leftovers.filter(x => !records.cpp!.leftovers.includes(x)), [])
  })
})

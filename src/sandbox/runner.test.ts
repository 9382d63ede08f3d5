/**
 * Runner-level tests: real builds under runc, for both runners (one container per build, and
 * warm slots). Each isolation property is checked by a builder that tries to break it.
 * Needs root and runc (skips with the reason otherwise); warm slots and the syscall checks
 * also need gcc (for the static helper / test program).
 */
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { chmodSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer, Server } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { isRoot, skipBecause, which } from '../../test/support/env.js'
import { sharedRoot } from '../../test/support/paths.js'
import { canonicalise } from './canonicalise.js'
import { ColdRunner } from './cold.js'
import { ensureHelper } from './native.js'
import { findRunc } from './runc.js'
import { cgroupsNamed, findStaticBusybox, processesMatching, processesOfUids, simpleRequest, type SimpleDrv } from '../../test/support/sandbox.js'
import type { BuildLimits, BuildOutcome, BuildRequest, SandboxRunner } from './types.js'
import { DEFAULT_ID_BASE } from './uid-pool.js'
import { WarmPool } from './warm.js'

const IN = '0c7lv3ihhbrzn1p4zv9v6d3f4z2q8s5a-input'
const UNDECLARED = '2a8w3n5x7p0r1s4v6y9b2c5d8f1g4h7j-undeclared'
const SYSCHECK = '4c0d1f2g3h4i5j6k7l8m9n0p1q2r3s4v-syscheck'

for (const kind of ['cold', 'warm'] as const) {
  describe(`sandbox: ${kind} runner builds under runc`, function () {
    let root: string
    let hostStore: string
    let busybox: string
    let runner: SandboxRunner
    let syscheck = false

    before(async function () {
      if (!isRoot) skipBecause(this, 'runc sandbox tests need root')
      if (!findRunc()) skipBecause(this, 'runc is not installed')
      const bb = findStaticBusybox()
      if (!bb) skipBecause(this, 'no static busybox for /bin/sh (set TSNIX_SANDBOX_SHELL)')
      busybox = bb
      const helper = await ensureHelper()
      if (kind === 'warm' && !helper) skipBecause(this, 'warm slots need the helper binary: gcc missing and TSNIX_SANDBOX_HELPER unset')
      root = mkdtempSync(join(tmpdir(), `tsnix-sandbox-${kind}-`))
      chmodSync(root, 0o755)
      hostStore = join(root, 'store')
      mkdirSync(join(hostStore, IN), { recursive: true })
      writeFileSync(join(hostStore, IN, 'data'), 'input data\n')
      mkdirSync(join(hostStore, UNDECLARED))
      writeFileSync(join(hostStore, UNDECLARED, 'data'), 'secret\n')
      const src = join(sharedRoot, 'tools', 'sandbox-probe', 'syscheck.c')
      if (which('gcc')) {
        try {
          execFileSync('gcc', ['-static', '-O2', '-o', join(hostStore, SYSCHECK), src], { stdio: 'ignore' })
          syscheck = true
        } catch { /* the syscall test skips */ }
      }
      const work = join(root, 'work')
      runner = kind === 'cold' ? new ColdRunner({ root: work }) : new WarmPool({ root: work, expose: [hostStore, busybox], slots: 2 })
    })

    after(async () => {
      await runner?.close()
      if (root) rmSync(root, { recursive: true, force: true })
    })

    const input = (base: string) => ({ path: `/nix/store/${base}`, hostPath: join(hostStore, base) })
    const req = (d: SimpleDrv, limits: BuildLimits = {}): BuildRequest => simpleRequest({ inputs: [input(IN)], ...d }, { busybox, limits })

    async function build(r: BuildRequest, signal?: AbortSignal): Promise<{ outcome: BuildOutcome; log: string; out: string | undefined; mode?: number }> {
      let log = ''
      const b = await runner.build(r, { onLog: c => { log += Buffer.from(c).toString('utf8') }, ...(signal ? { signal } : {}) })
      try {
        const o = b.outcome.outputs[0]!
        const out = o.exists ? readFileSync(o.hostPath, 'utf8') : undefined
        if (o.exists) {
          // The glue's next step: outputs are the builder's until canonicalised.
          assert.equal(lstatSync(o.hostPath).uid, b.outcome.builderHostUid)
          await canonicalise(o.hostPath, { buildUid: b.outcome.builderHostUid! })
          const st = lstatSync(o.hostPath)
          assert.equal(st.uid, 0)
          return { outcome: b.outcome, log, out, mode: st.mode & 0o7777 }
        }
        return { outcome: b.outcome, log, out }
      } finally {
        await b.cleanup()
      }
    }

    it('runs the builder as nixbld in /build, argv[0] = basename, and collects $out', async () => {
      const r = await build(req({ name: 'hello', script: 'echo "$0 $(id -u):$(id -g) $(id -un) $(pwd) $(hostname) $(umask) $(cat /proc/self/personality)"; echo err >&2; echo hi > $out' }))
      const { outcome, log, out } = r
      assert.equal(outcome.exitCode, 0, log)
      assert.equal(outcome.signal, null)
      assert.equal(outcome.setupError, null)
      assert.match(log, /^sh 1000:100 nixbld \/build localhost 0022 00040000\nerr\n$/)
      assert.equal(out, 'hi\n')
      assert.equal(r.mode, 0o444)
    })

    it('reports exit codes and a builder that cannot be executed', async () => {
      assert.equal((await build(req({ name: 'exit3', script: 'exit 3' }))).outcome.exitCode, 3)
      const r = await build(req({ name: 'nobuilder', script: '', builder: '/no/such/builder' }))
      assert.equal(r.outcome.exitCode, 1)
      assert.match(r.log.replace(/\x1b\[[0-9;]*m/g, ''), /executing '\/no\/such\/builder': No such file or directory/)
    })

    it('enforces timeout, max-silent-time and max-build-log-size, and honours abort', async () => {
      const t = await build(req({ name: 'timeout', script: 'while true; do echo tick; sleep 0.1; done' }, { timeoutSeconds: 0.5 }))
      assert.equal(t.outcome.limit, 'timeout')
      assert.equal(t.outcome.signal, 'SIGKILL')
      assert.ok(t.outcome.stopTime - t.outcome.startTime < 4000)
      const s = await build(req({ name: 'silent', script: 'echo a; sleep 10' }, { maxSilentSeconds: 0.5, timeoutSeconds: 20 }))
      assert.equal(s.outcome.limit, 'max-silent-time')
      assert.equal(s.log, 'a\n')
      const l = await build(req({ name: 'loud', script: 'yes | head -c 300000; sleep 10' }, { maxLogBytes: 1000 }))
      assert.equal(l.outcome.limit, 'max-log-size')
      assert.ok(l.log.length <= 1000)
      const ac = new AbortController()
      setTimeout(() => ac.abort(), 300)
      const a = await build(req({ name: 'aborted', script: 'sleep 10' }), ac.signal)
      assert.equal(a.outcome.signal, 'SIGKILL')
      assert.equal(a.outcome.limit, null)
    })

    it('cannot reach a listener on the host loopback (but a fixed-output build can)', async () => {
      let connections = 0
      const server: Server = createServer(s => { connections++; s.destroy() })
      await new Promise<void>(r => server.listen(0, '127.0.0.1', r))
      const port = (server.address() as { port: number }).port
      try {
        const script = `nc -w 1 127.0.0.1 ${port} </dev/null && echo CONNECTED || echo REFUSED; sed -n 's/^ *\\([a-z0-9]*\\):.*/IF:\\1/p' /proc/net/dev; touch $out`
        const r = await build(req({ name: 'net', script }))
        assert.match(r.log, /REFUSED/)
        assert.deepEqual(r.log.split('\n').filter(l => l.startsWith('IF:')), ['IF:lo'])
        assert.equal(connections, 0)
        // Positive control: the same probe in a fixed-output (network) build connects.
        const fod = await build(req({ name: 'fod', script, kind: 'fixed-output' }))
        assert.match(fod.log, /CONNECTED/)
        assert.equal(connections, 1)
      } finally {
        server.close()
      }
    })

    it('sees only its input closure in the store, read-only', async () => {
      const script = `ls /nix/store; cat /nix/store/${UNDECLARED}/data 2>&1 || echo NO-UNDECLARED; ` +
        `(echo x >> /nix/store/${IN}/data) 2>&1 || echo NO-WRITE; (chmod u+w /nix/store/${IN}/data) 2>&1 || echo NO-CHMOD; ` +
        `(touch /nix/store/${IN}/new) 2>&1 || echo NO-CREATE; (touch /etc/x) 2>&1 || echo NO-ROOTFS; cat /nix/store/${IN}/data; touch $out`
      const r = await build(req({ name: 'closure', script }))
      assert.equal(r.outcome.exitCode, 0, r.log)
      assert.deepEqual(r.log.split('\n').slice(0, 1), [IN])
      for (const m of ['NO-UNDECLARED', 'NO-WRITE', 'NO-CHMOD', 'NO-CREATE', 'NO-ROOTFS', 'input data']) assert.ok(r.log.includes(m), m)
      assert.ok(!r.log.includes('secret'))
      assert.equal(readFileSync(join(hostStore, IN, 'data'), 'utf8'), 'input data\n')
      assert.deepEqual(readdirSync(join(hostStore, IN)), ['data'])
    })

    it('cannot set setuid/setgid bits, including through fchmodat2, nor extended attributes', async function () {
      const r = await build(req({ name: 'suid', script: 'touch $out; chmod u+s $out && echo SUID-SET || echo SUID-DENIED; chmod g+s $out && echo SGID-SET || echo SGID-DENIED' }))
      assert.match(r.log, /SUID-DENIED/)
      assert.match(r.log, /SGID-DENIED/)
      if (!syscheck) skipBecause(this, 'gcc with static libc needed to build the syscall checker')
      const s = await build(req({ name: 'syscheck', script: `cd /build && /nix/store/${SYSCHECK} probe; touch $out`, inputs: [input(SYSCHECK)] }))
      const line = (what: string): string => s.log.split('\n').find(l => l.startsWith(what)) ?? ''
      for (const what of ['chmod 04755', 'chmod 02755', 'fchmod 04755', 'fchmodat 04755', 'fchmodat2 04755']) assert.match(line(what), /Operation not permitted/, what)
      assert.match(line('chmod 0755 (plain)'), /ALLOWED/)
      for (const what of ['setxattr', 'getxattr', 'listxattr']) assert.match(line(what), /Operation not supported/, what)
      assert.match(s.log, /final mode 755/)
    })

    it('leaves no process behind, even a daemonised one', async () => {
      const marker = `tsnix-survivor-${kind}-${process.pid}`
      const r = await build(req({ name: 'survivor', script: `cp /bin/sh /tmp/${marker}; (setsid /tmp/${marker} -c 'sleep 30' &); /tmp/${marker} -c 'sleep 31' & echo started; touch $out` }))
      assert.equal(r.outcome.exitCode, 0, r.log)
      assert.deepEqual(processesMatching(marker), [])
      // Nothing at all runs as a builder uid of this pool (the slots' agents run as their root ids).
      const builders = processesOfUids(DEFAULT_ID_BASE, DEFAULT_ID_BASE + 2 * 64).filter(p => {
        try { return (Number(/^Uid:\s+(\d+)/m.exec(readFileSync(`/proc/${p}/status`, 'utf8'))![1]) - DEFAULT_ID_BASE) % 2 === 1 } catch { return false }
      })
      assert.deepEqual(builders, [])
      if (kind === 'cold') {
        assert.deepEqual(readdirSync(join(root, 'work', 'runc')).filter(n => !n.startsWith('tsnix-slot-')), [])
        assert.deepEqual(cgroupsNamed('tsnix-').filter(p => !p.includes('tsnix-slot-')), [])
      }
    })

    it('gives every build a fresh /build, /tmp and /dev/shm', async () => {
      const mark = 'for d in /build /tmp /dev/shm; do [ -e $d/marker ] && echo "LEFTOVER $d"; touch $d/marker; done; ls -ld /tmp /build; touch $out'
      const a = await build(req({ name: 'fresh1', script: mark }))
      const b = await build(req({ name: 'fresh2', script: mark }))
      assert.ok(!a.log.includes('LEFTOVER') && !b.log.includes('LEFTOVER'), a.log + b.log)
      assert.match(b.log, /^drwxrwxrwt .* \/tmp$/m)
      assert.match(b.log, /^drwx------ .* nixbld .* \/build$/m)
    })

    it('builds requests needing unexposed host paths anyway (warm: on the cold fallback)', async () => {
      const other = join(root, 'elsewhere', '5rw4wd0ylx7g8c6a0i5hbkgvyrm1m2vp-other')
      mkdirSync(other, { recursive: true })
      writeFileSync(join(other, 'data'), 'other data\n')
      const r = await build(req({ name: 'unexposed', script: 'cat /nix/store/*-other/data > $out', inputs: [{ path: '/nix/store/5rw4wd0ylx7g8c6a0i5hbkgvyrm1m2vp-other', hostPath: other }] }))
      assert.equal(r.outcome.exitCode, 0, r.log)
      assert.equal(r.out, 'other data\n')
    })

    it('keeps outputs collectable when the runner closes first', async () => {
      const own = kind === 'cold' ? new ColdRunner({ root: join(root, 'own') }) : new WarmPool({ root: join(root, 'own'), expose: [hostStore, busybox], slots: 1 })
      const b = await own.build(req({ name: 'closing', script: 'echo kept > $out' }))
      await own.close()
      assert.equal(readFileSync(b.outcome.outputs[0]!.hostPath, 'utf8'), 'kept\n')
      await b.cleanup()
      assert.ok(!existsSync(b.outcome.scratchStore))
      if (kind === 'warm') assert.deepEqual(readdirSync(join(root, 'own', 'slots')), [])
    })

    it('runs concurrent builds under distinct host uids', async () => {
      const r = (n: string) => req({ name: n, script: 'cat /proc/self/uid_map; sleep 0.3; touch $out' })
      const [a, b] = await Promise.all([build(r('conc1')), build(r('conc2'))])
      const host = (log: string): string => log.split('\n').find(l => l.trim().startsWith('1000'))!.trim().split(/\s+/)[1]!
      assert.notEqual(host(a.log), host(b.log))
    })
  })
}

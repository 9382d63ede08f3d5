/**
 * Acceptance 6 of issue 4: the units in systemd/ pass `systemd-analyze verify` (ExecStart
 * pointed at this build in a temporary copy), and tsnix started by socket activation
 * (`systemd-socket-activate`, which passes the listening socket as systemd does: fd 3,
 * LISTEN_FDS=1, LISTEN_PID) serves a stock client through that socket.
 */
import assert from 'node:assert/strict'
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { repoRoot } from '../../support/paths.js'
import { nix28, skipBecause, which } from '../../support/env.js'
import { cleanEnv, DAEMON_CONF, makeClient, runProcess, tsnixMain, Workspace } from './harness.js'
import { spawn } from 'node:child_process'

const units = ['tsnix-daemon.socket', 'tsnix-daemon.service']

describe('golden/daemon: systemd units and socket activation', function () {
  this.timeout(180_000)
  let ws: Workspace
  before(() => { ws = Workspace.create('tsnix-daemon-systemd') })
  after(() => ws?.remove())

  it('systemd-analyze verify accepts the units', async function () {
    if (!which('systemd-analyze')) skipBecause(this, 'systemd-analyze is not installed')
    const dir = join(ws.dir, 'units')
    mkdirSync(dir)
    for (const u of units) copyFileSync(join(repoRoot, 'systemd', u), join(dir, u))
    const service = join(dir, 'tsnix-daemon.service')
    const text = readFileSync(service, 'utf8')
    assert.match(text, /^ExecStart=\/usr\/local\/bin\/tsnix daemon --daemon$/m, 'the shipped ExecStart (README installs tsnix there)')
    assert.match(text, /^KillMode=process$/m)
    writeFileSync(service, text.replace(/^ExecStart=.*$/m, `ExecStart=${process.execPath} ${tsnixMain} daemon --daemon`))
    const r = await runProcess('systemd-analyze', ['verify', ...units.map(u => join(dir, u))], { cwd: dir })
    assert.equal(r.status, 0, r.stderr)
    assert.equal(r.stderr.trim(), '', 'no warnings')
    // the tool does check what we give it: a relative ExecStart is an error
    writeFileSync(service, text.replace(/^ExecStart=.*$/m, 'ExecStart=tsnix daemon'))
    const bad = await runProcess('systemd-analyze', ['verify', ...units.map(u => join(dir, u))], { cwd: dir })
    assert.match(bad.stderr, /ExecStart|executable|absolute/i)
  })

  it('a stock client works through the socket systemd-socket-activate passes to tsnix', async function () {
    if (!which('systemd-socket-activate')) skipBecause(this, 'systemd-socket-activate is not installed')
    if (!nix28()) skipBecause(this, 'C++ Nix 2.8 is not installed')
    const runDir = join(ws.dir, 'activated')
    const root = join(runDir, 'root')
    const conf = join(runDir, 'conf')
    mkdirSync(conf, { recursive: true })
    writeFileSync(join(conf, 'nix.conf'), DAEMON_CONF)
    const socket = join(runDir, 'socket')
    const log = join(runDir, 'daemon.log')
    writeFileSync(log, '')
    const activator = spawn('systemd-socket-activate', ['-l', socket, '-E', `NIX_CONF_DIR=${conf}`, '-E', `NIX_CONFIG=store = local?root=${root}`,
      process.execPath, tsnixMain, 'daemon', '--daemon'], { env: cleanEnv(), stdio: ['ignore', 'ignore', 'pipe'], detached: true })
    const errs: Buffer[] = []
    activator.stderr!.on('data', (c: Buffer) => errs.push(c))
    try {
      for (let i = 0; i < 400 && !existsSync(socket); i++) await new Promise(r => setTimeout(r, 25))
      assert.ok(existsSync(socket), 'systemd-socket-activate listens')
      assert.ok(!existsSync(join(root, 'nix', 'var', 'nix', 'db')), 'tsnix starts only when a client connects')
      writeFileSync(join(runDir, 'f.txt'), 'activated\n')
      const client = makeClient(ws, runDir, '2.8', `unix://${socket}?root=${root}`)
      const add = await client.run(['nix-store', '--add', join(runDir, 'f.txt')])
      assert.equal(add.status, 0, `${add.stderr}\n${Buffer.concat(errs).toString()}`)
      const path = add.stdout.toString().trim()
      assert.match(path, /^\/nix\/store\/[0-9a-z]{32}-f\.txt$/)
      assert.equal(readFileSync(join(root, path), 'utf8'), 'activated\n')
      // the same process keeps serving on the inherited socket
      const q = await client.run(['nix-store', '-q', '--hash', path])
      assert.equal(q.status, 0, q.stderr)
      assert.match(Buffer.concat(errs).toString(), /listening on systemd socket \(fd 3\)/)
    } finally {
      try { process.kill(-activator.pid!, 'SIGTERM') } catch { /* gone */ }
      await new Promise(r => { if (activator.exitCode !== null) r(undefined); else activator.once('exit', r) })
    }
  })
})

/**
 * Acceptance 8 of issue 4: the README's first command (`./quickstart.sh`, which ends in
 * `node dist/src/cli/main.js daemon`) starts tsnix on its embedded defaults — no nix.conf, no
 * environment — and a stock `nix-store --add` works through it:
 *
 * - as root it serves /nix: here in a private mount namespace with an empty tmpfs on /nix (the
 *   host's /nix is never touched), the client using the default daemon socket;
 * - as a normal user (nobody, with a fresh HOME) it serves a chroot store under
 *   ~/.local/share/tsnix/root, the client using the `--store 'unix://…?root=…'` it prints.
 *
 * The install steps of the script (apt, npm ci, build) are not rerun here; the script's syntax
 * and its final command are.
 */
import assert from 'node:assert/strict'
import { chownSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { spawn } from 'node:child_process'
import { repoRoot } from '../../support/paths.js'
import { isRoot, nix28, skipBecause, which } from '../../support/env.js'
import { cleanEnv, runProcess, tsnixMain, waitForSocket, Workspace } from './harness.js'

const NOBODY = 65534

describe('golden/daemon: the README quick start (embedded defaults)', function () {
  this.timeout(180_000)
  let ws: Workspace
  before(function () {
    if (!isRoot) skipBecause(this, 'needs root (a private mount namespace; switching to nobody)')
    if (!nix28()) skipBecause(this, 'C++ Nix 2.8 (the stock client) is not installed')
    ws = Workspace.create('tsnix-daemon-quickstart')
    mkdirSync(join(ws.dir, 'empty-conf'))
    writeFileSync(join(ws.dir, 'hello.txt'), 'hello\n')
  })
  after(() => ws?.remove())

  it('the README starts with it, and it ends by starting the daemon', async () => {
    const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8')
    const firstBlock = /```sh\n([^`]*)```/.exec(readme)?.[1] ?? ''
    assert.match(firstBlock, /quickstart\.sh/, 'the first command of the README runs quickstart.sh')
    const script = readFileSync(join(repoRoot, 'quickstart.sh'), 'utf8')
    assert.match(script.trim().split('\n').pop()!, /^exec node dist\/src\/cli\/main\.js daemon "\$@"$/)
    const syntax = await runProcess('sh', ['-n', join(repoRoot, 'quickstart.sh')])
    assert.equal(syntax.status, 0, syntax.stderr)
  })

  it('as root it serves /nix, and stock nix-store --add works through the default socket', async function () {
    if (!which('unshare')) skipBecause(this, 'unshare is not installed')
    // one shell in a private mount namespace: an empty /nix, the daemon, a client, stop
    const script = [
      'set -e',
      'mount -t tmpfs -o mode=0755 tmpfs /nix',
      `"$NODE" "$MAIN" daemon 2>"$WS/root-daemon.log" & pid=$!`,
      'for i in $(seq 400); do [ -S /nix/var/nix/daemon-socket/socket ] && break; sleep 0.05; done',
      `p=$(nix-store --store daemon --add "$WS/hello.txt")`,
      'echo "path=$p"',
      'echo "hash=$(nix-store --store daemon -q --hash "$p")"',
      'echo "contents=$(cat "$p")"',
      'echo "db=$(ls /nix/var/nix/db/db.sqlite)"',
      'echo "mode=$(stat -c %a /nix/var/nix/daemon-socket/socket)"',
      'kill -TERM $pid; wait $pid; echo "exit=$?"',
    ].join('\n')
    const r = await runProcess('unshare', ['-m', '--propagation', 'private', 'sh', '-c', script], {
      env: cleanEnv({ NODE: process.execPath, MAIN: tsnixMain, WS: ws.dir, NIX_CONF_DIR: join(ws.dir, 'empty-conf'), HOME: ws.dir }),
    })
    const log = existsSync(join(ws.dir, 'root-daemon.log')) ? readFileSync(join(ws.dir, 'root-daemon.log'), 'utf8') : ''
    assert.equal(r.status, 0, `${r.stderr}\n${log}`)
    const out = Object.fromEntries(r.stdout.toString().trim().split('\n').map(l => l.split(/=(.*)/s).slice(0, 2) as [string, string]))
    // the path `nix-store --add` gives for a file containing "hello\n" (as in the captures' README)
    assert.equal(out['path'], '/nix/store/i9pmrzmpshapij2kin22pff6fc2adavx-hello.txt')
    assert.equal(out['contents'], 'hello')
    assert.equal(out['db'], '/nix/var/nix/db/db.sqlite')
    assert.equal(out['mode'], '666')
    assert.equal(out['exit'], '0', 'SIGTERM ends it cleanly')
    assert.match(log, /listening on \/nix\/var\/nix\/daemon-socket\/socket/)
  })

  it('as a normal user it serves a chroot store under ~/.local/share/tsnix/root', async function () {
    if (!which('setpriv')) skipBecause(this, 'setpriv is not installed')
    const home = join(ws.dir, 'home-nobody')
    mkdirSync(home)
    chownSync(home, NOBODY, NOBODY)
    const root = join(home, '.local', 'share', 'tsnix', 'root')
    const socket = join(root, 'nix', 'var', 'nix', 'daemon-socket', 'socket')
    const env = cleanEnv({ HOME: home, NIX_CONF_DIR: join(ws.dir, 'empty-conf') })
    const asNobody = ['setpriv', `--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups', '--']
    const daemon = spawn(asNobody[0]!, [...asNobody.slice(1), process.execPath, tsnixMain, 'daemon'], { env, stdio: ['ignore', 'ignore', 'pipe'] })
    const errs: Buffer[] = []
    daemon.stderr!.on('data', (c: Buffer) => errs.push(c))
    try {
      await waitForSocket(socket, 'the user daemon', daemon).catch(e => { throw new Error(`${(e as Error).message}\n${Buffer.concat(errs).toString()}`) })
      const store = `unix://${socket}?root=${root}`
      // printed just after the socket appears: give the pipe a moment
      for (let i = 0; i < 100 && !Buffer.concat(errs).toString().includes('--store'); i++) await new Promise(r => setTimeout(r, 50))
      assert.ok(Buffer.concat(errs).toString().includes(`--store '${store}'`), 'it prints the --store URL for clients')
      const r = await runProcess(asNobody[0]!, [...asNobody.slice(1), 'nix-store', '--store', store, '--add', join(ws.dir, 'hello.txt')], { env })
      assert.equal(r.status, 0, `${r.stderr}\n${Buffer.concat(errs).toString()}`)
      const p = r.stdout.toString().trim()
      assert.equal(p, '/nix/store/i9pmrzmpshapij2kin22pff6fc2adavx-hello.txt')
      assert.equal(readFileSync(join(root, p), 'utf8'), 'hello\n')
      const q = await runProcess(asNobody[0]!, [...asNobody.slice(1), 'nix-store', '--store', store, '-q', '--hash', p], { env })
      assert.equal(q.status, 0, q.stderr)
    } finally {
      daemon.kill('SIGTERM')
      await new Promise(r => { if (daemon.exitCode !== null) r(undefined); else daemon.once('exit', r) })
    }
  })
})

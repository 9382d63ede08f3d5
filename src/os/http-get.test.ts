import assert from 'node:assert/strict'
import { execFile, spawnSync } from 'node:child_process'
import { promisify } from 'node:util'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { createServer as createHttpsServer } from 'node:https'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { skipBecause, which } from '../../test/support/env.js'
import { repoRoot } from '../../test/support/paths.js'
import { deferredCa, httpGet, MAX_REDIRECTS, TooManyRedirects } from './http-get.js'
import { deferredCaFile, userEnvVar } from './launcher-env.js'

/** /hop/N redirects to /hop/N-1 (relative), /hop/0 answers "hello"; /loop redirects to itself. */
function handler(seen: string[], agents: string[] = []) {
  return (req: IncomingMessage, res: ServerResponse): void => {
    seen.push(req.url ?? '')
    agents.push(req.headers['user-agent'] ?? '')
    const hop = /^\/hop\/(\d+)$/.exec(req.url ?? '')
    if (hop && hop[1] !== '0') { res.writeHead(302, { location: `${Number(hop[1]) - 1}` }); res.end(); return }
    if (hop) { res.end('hello'); return }
    if (req.url === '/loop') { res.writeHead(301, { location: '/loop' }); res.end(); return }
    res.writeHead(404); res.end('no')
  }
}

async function listen(s: Server): Promise<number> {
  await new Promise<void>(r => s.listen(0, '127.0.0.1', r))
  return (s.address() as AddressInfo).port
}

async function body(res: IncomingMessage): Promise<string> {
  let s = ''
  for await (const c of res) s += (c as Buffer).toString()
  return s
}

describe('os/http-get', function () {
  this.timeout(60_000)
  const seen: string[] = []
  const agents: string[] = []
  let server: Server
  let base: string
  before(async () => {
    server = createHttpServer(handler(seen, agents))
    base = `http://127.0.0.1:${await listen(server)}`
  })
  after(() => { server.close() })

  it('follows relative redirects up to the limit and returns the final response', async () => {
    seen.length = 0
    const res = await httpGet(new URL(`${base}/hop/${MAX_REDIRECTS}`))
    assert.equal(res.statusCode, 200)
    assert.equal(await body(res), 'hello')
    assert.equal(seen.length, MAX_REDIRECTS + 1)
  })

  it('gives up after MAX_REDIRECTS redirects', async () => {
    seen.length = 0
    await assert.rejects(httpGet(new URL(`${base}/loop`)), TooManyRedirects)
    assert.equal(seen.length, MAX_REDIRECTS + 1)
  })

  it('returns an error status as it is', async () => {
    const res = await httpGet(new URL(`${base}/missing`))
    assert.equal(res.statusCode, 404)
    res.resume()
  })

  it('names itself as curl and Nix do (servers filter clients), unless told otherwise', async () => {
    agents.length = 0
    ;(await httpGet(new URL(`${base}/hop/0`))).resume()
    ;(await httpGet(new URL(`${base}/hop/0`), { headers: { 'user-agent': 'other' } })).resume()
    assert.deepEqual(agents, ['curl/8 Nix/2.34.8 tsnix', 'other'])
  })

  describe('a CA deferred by the launcher', function () {
    let dir: string
    let tls: Server
    let tlsBase: string
    before(async function () {
      if (!which('openssl')) skipBecause(this, 'needs openssl to make a self-signed certificate')
      dir = mkdtempSync(join(tmpdir(), 'tsnix-http-get-'))
      const r = spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=127.0.0.1',
        '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')], { encoding: 'utf8' })
      assert.equal(r.status, 0, r.stderr)
      tls = createHttpsServer({ key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) }, handler([]))
      tlsBase = `https://127.0.0.1:${await listen(tls)}`
    })
    after(() => {
      tls?.close()
      if (dir) rmSync(dir, { recursive: true, force: true })
    })

    it('is trusted for https downloads, in addition to the usual roots', async () => {
      const env = { TSNIX_EXTRA_CA_CERTS: join(dir, 'cert.pem') }
      const ca = deferredCa(env)!
      assert.ok(ca.length > 100, 'Node\'s bundled roots are kept')
      assert.equal(ca.at(-1), readFileSync(join(dir, 'cert.pem'), 'latin1'))
      const res = await httpGet(new URL(`${tlsBase}/hop/1`), { env })
      assert.equal(await body(res), 'hello')
    })

    it('is not used when nothing was deferred (a self-signed server is refused)', async () => {
      assert.equal(deferredCa({ TSNIX_EXTRA_CA_CERTS: '' }), undefined)
      assert.equal(deferredCa({ TSNIX_EXTRA_CA_CERTS: join(dir, 'cert.pem'), NODE_EXTRA_CA_CERTS: join(dir, 'cert.pem') }), undefined)
      await assert.rejects(httpGet(new URL(`${tlsBase}/hop/0`), { env: {} }), /self[- ]signed/)
    })

    it('the tsnix launcher defers NODE_EXTRA_CA_CERTS, and fetchurl still trusts it', async function () {
      const cli = join(repoRoot, 'dist', 'src', 'cli', 'main.js')
      const conf = join(dir, 'conf')
      mkdirSync(conf, { recursive: true })
      writeFileSync(join(conf, 'nix.conf'), 'build-users-group =\nsandbox = false\n')
      const env = {
        PATH: process.env['PATH'], HOME: join(dir, 'home'), NIX_CONF_DIR: conf, NIX_PATH: '',
        NIX_REMOTE: `local?root=${join(dir, 'store')}`, NODE_EXTRA_CA_CERTS: join(dir, 'cert.pem'),
      }
      // Asynchronously: this process serves the download. First what the evaluation sees of
      // the environment, then a download through the launcher.
      const run = promisify(execFile)
      const seenEnv = await run(cli, ['instantiate', '--eval', '--strict', '--json', '-E',
        '[ (builtins.getEnv "NODE_EXTRA_CA_CERTS") (builtins.getEnv "TSNIX_EXTRA_CA_CERTS") ]'], { env, encoding: 'utf8' })
      // the variables as the user set them, for `builtins.getEnv` (as C++ Nix would see them)
      assert.deepEqual(JSON.parse(seenEnv.stdout), [join(dir, 'cert.pem'), ''])
      const r = await run(cli, ['instantiate', '--eval', '-E', `builtins.readFile (builtins.fetchurl "${tlsBase}/hop/2")`], { env, encoding: 'utf8' })
      assert.equal(r.stdout.trim(), '"hello"')
    })
  })
})

describe('os/launcher-env', () => {
  it('undoes the launcher\'s move of NODE_EXTRA_CA_CERTS, and only that', () => {
    const moved = { TSNIX_EXTRA_CA_CERTS: '/ca.pem', HOME: '/h' }
    assert.equal(deferredCaFile(moved), '/ca.pem')
    assert.equal(userEnvVar(moved, 'NODE_EXTRA_CA_CERTS'), '/ca.pem')
    assert.equal(userEnvVar(moved, 'TSNIX_EXTRA_CA_CERTS'), undefined)
    assert.equal(userEnvVar(moved, 'HOME'), '/h')
    // the launcher ran without the variable set: it sets an empty one
    const none = { TSNIX_EXTRA_CA_CERTS: '' }
    assert.equal(deferredCaFile(none), undefined)
    assert.equal(userEnvVar(none, 'NODE_EXTRA_CA_CERTS'), undefined)
    assert.equal(userEnvVar(none, 'TSNIX_EXTRA_CA_CERTS'), undefined)
    // started as `node main.js`: nothing moved
    const direct = { NODE_EXTRA_CA_CERTS: '/ca.pem', TSNIX_EXTRA_CA_CERTS: '/other' }
    assert.equal(deferredCaFile(direct), undefined)
    assert.equal(userEnvVar(direct, 'NODE_EXTRA_CA_CERTS'), '/ca.pem')
    assert.equal(userEnvVar(direct, 'TSNIX_EXTRA_CA_CERTS'), '/other')
  })
})

/**
 * Stock C++ clients (Nix 2.8 on the host; Nix 2.34.8 from the reference chroot) against our
 * daemon side: `listen()` + `storeHandlers()` over an in-memory store double, in this process.
 * Each command's output is checked against values computed independently (store paths and
 * hashes from make-store-path/node:crypto, the capture fixtures' known paths).
 */
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import type { Server } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { havePeerCredentials } from '../../../src/os/index.js'
import { makeFixedOutputPath, NixHash, StoreDir, StorePath } from '../../../src/store-path/index.js'
import { listen, storeHandlers } from '../../../src/worker-protocol/index.js'
import { fixture, isRoot, nix28, referenceNix, skipBecause, which } from '../../support/env.js'
import { MemoryStore, narOfFile } from '../../support/memory-store.js'

const run = promisify(execFile)
const sd = new StoreDir()
const enc = new TextEncoder()

interface Daemon { store: MemoryStore; server: Server; sock: string; dir: string }

async function startDaemon(dir: string): Promise<Daemon> {
  const store = new MemoryStore()
  const sock = join(dir, 'daemon.sock')
  const server = await listen({ path: sock }, {
    handlers: c => storeHandlers(store, c),
    trustedUsers: ['root'],
    allowedUsers: ['*'],
    onClose: c => store.releaseClient(c.clientId),
  })
  return { store, server, sock, dir }
}

async function nix(d: Daemon, args: string[], opts: { user?: string; input?: string; env?: Record<string, string> } = {}): Promise<string> {
  const env = { ...process.env, NIX_REMOTE: `unix://${d.sock}`, HOME: d.dir, ...opts.env }
  const [cmd, ...rest] = opts.user ? ['runuser', '-u', opts.user, '--', 'env', `NIX_REMOTE=unix://${d.sock}`, `HOME=${d.dir}`, ...args] : args
  const child = run(cmd!, rest, { env, timeout: 30_000 })
  if (opts.input !== undefined) { child.child.stdin!.end(readFileSync(opts.input)) }
  return (await child).stdout
}

describe('C++ Nix 2.8 clients against our daemon (memory store)', function () {
  let d: Daemon
  before(async function () {
    if (!nix28()) skipBecause(this, 'Nix 2.8 (nix-store) not installed')
    const dir = mkdtempSync(join(tmpdir(), 'tsnix-proto-clients-'))
    chmodSync(dir, 0o755) // an untrusted user must reach the socket
    d = await startDaemon(dir)
  })
  after(() => { d?.server.close(); if (d) rmSync(d.dir, { recursive: true, force: true }) })

  it('nix-store --add, --add-fixed, -q --hash, path-info --json', async () => {
    const file = join(d.dir, 'hello.txt')
    writeFileSync(file, 'hello\n')
    const nar = narOfFile(enc.encode('hello\n'))
    const narHash = NixHash.of('sha256', nar)
    const added = makeFixedOutputPath(sd, 'hello.txt', 'nar', narHash)
    assert.equal((await nix(d, ['nix-store', '--add', file])).trim(), sd.print(added))
    const fixed = makeFixedOutputPath(sd, 'hello.txt', 'flat', NixHash.of('sha256', 'hello\n'))
    assert.equal((await nix(d, ['nix-store', '--add-fixed', 'sha256', file])).trim(), sd.print(fixed))
    assert.equal((await nix(d, ['nix-store', '-q', '--hash', sd.print(added)])).trim(), narHash.format('nix32'))
    const [info] = JSON.parse(await nix(d, ['nix', '--extra-experimental-features', 'nix-command', 'path-info', '--json', sd.print(fixed)])) as Array<Record<string, unknown>>
    assert.equal(info!['narHash'], narHash.toSRI())
    assert.equal(info!['narSize'], nar.length)
    assert.equal(info!['ca'], `fixed:sha256:${NixHash.of('sha256', 'hello\n').toNix32()}`)
  })

  it('nix-store --import of an export file, then -q --references/--referrers', async function () {
    const exp = fixture('captures', 'files', 'trivial.export')
    if (!exp) skipBecause(this, 'captures/files/trivial.export not found')
    // the capture README names the path this export holds
    assert.equal((await nix(d, ['nix-store', '--import'], { input: exp })).trim(), '/nix/store/znyyscdwajc1758rpqhixphdhcs626gn-trivial')
    assert.equal((await nix(d, ['nix-store', '-q', '--references', '/nix/store/znyyscdwajc1758rpqhixphdhcs626gn-trivial'])).trim(), '')
    assert.equal((await nix(d, ['nix-store', '-q', '--deriver', '/nix/store/znyyscdwajc1758rpqhixphdhcs626gn-trivial'])).trim(), '/nix/store/3a13s75qmsd8mxm6wi78sklkhma5927c-trivial.drv')
  })

  it('nix-store --gc --print-dead, --delete, --verify', async () => {
    const dead = (await nix(d, ['nix-store', '--gc', '--print-dead'])).trim().split('\n').sort()
    assert.deepEqual(dead, [...d.store.paths.keys()].map(b => `/nix/store/${b}`).sort())
    const victim = dead[0]!
    await nix(d, ['nix-store', '--delete', victim])
    assert.equal(d.store.paths.has(victim.slice('/nix/store/'.length)), false)
    await nix(d, ['nix-store', '--verify'])
  })

  it('nix copy --from a binary cache (QueryValidPaths, AddMultipleToStore)', async function () {
    if (!which('nix')) skipBecause(this, 'nix (2.8) not installed')
    const src = join(d.dir, 'src-store')
    const cache = join(d.dir, 'cache')
    const file = join(d.dir, 'copied.txt')
    writeFileSync(file, 'copied\n')
    const p = (await run('nix-store', ['--store', src, '--add', file], { env: { ...process.env, NIX_REMOTE: '' } })).stdout.trim()
    await run('nix', ['--extra-experimental-features', 'nix-command', 'copy', '--from', src, '--to', `file://${cache}`, p], { env: { ...process.env, NIX_REMOTE: '' } })
    await nix(d, ['nix', '--extra-experimental-features', 'nix-command', 'copy', '--from', `file://${cache}`, '--no-check-sigs', p])
    assert.ok(d.store.paths.has(StorePath.fromBaseName(p.slice('/nix/store/'.length)).baseName))
    assert.equal((await nix(d, ['nix-store', '-q', '--hash', p])).trim(), NixHash.of('sha256', narOfFile(enc.encode('copied\n'))).format('nix32'))
  })

  it('an untrusted user (SO_PEERCRED) may query but not repair', async function () {
    if (!isRoot || !havePeerCredentials()) skipBecause(this, 'needs root and the native peer-credentials addon')
    const file = join(d.dir, 'nobody.txt')
    writeFileSync(file, 'nobody\n')
    chmodSync(file, 0o644)
    const p = makeFixedOutputPath(sd, 'nobody.txt', 'nar', NixHash.of('sha256', narOfFile(enc.encode('nobody\n'))))
    assert.equal((await nix(d, ['nix-store', '--add', file], { user: 'nobody' })).trim(), sd.print(p))
    await assert.rejects(nix(d, ['nix-store', '--verify', '--repair'], { user: 'nobody' }), (e: { stderr?: string }) => /you are not privileged to repair paths/.test(e.stderr ?? ''))
  })
})

describe('C++ Nix 2.34 clients against our daemon (memory store)', function () {
  let d: Daemon
  let ref: { script: string; root: string }
  before(async function () {
    const r = referenceNix()
    if (!r) skipBecause(this, 'reference Nix 2.34 not set up (/var/tmp/reference-nix)')
    ref = r
    const dir = mkdtempSync(join(ref.root, 'data', 'tsnix-protocol-clients-'))
    d = await startDaemon(dir)
  })
  after(() => { d?.server.close(); if (d) rmSync(d.dir, { recursive: true, force: true }) })

  const inner = (p: string) => p.slice(ref.root.length)
  const nix34 = async (args: string[], input?: string) => {
    const child = run('chroot', [ref.root, 'env', `NIX_REMOTE=unix://${inner(d.sock)}`, 'HOME=/tmp', ...args], { timeout: 30_000 })
    if (input !== undefined) child.child.stdin!.end(readFileSync(input))
    return (await child).stdout
  }

  it('nix-store --add, nix path-info --json, nix-store --import', async function () {
    mkdirSync(d.dir, { recursive: true })
    const file = join(d.dir, 'hello.txt')
    writeFileSync(file, 'hello 2.34\n')
    const narHash = NixHash.of('sha256', narOfFile(enc.encode('hello 2.34\n')))
    const p = makeFixedOutputPath(sd, 'hello.txt', 'nar', narHash)
    assert.equal((await nix34(['nix-store', '--add', inner(file)])).trim(), sd.print(p))
    const info = JSON.parse(await nix34(['nix', 'path-info', '--json', sd.print(p)])) as Record<string, Record<string, unknown>> | Array<Record<string, unknown>>
    const entry = Array.isArray(info) ? info[0]! : info[sd.print(p)]!
    assert.equal(entry['narHash'], narHash.toSRI())
    const exp = fixture('captures', 'files', 'trivial.export')
    if (exp) assert.equal((await nix34(['nix-store', '--import'], exp)).trim(), '/nix/store/znyyscdwajc1758rpqhixphdhcs626gn-trivial')
  })
})

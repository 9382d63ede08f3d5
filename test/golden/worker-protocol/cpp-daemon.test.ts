/**
 * Our WorkerClient against real C++ daemons: Debian's nix-daemon 2.8 and Nix 2.34.8 from the
 * reference chroot, each run as `nix-daemon --stdio` (trusted peer) on a private, empty store
 * (`NIX_REMOTE=local?root=<tmp>`; the host's /nix/store is never touched). The client speaks
 * several protocol versions, so the old request forms (legacy AddToStore, AddTextToStore,
 * STDERR_READ and raw NAR uploads) are checked against C++ too. Expected store paths and hashes
 * are computed independently (make-store-path, node:crypto) and must agree with the daemon's.
 */
import assert from 'node:assert/strict'
import { type ChildProcess, execFileSync, spawn } from 'node:child_process'
import { mkdtempSync, rmSync, symlinkSync, writeFileSync, mkdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { isSuccess, makeFixedOutputPath, makeTextPath, NixHash, type PathInfo, StoreDir, StorePath } from '../../../src/store-path/index.js'
import { WireWriter } from '../../../src/wire/index.js'
import { RemoteError, type StderrFrame, WorkerClient } from '../../../src/worker-protocol/index.js'
import { nix28, referenceNix, skipBecause } from '../../support/env.js'

const sd = new StoreDir()
const enc = new TextEncoder()

function narOf(contents: string | Uint8Array): Uint8Array {
  const w = new WireWriter()
  for (const t of ['nix-archive-1', '(', 'type', 'regular', 'contents']) w.string(t)
  w.bytes(typeof contents === 'string' ? enc.encode(contents) : contents)
  w.string(')')
  return w.finish()
}

interface Daemon {
  client(minor: number, onLog?: (f: StderrFrame) => void): Promise<WorkerClient>
  /** A directory the daemon sees at `inner` (for indirect roots). */
  dir: { host: string; inner: string }
  version: string
  cleanup(): void
}

function startDaemon(kind: '2.8' | '2.34'): Daemon | undefined {
  const children: ChildProcess[] = []
  let host: string
  let inner: string
  let cmd: string
  let args: (root: string) => string[]
  let version: string
  if (kind === '2.8') {
    const n = nix28()
    if (!n || !execFileSync('sh', ['-c', 'command -v nix-daemon || true'], { encoding: 'utf8' }).trim()) return undefined
    host = mkdtempSync(join(tmpdir(), 'tsnix-proto-'))
    inner = host
    mkdirSync(join(host, 'conf'))
    writeFileSync(join(host, 'conf', 'nix.conf'), 'build-users-group =\nsandbox = false\nsubstituters =\n')
    cmd = 'env'
    args = root => [`NIX_REMOTE=local?root=${root}`, `NIX_CONF_DIR=${join(host, 'conf')}`, 'nix-daemon', '--stdio']
    version = n.version.replace(/^.* /, '')
  } else {
    const ref = referenceNix()
    if (!ref) return undefined
    host = mkdtempSync(join(ref.root, 'data', 'tsnix-protocol-'))
    inner = host.slice(ref.root.length)
    cmd = 'chroot'
    args = root => [ref.root, 'env', `NIX_REMOTE=local?root=${root}`, 'nix-daemon', '--stdio', '--option', 'substituters', '']
    version = '2.34.8'
  }
  let n = 0
  return {
    dir: { host, inner },
    version,
    async client(minor, onLog) {
      const root = join(inner, `store-${n++}`)
      const child = spawn(cmd, args(root), { stdio: ['pipe', 'pipe', 'ignore'] })
      children.push(child)
      return WorkerClient.fromStreams(child.stdout!, child.stdin!, { protocolVersion: 0x100 | minor, ...(onLog ? { onLog } : {}) }, () => child.stdin!.end())
    },
    cleanup() {
      for (const c of children) if (c.exitCode === null) c.kill()
      rmSync(host, { recursive: true, force: true })
    },
  }
}

const VERSIONS = [38, 34, 25, 24, 22, 20, 18]

for (const kind of ['2.8', '2.34'] as const) {
  describe(`WorkerClient against C++ nix-daemon ${kind}`, function () {
    let d: Daemon | undefined
    before(function () {
      d = startDaemon(kind)
      if (!d) skipBecause(this, kind === '2.8' ? 'nix-daemon 2.8 not installed' : 'reference Nix 2.34 not set up (/var/tmp/reference-nix)')
    })
    after(() => d?.cleanup())

    for (const minor of VERSIONS) {
      it(`protocol 1.${minor}: add, query, NAR round trip, roots, GC, errors`, async () => {
        const logs: StderrFrame[] = []
        const c = await d!.client(minor, f => logs.push(f))
        const daemonMinor = kind === '2.8' ? 34 : 38
        assert.equal(c.version, 0x100 | Math.min(minor, daemonMinor))
        assert.equal(c.daemonNixVersion, minor >= 33 ? d!.version : undefined)
        assert.equal(c.trusted, minor >= 35 && kind === '2.34' ? 'Trusted' : undefined)
        await c.setOptions()

        // text path (AddToStore text:sha256 from 1.25, AddTextToStore before)
        const text = enc.encode('hello\n')
        const textPath = makeTextPath(sd, 'hello.txt', NixHash.of('sha256', text))
        const t = await c.addToStore('hello.txt', { method: 'text', algo: 'sha256' }, [], text)
        assert.ok((t instanceof StorePath ? t : t.path).equals(textPath))

        // NAR-method path (AddToStore fixed:r:sha256, or the legacy request with a raw NAR)
        const nar = narOf('some data\n')
        const narPath = makeFixedOutputPath(sd, 'data', 'nar', NixHash.of('sha256', nar))
        const n = await c.addToStore('data', { method: 'nar', algo: 'sha256' }, [], nar)
        assert.ok((n instanceof StorePath ? n : n.path).equals(narPath))

        // flat path (only from 1.25)
        if (minor >= 25) {
          const flat = await c.addToStore('flat', { method: 'flat', algo: 'sha256' }, [], [enc.encode('fl'), enc.encode('at\n')])
          assert.ok(!(flat instanceof StorePath))
          assert.ok(flat.path.equals(makeFixedOutputPath(sd, 'flat', 'flat', NixHash.of('sha256', 'flat\n'))))
          assert.equal(flat.ca?.method, 'flat')
          assert.ok(flat.narHash.equals(NixHash.of('sha256', narOf('flat\n'))))
        }

        const info = await c.queryPathInfo(narPath)
        assert.ok(info)
        assert.ok(info.narHash.equals(NixHash.of('sha256', nar)))
        assert.equal(info.narSize, nar.length)
        if (c.version >= 0x110) assert.equal(info.ca?.method, 'nar')
        assert.equal(await c.isValidPath(narPath), true)

        // an input-addressed path with a reference, by AddToStoreNar (framed / STDERR_READ / raw by version)
        const ia = StorePath.fromBaseName('00000000000000000000000000000000-ia')
        const iaNar = narOf(`refers to ${sd.print(textPath)}\n`)
        const iaInfo: PathInfo = {
          path: ia, deriver: undefined, narHash: NixHash.of('sha256', iaNar), references: [textPath], registrationTime: 0,
          narSize: iaNar.length, ultimate: false, sigs: [], ca: undefined,
        }
        await c.addToStoreNar(iaInfo, [iaNar.subarray(0, 20), iaNar.subarray(20)], { dontCheckSigs: true })
        assert.deepEqual((await c.queryPathInfo(ia))?.references.map(p => p.baseName), [textPath.baseName])
        assert.deepEqual((await c.queryReferrers(textPath)).map(p => p.baseName), [ia.baseName])
        assert.equal(await c.queryPathInfo(StorePath.fromBaseName('11111111111111111111111111111111-nope')), undefined)

        const valid = await c.queryValidPaths([ia, textPath, StorePath.fromBaseName('11111111111111111111111111111111-nope')])
        assert.deepEqual(valid.map(p => p.baseName).sort(), [ia.baseName, textPath.baseName].sort())
        assert.equal((await c.queryAllValidPaths()).length, minor >= 25 ? 4 : 3)
        assert.ok((await c.queryPathFromHashPart(narPath.hashPart))?.equals(narPath))
        assert.equal(await c.queryDeriver(ia), undefined)

        // the NAR comes back as it went in
        const back: Uint8Array[] = []
        await c.narFromPath(ia, ch => { back.push(ch.slice()) })
        assert.equal(Buffer.concat(back).toString('hex'), Buffer.from(iaNar).toString('hex'))

        // several paths at once (from 1.32)
        if (c.version >= 0x120) {
          const m1 = narOf('one\n')
          const m2 = narOf('two\n')
          const p1 = StorePath.fromBaseName('22222222222222222222222222222222-one')
          const p2 = StorePath.fromBaseName('33333333333333333333333333333333-two')
          const mk = (path: StorePath, b: Uint8Array, references: StorePath[]): PathInfo => ({
            path, deriver: undefined, narHash: NixHash.of('sha256', b), references, registrationTime: 0, narSize: b.length, ultimate: false, sigs: [], ca: undefined,
          })
          await c.addMultipleToStore([{ info: mk(p1, m1, []), nar: m1 }, { info: mk(p2, m2, [p1]), nar: m2 }], { count: 2, dontCheckSigs: true })
          assert.deepEqual((await c.queryPathInfo(p2))?.references.map(p => p.baseName), [p1.baseName])
        }

        await c.addSignatures(ia, ['test-key:' + Buffer.alloc(64).toString('base64')])
        assert.equal((await c.queryPathInfo(ia))?.sigs.length, 1)

        // roots: a temp root, and an indirect root through a symlink the client made
        await c.addTempRoot(narPath)
        const link = join(d!.dir.host, `root-${minor}`)
        symlinkSync(sd.print(ia), link)
        await c.addIndirectRoot(join(d!.dir.inner, `root-${minor}`))
        const roots = await c.findRoots()
        assert.ok(roots.some(r => r.target.equals(ia) && r.link === join(d!.dir.inner, `root-${minor}`)), 'indirect root found')

        // GC: the text path is referenced by a rooted path, so nothing is dead yet
        const dead = await c.collectGarbage({ action: 'returnDead', pathsToDelete: { kind: 'specific', paths: [], deleteReferrers: false }, ignoreLiveness: false, maxFreed: (1n << 64n) - 1n })
        assert.ok(!dead.paths.includes(sd.print(textPath)))
        await assert.rejects(
          c.collectGarbage({ action: 'deleteSpecific', pathsToDelete: { kind: 'specific', paths: [textPath], deleteReferrers: false }, ignoreLiveness: false, maxFreed: (1n << 64n) - 1n }),
          (e: unknown) => e instanceof RemoteError && /still alive/.test(e.message),
        )

        // an error keeps the connection usable
        await assert.rejects(c.ensurePath(StorePath.fromBaseName('44444444444444444444444444444444-missing')), RemoteError)
        assert.equal(await c.isValidPath(ia), true)

        await c.optimiseStore()
        assert.equal(await c.verifyStore(false), false)
        await c.syncWithGC()
        if (c.version >= 0x113) {
          const m = await c.queryMissing([{ kind: 'opaque', path: ia }])
          assert.deepEqual([m.willBuild.length, m.willSubstitute.length, m.unknown.length], [0, 0, 0])
        }
        await c.buildPaths([{ kind: 'opaque', path: ia }])
        if (c.version >= 0x122) {
          const [r] = await c.buildPathsWithResults([{ kind: 'opaque', path: ia }])
          assert.ok(r && isSuccess(r.status), `build result ${r?.status}`)
        }
        if (c.version >= 0x120) await c.addBuildLog(StorePath.fromBaseName('55555555555555555555555555555555-x.drv'), enc.encode('a log\n'))
        c.close()
      })
    }
  })
}

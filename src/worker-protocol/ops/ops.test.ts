import assert from 'node:assert/strict'
import { NixHash, type PathInfo, StorePath } from '../../store-path/index.js'
import { MemoryStore, narOfFile } from '../../../test/support/memory-store.js'
import type { StderrFrame } from '../codec/index.js'
import { WorkerClient } from '../client.js'
import { ServerConnection } from '../connection.js'
import { RemoteError } from '../errors.js'
import { bytePipe } from '../io.js'
import { storeHandlers } from './index.js'

const enc = new TextEncoder()
const P = StorePath.fromBaseName('g1w7hy3qg1w7hy3qg1w7hy3qg1w7hy3q-foo')

async function connect(store: MemoryStore, trusted: boolean, minor = 38, onLog?: (f: StderrFrame) => void) {
  const c2d = bytePipe()
  const d2c = bytePipe()
  const conn = new ServerConnection(c2d.source, d2c.sink, { handlers: storeHandlers(store, { trusted, clientId: 'c1' }, { trustedSubstituters: ['https://cache.example'] }), trusted })
  const ended = conn.run().then(r => { d2c.close(); return r })
  const client = await WorkerClient.over(d2c.source, c2d.sink, { protocolVersion: 0x100 | minor, ...(onLog ? { onLog } : {}) }, () => c2d.close())
  return { client, ended }
}

function infoFor(nar: Uint8Array, extra: Partial<PathInfo> = {}): PathInfo {
  return { path: P, deriver: undefined, narHash: NixHash.of('sha256', nar), references: [], registrationTime: 0, narSize: nar.length, ultimate: true, sigs: [], ca: undefined, ...extra }
}

describe('op handlers over the Store facade', () => {
  it('untrusted AddToStoreNar cannot claim ultimate', async () => {
    const store = new MemoryStore()
    const { client } = await connect(store, false)
    const nar = narOfFile(enc.encode('x'))
    await client.addToStoreNar(infoFor(nar), nar, { dontCheckSigs: true })
    assert.equal(store.paths.get(P.baseName)?.info.ultimate, false)
    client.close()
  })

  it('AddMultipleToStore adds every path of the framed stream, ultimate cleared', async () => {
    const store = new MemoryStore()
    const { client } = await connect(store, true)
    const n1 = narOfFile(enc.encode('one'))
    const n2 = narOfFile(enc.encode('two'))
    const q = StorePath.fromBaseName('00000000000000000000000000000000-two')
    await client.addMultipleToStore([{ info: infoFor(n1), nar: n1 }, { info: infoFor(n2, { path: q, references: [P] }), nar: n2 }], { count: 2 })
    assert.deepEqual([...store.paths.keys()].sort(), [q.baseName, P.baseName].sort())
    assert.equal(store.paths.get(P.baseName)?.info.ultimate, false)
    client.close()
  })

  it('SetOptions keeps only what an untrusted client may set, with C++\'s warnings', async () => {
    const store = new MemoryStore()
    const frames: StderrFrame[] = []
    const { client } = await connect(store, false, 38, f => frames.push(f))
    await client.setOptions({ overrides: new Map([['sandbox', 'false'], ['timeout', '9'], ['substituters', 'https://cache.example https://evil.example'], ['builders', '']]) })
    const lines = frames.flatMap(f => (f.kind === 'next' ? [f.message] : []))
    assert.ok(lines.some(l => l.includes("ignoring the client-specified setting 'sandbox', because it is a restricted setting and you are not a trusted user")))
    assert.ok(lines.some(l => l.includes("ignoring untrusted substituter 'https://evil.example'")))
    client.close()
  })

  it('VerifyStore with repair is refused after startWork: the connection stays', async () => {
    const { client } = await connect(new MemoryStore(), false)
    await assert.rejects(client.verifyStore(false, true), /you are not privileged to repair paths/)
    assert.equal(await client.verifyStore(false), false)
    client.close()
  })

  it('BuildPaths with repair is refused before startWork: the connection closes', async () => {
    const { client, ended } = await connect(new MemoryStore(), false)
    await assert.rejects(client.buildPaths([{ kind: 'opaque', path: P }], 'repair'), /repairing is not allowed because you are not in 'trusted-users'/)
    assert.equal((await ended).kind, 'closed')
  })

  it('AddPermRoot and AddBuildLog need a trusted client', async () => {
    const a = await connect(new MemoryStore(), false)
    await assert.rejects(a.client.addBuildLog(StorePath.fromBaseName('g1w7hy3qg1w7hy3qg1w7hy3qg1w7hy3q-foo.drv'), enc.encode('log')), /you are not privileged to add logs/)
    await assert.rejects(a.client.addPermRoot(P, '/tmp/root'), /you are not privileged to create perm roots/)
    assert.equal((await a.ended).kind, 'closed')
  })

  it('CollectGarbage refuses to ignore liveness, and deletes only dead paths', async () => {
    const store = new MemoryStore()
    const { client } = await connect(store, true)
    const nar = narOfFile(enc.encode('x'))
    await client.addToStoreNar(infoFor(nar), nar)
    const gc = { action: 'deleteSpecific' as const, pathsToDelete: { kind: 'specific' as const, paths: [P], deleteReferrers: false }, ignoreLiveness: true, maxFreed: (1n << 64n) - 1n }
    await assert.rejects(client.collectGarbage(gc), /you are not allowed to ignore liveness/)
    await client.addTempRoot(P)
    await assert.rejects(client.collectGarbage({ ...gc, ignoreLiveness: false }), /since it is still alive/)
    client.close()
  })

  it('BuildPaths turns a failed build into an error; BuildPathsWithResults returns it', async () => {
    const { client } = await connect(new MemoryStore(), true)
    const drv = StorePath.fromBaseName('g1w7hy3qg1w7hy3qg1w7hy3qg1w7hy3q-foo.drv')
    await assert.rejects(client.buildPaths([{ kind: 'built', drvPath: drv, outputs: { kind: 'all' } }]), (e: unknown) => e instanceof RemoteError && /cannot build/.test(e.message))
    const [r] = await client.buildPathsWithResults([{ kind: 'built', drvPath: drv, outputs: { kind: 'all' } }])
    assert.match(r!.errorMsg, /cannot build/)
    client.close()
  })

  it('NarFromPath of an invalid path is an ordinary error', async () => {
    const { client } = await connect(new MemoryStore(), true)
    await assert.rejects(client.narFromPath(P, () => {}), /is not valid/)
    assert.equal(await client.isValidPath(P), false)
    client.close()
  })

  it('QueryRealisation answers in the form of the negotiated version', async () => {
    const store = new MemoryStore()
    const id = { drvHash: 'sha256:' + 'ab'.repeat(32), outputName: 'out' }
    store.realisations.set(`${id.drvHash}!out`, { id, outPath: P, signatures: [], dependentRealisations: new Map() })
    for (const [minor, kind] of [[38, 'realisations'], [30, 'paths']] as const) {
      const { client } = await connect(store, true, minor)
      const r = await client.queryRealisation({ kind: 'hash', id })
      assert.equal(r.kind, kind)
      client.close()
    }
  })
})

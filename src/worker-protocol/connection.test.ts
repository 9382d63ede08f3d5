import assert from 'node:assert/strict'
import { NixError } from '../errors.js'
import { NixHash, StoreDir, StorePath, type PathInfo } from '../store-path/index.js'
import { WireReader, WireWriter } from '../wire/index.js'
import { StderrFrameCodec, codecContext, type StderrFrame } from './codec/index.js'
import { WorkerClient } from './client.js'
import { ServerConnection, type ServerOptions } from './connection.js'
import { ActivityType, Verbosity } from '../logger.js'
import { RemoteError } from './errors.js'
import type { OpHandlers } from './handler.js'
import { bytePipe, MemorySink } from './io.js'
import { FEATURE_REALISATION_WITH_PATH } from './version.js'

class TestError extends NixError { constructor(m: string) { super('ERR_TEST', m) } }

/** A NAR of one regular file, from the grammar by hand. */
function narOf(contents: string): Uint8Array {
  const w = new WireWriter()
  for (const t of ['nix-archive-1', '(', 'type', 'regular', 'contents', contents, ')']) w.string(t)
  return w.finish()
}

const sd = new StoreDir()
const P = StorePath.fromBaseName('g1w7hy3qg1w7hy3qg1w7hy3qg1w7hy3q-foo')
const info = (nar: Uint8Array): PathInfo => ({
  path: P, deriver: undefined, narHash: NixHash.of('sha256', nar), references: [], registrationTime: 0, narSize: nar.length,
  ultimate: false, sigs: [], ca: undefined,
})

async function connect(handlers: OpHandlers, opts: { client?: number; server?: Partial<ServerOptions>; onLog?: (f: StderrFrame) => void; features?: string[] } = {}) {
  const c2d = bytePipe()
  const d2c = bytePipe()
  const server = new ServerConnection(c2d.source, d2c.sink, { handlers, trusted: true, ...opts.server })
  const ended = server.run().then(r => { d2c.close(); return r })
  const client = await WorkerClient.over(d2c.source, c2d.sink, {
    ...(opts.client ? { protocolVersion: 0x100 | opts.client } : {}),
    ...(opts.onLog ? { onLog: opts.onLog } : {}),
    ...(opts.features ? { features: opts.features } : {}),
  }, () => c2d.close())
  return { client, server, ended }
}

describe('ServerConnection with WorkerClient', () => {
  for (let minor = 18; minor <= 38; minor++) {
    it(`speaks protocol 1.${minor}: handshake, options, uploads in that version's form, NAR download`, async () => {
      const nar = narOf(`hello ${minor}\n`)
      let stored: Uint8Array | undefined
      const { client, ended } = await connect({
        IsValidPath: { run: async req => req.path.equals(P) && stored !== undefined },
        AddToStoreNar: {
          async run(req, io) {
            const parts: Uint8Array[] = []
            for await (const c of io.upload!) parts.push(c)
            stored = Uint8Array.from(Buffer.concat(parts))
            assert.ok(req.info.narHash.equals(NixHash.of('sha256', stored)))
            return undefined
          },
        },
        NarFromPath: { run: async () => (async function* () { yield stored! })() },
        QueryPathInfo: { run: async () => info(stored!) },
      }, { client: minor })
      assert.equal(client.version, 0x100 | minor)
      assert.equal(client.daemonNixVersion, minor >= 33 ? '2.34.8' : undefined)
      assert.equal(client.trusted, minor >= 35 ? 'Trusted' : undefined)
      await client.setOptions({ verbosity: Verbosity.Debug })
      assert.equal(await client.isValidPath(P), false)
      await client.addToStoreNar(info(nar), [nar.subarray(0, 5), nar.subarray(5)])
      assert.deepEqual(stored, nar)
      assert.equal(await client.isValidPath(P), true)
      assert.equal((await client.queryPathInfo(P))?.narSize, nar.length)
      const back: Uint8Array[] = []
      await client.narFromPath(P, c => { back.push(c.slice()) })
      assert.deepEqual(Buffer.concat(back), Buffer.from(nar))
      client.close()
      assert.deepEqual(await ended, { kind: 'eof', ops: 6 })
    })
  }

  it('keeps the connection after an error raised once work has started', async () => {
    const { client, ended } = await connect({
      EnsurePath: { run: async () => { throw new TestError('path is not valid') } },
      IsValidPath: { run: async () => true },
    })
    await assert.rejects(client.ensurePath(P), (e: unknown) => e instanceof RemoteError && e.message === 'path is not valid')
    assert.equal(await client.isValidPath(P), true)
    client.close()
    assert.equal((await ended).kind, 'eof')
  })

  it('closes the connection after an error raised before startWork (two STDERR_ERRORs)', async () => {
    const { client, ended } = await connect({
      BuildPaths: { precheck: () => { throw new TestError("repairing is not allowed because you are not in 'trusted-users'") }, run: async () => undefined },
    })
    await assert.rejects(client.buildPaths([], 'repair'), /repairing is not allowed/)
    const end = await ended
    assert.equal(end.kind, 'closed')
  })

  it('drains a framed upload the handler abandoned half-way, so the next op is read correctly', async () => {
    const { client, ended } = await connect({
      AddToStore: {
        async run(_req, io) {
          for await (const _ of io.upload!) throw new TestError('cannot add this')
          return { kind: 'path', path: P }
        },
      },
      IsValidPath: { run: async () => true },
    })
    const big = new Uint8Array(300_000).fill(7)
    await assert.rejects(client.addToStore('x', { method: 'flat', algo: 'sha256' }, [], [big, big]), /cannot add this/)
    assert.equal(await client.isValidPath(P), true)
    client.close()
    assert.equal((await ended).kind, 'eof')
  })

  /*
   * Regression: a bad NAR inside intact frames (a client whose dump failed sends an empty
   * stream; C++ answers "end of string reached" and the 2.8 client goes on with "error
   * (ignored)") closed the connection, because NAR errors are ProtocolErrors. The frames are
   * read to their terminator, as C++ FramedSource does, so the connection stays usable.
   */
  it('keeps the connection when the contents of a framed upload are rejected as a bad NAR', async () => {
    const { BadArchiveError } = await import('../nar/index.js')
    const { client, ended } = await connect({
      AddToStore: {
        async run(_req, io) {
          for await (const _ of io.upload!) throw new BadArchiveError("input doesn't look like a Nix archive")
          throw new BadArchiveError('end of string reached')
        },
      },
      IsValidPath: { run: async () => true },
    })
    await assert.rejects(client.addToStore('x', { method: 'nar', algo: 'sha256' }, [], new Uint8Array(200_000).fill(1)), /doesn't look like a Nix archive/)
    await assert.rejects(client.addToStore('x', { method: 'nar', algo: 'sha256' }, [], new Uint8Array(0)), /end of string reached/)
    assert.equal(await client.isValidPath(P), true)
    client.close()
    assert.equal((await ended).kind, 'eof')
  })

  it('delivers log lines filtered by the client verbosity, and activities with ids and parents', async () => {
    const frames: StderrFrame[] = []
    const { client } = await connect({
      OptimiseStore: {
        async run(_req, io) {
          io.logger.log(Verbosity.Info, 'shown')
          io.logger.log(Verbosity.Debug, 'hidden')
          const a = io.logger.startActivity(ActivityType.OptimiseStore, Verbosity.Info, 'optimising')
          const b = io.logger.startActivity(ActivityType.Unknown, Verbosity.Error, '', [], a)
          a.result(105, [1, 2, 0, 0])
          b.stop()
          a.stop()
          return undefined
        },
      },
    }, { onLog: f => frames.push(f) })
    await client.setOptions({ verbosity: Verbosity.Info })
    await client.optimiseStore()
    assert.deepEqual(frames.map(f => f.kind), ['next', 'startActivity', 'startActivity', 'result', 'stopActivity', 'stopActivity'])
    const [line, a, b, res] = frames as [Extract<StderrFrame, { kind: 'next' }>, Extract<StderrFrame, { kind: 'startActivity' }>, Extract<StderrFrame, { kind: 'startActivity' }>, Extract<StderrFrame, { kind: 'result' }>]
    assert.equal(line.message, 'shown\n')
    assert.equal(a.text, 'optimising')
    assert.equal(b.parent, a.id)
    assert.deepEqual(res.fields, [1n, 2n, 0n, 0n])
    client.close()
  })

  it('turns activities into log lines for clients below 1.20', async () => {
    const frames: StderrFrame[] = []
    const { client } = await connect({
      OptimiseStore: { async run(_r, io) { io.logger.startActivity(ActivityType.Build, Verbosity.Info, 'building foo').stop(); return undefined } },
    }, { client: 19, onLog: f => frames.push(f) })
    await client.optimiseStore()
    assert.deepEqual(frames, [{ kind: 'next', message: 'building foo...\n' }])
    client.close()
  })

  it('queues log lines made between ops and sends them at the next startWork', async () => {
    const frames: StderrFrame[] = []
    let conn: ServerConnection | undefined
    const { client, server } = await connect({
      SyncWithGC: { run: async () => { conn!.logger.log(Verbosity.Error, 'after the op'); return undefined } },
      IsValidPath: { run: async () => true },
    }, { onLog: f => frames.push(f) })
    conn = server
    await client.syncWithGC()
    assert.deepEqual(frames, [{ kind: 'next', message: 'after the op\n' }])
    server.logger.log(Verbosity.Error, 'between ops')
    await client.isValidPath(P)
    assert.deepEqual(frames.at(-1), { kind: 'next', message: 'between ops\n' })
    client.close()
  })

  it('negotiates the intersection of features and uses their encodings', async () => {
    const { client } = await connect({
      QueryRealisation: { run: async () => ({ kind: 'unkeyed', realisation: { outPath: P, signatures: ['k:s'] } }) },
    }, { server: { features: [FEATURE_REALISATION_WITH_PATH, 'foo'] }, features: [FEATURE_REALISATION_WITH_PATH, 'bar'] })
    assert.deepEqual([...client.features], [FEATURE_REALISATION_WITH_PATH])
    const r = await client.queryRealisation({ kind: 'path', id: { drvPath: StorePath.fromBaseName('g1w7hy3qg1w7hy3qg1w7hy3qg1w7hy3q-foo.drv'), outputName: 'out' } })
    assert.deepEqual(r, { kind: 'unkeyed', realisation: { outPath: P, signatures: ['k:s'] } })
    client.close()
  })

  it('answers an unknown op as C++ does: "invalid operation N" twice, then closes', async () => {
    // client bytes: hello at 1.38, no features, options; then op 99
    const w = new WireWriter().u64(0x6e697863n).u64(0x126).u64(0).u64(0).u64(0).u64(99)
    const sink = new MemorySink()
    const conn = new ServerConnection((async function* () { yield w.finish() })(), sink, { handlers: {}, trusted: true })
    assert.equal((await conn.run()).kind, 'closed')
    const r = new WireReader(sink.bytes())
    r.raw(16 + 8 + 16 + 8) // magic and version, no features, version string "2.34.8", trust flag
    const ctx = codecContext()
    assert.deepEqual(StderrFrameCodec.read(r, ctx), { kind: 'last' })
    const err = { kind: 'error', error: { message: 'invalid operation 99', level: 0, traces: [], exitStatus: 1 } }
    assert.deepEqual(StderrFrameCodec.read(r, ctx), err)
    assert.deepEqual(StderrFrameCodec.read(r, ctx), err)
    assert.ok(r.atEnd)
  })

  it('sends the old error format (message with "error: ", status) below 1.26', async () => {
    const { client } = await connect({ EnsurePath: { run: async () => { throw new TestError('nope') } } }, { client: 25 })
    await assert.rejects(client.ensurePath(P), (e: unknown) => e instanceof RemoteError && e.message === 'error: nope' && e.exitStatus === 1)
    client.close()
  })

  it('serves handlers that answer or throw without a promise like async ones', async () => {
    // the daemon's fast path: no await when the request is whole and the handler answers at once
    const nar = narOf('sync\n')
    let drained = false
    const { client, ended } = await connect({
      IsValidPath: { run: req => req.path.equals(P) },
      QueryPathInfo: { run: () => info(nar) },
      EnsurePath: { run: () => { throw new TestError('path is not valid') } },
      AddToStore: { run: () => { throw new TestError('cannot add this') } },
      OptimiseStore: { run: (_r, io) => { io.logger.log(Verbosity.Error, 'logged'); drained = true; return undefined } },
    }, { onLog: f => { if (f.kind === 'next') assert.equal(f.message, 'logged\n') } })
    assert.equal(await client.isValidPath(P), true)
    assert.equal((await client.queryPathInfo(P))?.narSize, nar.length)
    assert.equal((await client.queryPathInfo(P))?.narSize, nar.length) // the remembered reply bytes
    await assert.rejects(client.ensurePath(P), (e: unknown) => e instanceof RemoteError && e.message === 'path is not valid')
    // a synchronous throw still has its upload read to the end: the next op is read correctly
    await assert.rejects(client.addToStore('x', { method: 'flat', algo: 'sha256' }, [], [new Uint8Array(300_000).fill(7)]), /cannot add this/)
    await client.optimiseStore()
    assert.ok(drained)
    assert.equal(await client.isValidPath(P), true)
    client.close()
    assert.deepEqual(await ended, { kind: 'eof', ops: 7 })
  })

  it('prints store paths with the configured store directory', () => {
    assert.equal(sd.print(P), '/nix/store/g1w7hy3qg1w7hy3qg1w7hy3qg1w7hy3q-foo')
  })
})

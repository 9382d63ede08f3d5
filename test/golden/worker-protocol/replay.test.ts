/**
 * Our daemon-side connection against real client traffic: each capture's client→daemon bytes
 * are fed to a ServerConnection whose handlers answer with what the C++ daemon answered in that
 * capture (its logger frames, reply or error). The bytes our connection writes must equal the
 * recorded daemon→client stream exactly: handshake, STDERR framing, startWork/stopWork,
 * replies, raw NARs, and the double STDERR_ERROR + close for errors raised before startWork.
 */
import assert from 'node:assert/strict'
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join, relative } from 'node:path'
import { NixError } from '../../../src/errors.js'
import {
  decodeTranscript, type HandshakeRecord, MemorySink, type OpHandler, type OpHandlers, type OpRecord, ServerConnection,
} from '../../../src/worker-protocol/index.js'
import { fixture, skipBecause } from '../../support/env.js'

class ReplayedError extends NixError { constructor(m: string) { super('ERR_REPLAYED', m) } }

function captureDirs(root: string): string[] {
  const out: string[] = []
  for (const name of readdirSync(root).sort()) {
    const p = join(root, name)
    if (!statSync(p).isDirectory()) continue
    if (readdirSync(p).includes('ops.jsonl')) out.push(p)
    else out.push(...captureDirs(p))
  }
  return out
}

async function* once(b: Uint8Array): AsyncGenerator<Uint8Array> { yield b }

/** The same bytes in small, uneven pieces (sizes 1, 2, … 13, 1, 2, …), as a slow socket gives them. */
async function* pieces(b: Uint8Array): AsyncGenerator<Uint8Array> {
  for (let o = 0, n = 1; o < b.length; o += n, n = (n % 13) + 1) yield b.slice(o, o + n)
}

function replayHandlers(records: OpRecord[], d2c: Uint8Array, prechecked: Set<number>, conn: () => ServerConnection): OpHandlers {
  const queue = [...records]
  const handler: OpHandler<unknown, unknown> = {
    precheck(req) {
      const rec = queue[0]!
      assert.deepStrictEqual(req, rec.request, `request of ${rec.name} #${rec.seq}`)
      if (prechecked.has(rec.seq)) { queue.shift(); throw new ReplayedError(rec.error!.message) }
    },
    async run(req, io) {
      const rec = queue.shift()!
      assert.deepStrictEqual(req, rec.request)
      let uploaded = 0
      if (io.upload) for await (const c of io.upload) uploaded += c.length
      if (rec.upload?.kind === 'framed') assert.equal(uploaded, rec.upload.bytes, 'framed payload length')
      for (const f of rec.stderr) conn().frame(f)
      if (rec.error) throw new ReplayedError(rec.error.message)
      if (rec.download) return once(d2c.subarray(rec.d2c[1] - rec.download.bytes, rec.d2c[1]))
      return rec.reply
    },
  }
  return new Proxy({}, { get: () => handler }) as OpHandlers
}

describe('captures replayed into our ServerConnection', function () {
  const root = fixture('captures')
  if (!root) {
    it('captures present', function () { skipBecause(this, 'shared/fixtures/captures not found') })
    return
  }
  for (const dir of captureDirs(root)) {
    const files = readdirSync(dir).filter(f => f.endsWith('.c2d.bin')).sort()
    for (const f of files) {
      const base = join(dir, f.slice(0, -'.c2d.bin'.length))
      for (const [how, feed] of [['whole', once], ['in pieces', pieces]] as const) it(`${relative(root, dir)} ${f.slice(0, 8)} (${how})`, async () => {
        const c2d = new Uint8Array(readFileSync(`${base}.c2d.bin`))
        const d2c = new Uint8Array(readFileSync(`${base}.d2c.bin`))
        const records = decodeTranscript(c2d, d2c)
        const hs = records[0] as HandshakeRecord
        const ops = records.filter((r): r is OpRecord => r.kind === 'op')
        // an error followed by a second one from the outer handler was raised before startWork()
        const prechecked = new Set<number>()
        records.forEach((r, i) => { if (r.kind === 'trailing-stderr' && records[i - 1]?.kind === 'op') prechecked.add((records[i - 1] as OpRecord).seq) })

        const sink = new MemorySink()
        let conn: ServerConnection | undefined = undefined
        conn = new ServerConnection(feed(c2d), sink, {
          handlers: replayHandlers(ops, d2c, prechecked, () => conn!),
          trusted: hs.info.remoteTrustsUs !== 'NotTrusted',
          daemonNixVersion: hs.info.daemonNixVersion ?? '',
          protocolVersion: hs.daemonVersion,
          features: hs.daemonFeatures ?? [],
        })
        const end = await conn.run()
        assert.equal(Buffer.from(sink.bytes()).toString('hex'), Buffer.from(d2c).toString('hex'))
        assert.equal(end.kind, prechecked.size > 0 ? 'closed' : 'eof')
      })
    }
  }
})

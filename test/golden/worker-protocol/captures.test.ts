/**
 * Real conversations between stock Nix clients and daemons (2.8.0 ↔ 2.34.8, unix and ssh-ng;
 * shared/fixtures/captures, recorded with shared/tools/wire-proxy): every connection decodes
 * with our codecs to the op sequence the independent Python decoder wrote to `ops.jsonl`
 * (requests C→D, logger frames and replies D→C, at the negotiated version of that
 * conversation), and re-encoding each request, logger frame sequence and reply with our
 * codecs gives back the recorded bytes.
 */
import assert from 'node:assert/strict'
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join, relative } from 'node:path'
import { StoreDir } from '../../../src/store-path/index.js'
import { WireWriter } from '../../../src/wire/index.js'
import {
  ClientHandshakeInfoCodec, ClientOptionsCodec, codecContext, type CodecContext, decodeTranscript, FeaturesCodec, type HandshakeRecord,
  opDef, type OpRecord, StderrFrameCodec, type TranscriptRecord, WORKER_MAGIC_1, WORKER_MAGIC_2,
} from '../../../src/worker-protocol/index.js'
import { fixture, skipBecause } from '../../support/env.js'
import { errorJson, handshakeJson, replyJson, requestJson, stderrJson } from './proxy-json.js'

const sd = new StoreDir()

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

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex')

function expectBytes(actual: Uint8Array, stream: Uint8Array, at: number, what: string): number {
  assert.equal(hex(actual), hex(stream.subarray(at, at + actual.length)), `${what} re-encodes to the recorded bytes at offset ${at}`)
  return at + actual.length
}

function checkHandshake(h: HandshakeRecord, c2d: Uint8Array, d2c: Uint8Array): CodecContext {
  const ctx = codecContext({ version: h.negotiated, features: h.features })
  const c = new WireWriter().u64(WORKER_MAGIC_1).u64(h.clientVersion)
  if (h.clientFeatures) FeaturesCodec.write(c, ctx, h.clientFeatures)
  ClientOptionsCodec.write(c, ctx, h.options)
  assert.equal(expectBytes(c.finish(), c2d, 0, 'client handshake'), h.c2dEnd)
  const d = new WireWriter().u64(WORKER_MAGIC_2).u64(h.daemonVersion)
  if (h.daemonFeatures) FeaturesCodec.write(d, ctx, h.daemonFeatures)
  ClientHandshakeInfoCodec.write(d, ctx, h.info)
  for (const f of h.stderr) StderrFrameCodec.write(d, ctx, f)
  StderrFrameCodec.write(d, ctx, h.error ? { kind: 'error', error: h.error } : { kind: 'last' })
  assert.equal(expectBytes(d.finish(), d2c, 0, 'daemon handshake'), h.d2cEnd)
  return ctx
}

function checkOpBytes(rec: OpRecord, ctx: CodecContext, c2d: Uint8Array, d2c: Uint8Array): void {
  const def = opDef(rec.op)
  assert.ok(def, `op ${rec.op} has codecs`)
  const req = new WireWriter().u64(rec.op)
  def.request.write(req, ctx, rec.request as never)
  expectBytes(req.finish(), c2d, rec.c2d[0], `${rec.name} request`)
  const d = new WireWriter()
  for (const f of rec.stderr) StderrFrameCodec.write(d, ctx, f)
  StderrFrameCodec.write(d, ctx, rec.error ? { kind: 'error', error: rec.error } : { kind: 'last' })
  if (!rec.error) def.reply.write(d, ctx, rec.reply as never)
  const end = expectBytes(d.finish(), d2c, rec.d2c[0], `${rec.name} logger frames and reply`)
  assert.equal(end + (rec.download?.bytes ?? 0), rec.d2c[1], `${rec.name} reply ends where the op ends`)
}

function toProxy(r: TranscriptRecord, ctx: CodecContext | undefined): Record<string, unknown> {
  switch (r.kind) {
    case 'handshake': return handshakeJson(r)
    case 'eof': return { kind: 'eof', ops: r.ops }
    case 'trailing-stderr': return { kind: 'trailing-stderr', stderr: stderrJson(r.stderr), error: r.error ? errorJson(r.error, ctx!.version) : null, d2c: [...r.d2c] }
    case 'op': {
      const v = ctx!.version
      const o: Record<string, unknown> = { kind: 'op', seq: r.seq, op: r.name, opnum: r.op, req: requestJson(r, v, sd), stderr: stderrJson(r.stderr) }
      if (r.error) o['error'] = errorJson(r.error, v)
      else o['resp'] = replyJson(r, v, sd)
      o['c2d'] = [...r.c2d]
      o['d2c'] = [...r.d2c]
      return o
    }
  }
}

/** Drop what our records do not model (capture times; the proxy's bookkeeping fields). */
function normalise(o: Record<string, unknown>): Record<string, unknown> {
  const { conn: _c, t: _t, ...rest } = o
  if (Array.isArray(rest['stderr'])) {
    rest['stderr'] = (rest['stderr'] as Array<Record<string, unknown>>).map(e => {
      if (e['k'] === 'READ') { const { got: _g, ...x } = e; return x }
      return e
    })
  }
  return rest
}

describe('captures: real client/daemon conversations', function () {
  const root = fixture('captures')
  if (!root) {
    it('captures present', function () { skipBecause(this, 'shared/fixtures/captures not found') })
    return
  }
  for (const dir of captureDirs(root)) {
    const name = relative(root, dir)
    const expected = readFileSync(join(dir, 'ops.jsonl'), 'utf8').trim().split('\n').map(l => JSON.parse(l) as Record<string, unknown>)
    const conns = [...new Set(expected.map(e => e['conn'] as number))]
    for (const conn of conns) {
      it(`${name} conn ${conn}`, () => {
        const base = join(dir, `conn-${String(conn).padStart(3, '0')}`)
        const c2d = new Uint8Array(readFileSync(`${base}.c2d.bin`))
        const d2c = new Uint8Array(readFileSync(`${base}.d2c.bin`))
        const records = decodeTranscript(c2d, d2c)
        let ctx: CodecContext | undefined
        const got: Record<string, unknown>[] = []
        for (const r of records) {
          if (r.kind === 'handshake') ctx = checkHandshake(r, c2d, d2c)
          if (r.kind === 'op') checkOpBytes(r, ctx!, c2d, d2c)
          got.push(toProxy(r, ctx))
        }
        const want = expected.filter(e => e['conn'] === conn).map(normalise)
        assert.deepStrictEqual(got.map(normalise), want)
      })
    }
  }
})

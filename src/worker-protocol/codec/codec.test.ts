import assert from 'node:assert/strict'
import fc from 'fast-check'
import { ByteSource, ProtocolError, WireLimitError, WireReader, WireWriter } from '../../wire/index.js'
import { HandshakeError, InvalidWireValueError, UnsupportedByProtocolError } from '../errors.js'
import { FEATURE_DELETE_DEAD_SPECIFIC_REFERRERS, FEATURE_REALISATION_WITH_PATH } from '../version.js'
import * as A from '../../../test/support/worker-protocol-arbitraries.js'
import {
  BuildModeCodec, OPS, BuildResultCodec, ClientSettingsCodec, type Codec, codecContext, type CodecContext, ContentAddressCodec,
  DaemonHelloCodec, decodeAll, DerivedPathCodec, encode, GCRequestCodec, KeyedBuildResultCodec, listOf, NarScanner, RealisationJsonCodec,
  StderrFrameCodec, StorePathCodec, ValidPathInfoCodec,
} from './index.js'

const V38 = codecContext()
const V38F = codecContext({ features: [FEATURE_REALISATION_WITH_PATH, FEATURE_DELETE_DEAD_SPECIFIC_REFERRERS] })

function roundTrip<T>(codec: Codec<T>, arb: fc.Arbitrary<T>, ctx: CodecContext): void {
  fc.assert(fc.property(arb, v => { assert.deepStrictEqual(decodeAll(codec, encode(codec, ctx, v), ctx), v) }), { numRuns: 200 })
}

/** At any version: what decodes re-encodes to the same bytes (encodings are canonical). */
function canonical<T>(codec: Codec<T>, arb: fc.Arbitrary<T>): void {
  fc.assert(fc.property(arb, A.context, (v, ctx) => {
    let bytes: Uint8Array
    try { bytes = encode(codec, ctx, v) } catch (e) { if (e instanceof UnsupportedByProtocolError) return; throw e }
    assert.deepStrictEqual(encode(codec, ctx, decodeAll(codec, bytes, ctx)), bytes)
  }), { numRuns: 200 })
}

async function* chunksOf(bytes: Uint8Array, cuts: number[]): AsyncGenerator<Uint8Array> {
  let prev = 0
  for (const c of [...cuts.filter(c => c < bytes.length), bytes.length].sort((a, b) => a - b)) {
    if (c > prev) yield bytes.slice(prev, c)
    prev = Math.max(prev, c)
  }
}

describe('worker-protocol codecs', () => {
  describe('decode(encode(x)) = x (property)', () => {
    it('store paths and content addresses', () => {
      roundTrip(StorePathCodec, A.storePath, V38)
      roundTrip(ContentAddressCodec, A.contentAddress, V38)
    })
    it('derived paths', () => roundTrip(DerivedPathCodec, A.derivedPath, V38))
    it('path infos', () => roundTrip(ValidPathInfoCodec, A.pathInfo, V38))
    it('build results, classic and with realisation-with-path-not-hash', () => {
      roundTrip(BuildResultCodec, A.buildResult(false), V38)
      roundTrip(BuildResultCodec, A.buildResult(true), V38F)
      roundTrip(KeyedBuildResultCodec, fc.tuple(A.buildResult(false), A.derivedPath).map(([r, path]) => ({ ...r, path })), V38)
    })
    it('realisation JSON', () => roundTrip(RealisationJsonCodec, A.realisation, V38))
    it('GC options, classic and with delete-dead-specific-referrers', () => {
      roundTrip(GCRequestCodec, A.gcRequest(false), V38)
      roundTrip(GCRequestCodec, A.gcRequest(true), V38F)
    })
    it('client settings', () => roundTrip(ClientSettingsCodec, A.clientSettings, V38))
    it('logger frames, new and old error format', () => {
      roundTrip(StderrFrameCodec, A.stderrFrame(0x126), V38)
      roundTrip(StderrFrameCodec, A.stderrFrame(0x119), codecContext({ version: 0x119 }))
    })
    it('BuildDerivation requests (basic derivations)', () => roundTrip(OPS.BuildDerivation.request, A.buildDerivationRequest, V38))
  })

  describe('canonical at every version 1.18 … 1.38 (property)', () => {
    it('build results', () => canonical(BuildResultCodec, A.buildResult(false)))
    it('path infos', () => canonical(ValidPathInfoCodec, A.pathInfo))
    it('derived paths', () => canonical(DerivedPathCodec, A.derivedPath))
    it('client settings', () => canonical(ClientSettingsCodec, A.clientSettings))
  })

  it('decodes the same values under any chunking of the input (property)', async () => {
    const Frames = listOf(StderrFrameCodec)
    const Infos = listOf(ValidPathInfoCodec)
    await fc.assert(fc.asyncProperty(fc.array(A.stderrFrame(0x126), { maxLength: 6 }), fc.array(A.pathInfo, { maxLength: 3 }), fc.array(fc.nat(3000)), async (frames, infos, cuts) => {
      const w = new WireWriter()
      Frames.write(w, V38, frames)
      Infos.write(w, V38, infos)
      const src = new ByteSource(chunksOf(w.finish(), cuts))
      assert.deepStrictEqual(await src.decode(r => Frames.read(r, V38)), frames)
      assert.deepStrictEqual(await src.decode(r => Infos.read(r, V38)), infos)
      assert.equal(await src.hasMore(), false)
    }), { numRuns: 100 })
  })

  describe('rejects bad input with a clear error', () => {
    it('an enum value out of range', () => {
      const bytes = new WireWriter().u64(3).finish()
      assert.throws(() => decodeAll(BuildModeCodec, bytes, V38), (e: unknown) => e instanceof InvalidWireValueError && /invalid build mode 3/.test(e.message))
    })
    it('a wrong magic number', () => {
      const bytes = new WireWriter().u64(0x1234).u64(0x126).finish()
      assert.throws(() => decodeAll(DaemonHelloCodec, bytes, V38), HandshakeError)
    })
    it('a list count above its limit, before allocating', () => {
      const bytes = new WireWriter().u64(1n << 40n).finish()
      assert.throws(() => decodeAll(listOf(StorePathCodec), bytes, V38), WireLimitError)
    })
    it('a path outside the store', () => {
      const bytes = new WireWriter().string('/etc/passwd').finish()
      assert.throws(() => decodeAll(StorePathCodec, bytes, V38), /not in the Nix store/)
    })
    it('an opaque .drv below 1.30, which cannot be expressed', () => {
      fc.assert(fc.property(A.drvPath, p => {
        assert.throws(() => encode(DerivedPathCodec, codecContext({ version: 0x11d }), { kind: 'opaque', path: p }), UnsupportedByProtocolError)
      }), { numRuns: 5 })
    })
  })

  describe('NarScanner', () => {
    // A NAR of one regular file "hello\n", written out by hand from the NAR grammar.
    const tokens = ['nix-archive-1', '(', 'type', 'regular', 'contents', 'hello\n', ')']
    const w = new WireWriter()
    for (const t of tokens) w.string(t)
    const nar = w.finish()

    it('finds the end of a NAR under any chunking and leaves what follows', () => {
      fc.assert(fc.property(fc.array(fc.nat(nar.length + 16)), cuts => {
        const all = new Uint8Array([...nar, 1, 2, 3])
        const s = new NarScanner()
        let used = 0
        let prev = 0
        for (const c of [...cuts.filter(c => c <= all.length), all.length].sort((a, b) => a - b)) {
          if (!s.done) used += s.push(all.subarray(prev, c))
          prev = c
        }
        assert.ok(s.done)
        assert.equal(used, nar.length)
        assert.deepEqual(s.stats, { regular: 1, executable: 0, directory: 0, symlink: 0, contentBytes: 6 })
      }))
    })

    it('rejects a stream that is not a NAR (a ProtocolError: the connection closes)', () => {
      const bad = new WireWriter().string('nix-archive-2').finish()
      assert.throws(() => new NarScanner().push(bad), (e: unknown) => e instanceof ProtocolError)
    })

    it('reads u64 lengths as little-endian (regression guard for the header decoding)', () => {
      const r = new WireReader(nar)
      assert.equal(r.string(), 'nix-archive-1')
    })
  })
})

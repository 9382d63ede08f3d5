import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import fc from 'fast-check'
import { encodeNix32 } from '../store-path/index.js'
import { ByteSource } from '../wire/index.js'
import {
  BadArchiveError, collectBytes, concatBytes, decodeNar, decodeNarTree, encodeNar, encodeNarTree, NarContractError, NarDepthError,
  NarDecoder, NarEncodeError, NarEncoder, type NarEvent, narDirectory, narEvents, narFile, type NarNode, NarLimitError,
  NarMagicError, NarNameError, NarOrderError, NarPaddingError, type NarSink, narSymlink, NarSymlinkError, NarTagError,
  NarTruncatedError, scanNar, tokens, treeFromEvents,
} from './index.js'

const nix32sha256 = (b: Uint8Array): string => encodeNix32(new Uint8Array(createHash('sha256').update(b).digest()))
const te = new TextEncoder()

/** Decode under a given chunking; contents events merged so chunkings compare equal. */
function decodeChunked(bytes: Uint8Array, cuts: number[]): { events: NarEvent[]; rest: Uint8Array } {
  const d = new NarDecoder()
  const events: NarEvent[] = []
  let rest: Uint8Array = new Uint8Array(0)
  let prev = 0
  for (const c of [...new Set([...cuts.filter(c => c > 0 && c < bytes.length), bytes.length])].sort((a, b) => a - b)) {
    if (d.done) { rest = concatBytes([rest, bytes.subarray(prev, c)]); prev = c; continue }
    d.push(bytes.subarray(prev, c))
    prev = c
    for (let ev = d.next(); ev !== undefined; ev = d.next()) {
      const last = events[events.length - 1]
      if (ev.kind === 'contents' && last?.kind === 'contents') events[events.length - 1] = { kind: 'contents', data: concatBytes([last.data, ev.data]) }
      else events.push(ev.kind === 'contents' ? { kind: 'contents', data: new Uint8Array(ev.data) } : ev)
    }
    if (d.done) rest = concatBytes([rest, d.rest()])
  }
  d.end()
  return { events, rest }
}

async function* chunks(bytes: Uint8Array, cuts: number[]): AsyncGenerator<Uint8Array> {
  let prev = 0
  for (const c of [...cuts.filter(c => c > 0 && c < bytes.length), bytes.length].sort((a, b) => a - b)) {
    if (c > prev) yield bytes.slice(prev, c)
    prev = Math.max(prev, c)
  }
}

function rejects(bytes: Uint8Array, cls: new (...a: never[]) => Error, msg?: RegExp): void {
  assert.throws(() => decodeNarTree(bytes), (e: unknown) => {
    assert.ok(e instanceof cls, `expected ${cls.name}, got ${String(e)}`)
    if (msg) assert.match((e as Error).message, msg)
    return true
  })
}

// ---- arbitrary trees ----
const validName = fc.uint8Array({ minLength: 1, maxLength: 12 }).filter(n =>
  !n.includes(0) && !n.includes(0x2f) && !(n.length === 1 && n[0] === 0x2e) && !(n.length === 2 && n[0] === 0x2e && n[1] === 0x2e))
const target = fc.uint8Array({ minLength: 1, maxLength: 40 }).filter(t => !t.includes(0))
const treeArb: fc.Arbitrary<NarNode> = fc.letrec<{ node: NarNode }>(tie => ({
  node: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.record({ contents: fc.uint8Array({ maxLength: 70 }), executable: fc.boolean() }).map(r => narFile(r.contents, r.executable)),
    target.map(t => narSymlink(t)),
    fc.uniqueArray(fc.tuple(validName, tie('node')), { maxLength: 5, selector: e => Buffer.from(e[0]).toString('latin1') })
      .map(entries => narDirectory(entries.map(([name, node]) => ({ name, node })))),
  ),
})).node

describe('NAR codec', () => {
  it('encodes the reference NARs of docs/store.md §1.5 (sizes and hashes from C++ nix-store --dump)', () => {
    const hello = encodeNarTree(narFile('Hello World!'))
    assert.equal(hello.length, 128)
    assert.equal(nix32sha256(hello), '0h40zg6hakjv951nyhdad7mv9za56m3za5gnpiw5s1hbwcxzdrq3')
    const link = encodeNarTree(narSymlink('/nix/store/somewhereelse'))
    assert.equal(link.length, 136)
    assert.equal(nix32sha256(link), '1wcwacrb5q36hpsx1shk0dkm26hwbmqmgi0nm973h9jqkdz3jz89')
    const complicated = encodeNarTree(narDirectory({
      keep: narDirectory({ '.keep': narFile('') }),
      '.keep': narFile(''),
      aa: narSymlink('/nix/store/somewhereelse'),
    }))
    assert.equal(complicated.length, 840)
    assert.equal(nix32sha256(complicated), '06li2smqgskxxr291x1cgzf61rzm7c8f93bisnglq0nzm1wj5mgb')
  })

  it('writes the grammar byte for byte (worked out by hand from the NAR grammar)', () => {
    const expected = tokens('nix-archive-1', '(', 'type', 'directory',
      'entry', '(', 'name', 'x', 'node', '(', 'type', 'regular', 'executable', '', 'contents', 'abc', ')', ')', ')')
    assert.deepEqual(encodeNarTree(narDirectory({ x: narFile('abc', true) })), expected)
  })

  it('orders entries by bytes, not by UTF-16 code units', () => {
    // U+FF61 is EF BD A1 in UTF-8, U+1F600 is F0 9F 98 80: byte order puts the emoji last,
    // while JS string order (surrogate 0xD83D < 0xFF61) would put it first.
    const nar = encodeNarTree(narDirectory({ '\u{1F600}': narFile('a'), '\uFF61': narFile('b'), B: narFile('c'), a: narFile('d') }))
    const d = new NarDecoder()
    d.push(nar)
    const names: string[] = []
    for (let ev = d.next(); ev; ev = d.next()) if (ev.kind === 'entry') names.push(new TextDecoder().decode(ev.name))
    assert.deepEqual(names, ['B', 'a', '\uFF61', '\u{1F600}'])
  })

  it('round-trips trees (property)', () => {
    fc.assert(fc.property(treeArb, tree => {
      assert.deepEqual(decodeNarTree(encodeNarTree(tree)), tree)
    }))
  })

  it('decodes the same events under any chunking and finds the end in a raw stream (property)', () => {
    fc.assert(fc.property(treeArb, fc.array(fc.nat(3000), { maxLength: 30 }), fc.uint8Array({ maxLength: 20 }), (tree, cuts, trailer) => {
      const nar = encodeNarTree(tree)
      const whole = decodeChunked(nar, [])
      const stream = concatBytes([nar, trailer])
      const split = decodeChunked(stream, cuts)
      assert.deepEqual(split.events, whole.events)
      assert.deepEqual(split.rest, trailer)
      assert.deepEqual(treeFromEvents(split.events), tree)
    }))
  })

  it('is canonical: entry order given does not matter, and no other bytes decode to the same tree (property)', () => {
    fc.assert(fc.property(treeArb, fc.nat(), fc.integer({ min: 1, max: 255 }), (tree, at, flip) => {
      const nar = encodeNarTree(tree)
      if (tree.kind === 'directory') {
        assert.deepEqual(encodeNarTree({ kind: 'directory', entries: [...tree.entries].reverse() }), nar)
      }
      // Any one-byte change is either rejected or decodes to a tree that encodes to exactly
      // the changed bytes (so two different byte strings never mean the same tree).
      const mutated = nar.slice()
      mutated[at % nar.length]! ^= flip
      let decoded: NarNode | undefined
      try { decoded = decodeNarTree(mutated) } catch (e) {
        if (!(e instanceof BadArchiveError)) throw e
        return
      }
      assert.deepEqual(encodeNarTree(decoded), mutated)
    }))
  })

  it('streams through decodeNar/encodeNar with any chunking (property)', async () => {
    await fc.assert(fc.asyncProperty(treeArb, fc.array(fc.nat(2000), { maxLength: 10 }), async (tree, cuts) => {
      const nar = encodeNarTree(tree)
      const rendered = await collectBytes(encodeNar(narEvents(tree), { chunkSize: 8192, passThrough: 16 }))
      assert.deepEqual(rendered, nar)
      const events: NarEvent[] = []
      const paths: string[] = []
      const show = (p: readonly Uint8Array[]): string => '/' + p.map(n => Buffer.from(n).toString('latin1')).join('/')
      const sink: NarSink = {
        createDirectory(p) { paths.push(show(p)); events.push({ kind: 'directory' }) },
        closeDirectory() { events.push({ kind: 'directoryEnd' }) },
        async createRegularFile(p, executable, contents) {
          paths.push(show(p))
          events.push({ kind: 'regular', executable, size: contents.size })
          const parts: Uint8Array[] = []
          for await (const c of contents) parts.push(new Uint8Array(c))
          if (parts.length > 0) events.push({ kind: 'contents', data: concatBytes(parts) })
        },
        createSymlink(p, t) { paths.push(show(p)); events.push({ kind: 'symlink', target: t }) },
      }
      // Names are not in the sink's events; rebuild them from the paths.
      const r = await decodeNar(chunks(nar, cuts), sink, { hash: 'sha256' })
      assert.equal(r.narSize, nar.length)
      assert.equal(r.narHash?.toNix32(), nix32sha256(nar))
      const withNames: NarEvent[] = []
      let pi = 0
      for (const ev of events) {
        if (ev.kind === 'directory' || ev.kind === 'regular' || ev.kind === 'symlink') {
          const p = paths[pi++]!
          if (p !== '/') withNames.push({ kind: 'entry', name: Uint8Array.from(Buffer.from(p.slice(p.lastIndexOf('/') + 1), 'latin1')) })
        }
        withNames.push(ev)
      }
      assert.deepEqual(treeFromEvents(withNames), tree)
    }))
  })

  it('puts the bytes after a NAR back into a ByteSource', async () => {
    const nar = encodeNarTree(narDirectory({ a: narFile('xyz') }))
    const src = new ByteSource(chunks(concatBytes([nar, te.encode('NEXT')]), [5, 100, nar.length + 1]))
    const r = await scanNar(src)
    assert.equal(r.narSize, nar.length)
    assert.equal(r.rest.length, 0)
    assert.deepEqual(await src.read(4), te.encode('NEXT'))
    assert.equal(await src.hasMore(), false)
  })

  it('returns the bytes after a NAR read from a plain iterable', async () => {
    const nar = encodeNarTree(narSymlink('t'))
    const r = await scanNar(chunks(concatBytes([nar, te.encode('tail')]), [3]))
    assert.deepEqual(r.rest, te.encode('tail'))
  })

  it('fails a sink that returns without draining a file', async () => {
    const nar = encodeNarTree(narFile('some contents'))
    await assert.rejects(decodeNar(chunks(nar, []), {
      createDirectory() {}, createSymlink() {}, createRegularFile() {},
    }), NarContractError)
  })

  describe('rejects', () => {
    const entry = (name: string | Uint8Array): Uint8Array => tokens('nix-archive-1', '(', 'type', 'directory', 'entry', '(', 'name', name, 'node', '(', 'type', 'regular', 'contents', 'x', ')', ')', ')')
    const table: Array<[string, Uint8Array, new (...a: never[]) => Error, RegExp]> = [
      ['bad magic', tokens('nix-archive-2', '(', 'type', 'regular', 'contents', '', ')'), NarMagicError, /doesn't look like a Nix archive/],
      ['an oversized magic', tokens('nix-archive-1-and-more'), NarMagicError, /doesn't look like a Nix archive/],
      ['an empty name', entry(''), NarNameError, /invalid file name ''/],
      ['the name .', entry('.'), NarNameError, /invalid file name '\.'/],
      ['the name ..', entry('..'), NarNameError, /invalid file name '\.\.'/],
      ['a name with /', entry('a/b'), NarNameError, /invalid file name 'a\/b'/],
      ['a name with NUL', entry(new Uint8Array([0x61, 0, 0x62])), NarNameError, /invalid file name/],
      ['a name over 255 bytes', entry('n'.repeat(256)), NarLimitError, /file name length 256 > 255/],
      ['unsorted entries', tokens('nix-archive-1', '(', 'type', 'directory',
        'entry', '(', 'name', 'b', 'node', '(', 'type', 'symlink', 'target', 't', ')', ')',
        'entry', '(', 'name', 'a', 'node', '(', 'type', 'symlink', 'target', 't', ')', ')', ')'), NarOrderError, /not sorted: 'a' after 'b'/],
      ['duplicate entries', tokens('nix-archive-1', '(', 'type', 'directory',
        'entry', '(', 'name', 'a', 'node', '(', 'type', 'symlink', 'target', 't', ')', ')',
        'entry', '(', 'name', 'a', 'node', '(', 'type', 'symlink', 'target', 't', ')', ')', ')'), NarOrderError, /duplicate entry 'a'/],
      ['an empty symlink target', tokens('nix-archive-1', '(', 'type', 'symlink', 'target', '', ')'), NarSymlinkError, /invalid symlink target '' \(empty\)/],
      ['a symlink target with NUL', tokens('nix-archive-1', '(', 'type', 'symlink', 'target', new Uint8Array([0x61, 0]), ')'), NarSymlinkError, /NUL/],
      ['a symlink target over 4095 bytes', tokens('nix-archive-1', '(', 'type', 'symlink', 'target', 't'.repeat(4096), ')'), NarLimitError, /symlink target length 4096 > 4095/],
      ['an unknown type', tokens('nix-archive-1', '(', 'type', 'fifo', ')'), NarTagError, /unknown file type 'fifo'/],
      ['a non-empty executable marker', tokens('nix-archive-1', '(', 'type', 'regular', 'executable', 'yes', 'contents', '', ')'), NarTagError, /executable marker has non-empty value/],
      ['a garbage tag', tokens('nix-archive-1', '(', 'type', 'regular', 'x'.repeat(33)), NarTagError, /got a string of 33 bytes/],
      ['a missing node close', tokens('nix-archive-1', '(', 'type', 'symlink', 'target', 't', 'entry'), NarTagError, /expected tag '\)', got 'entry'/],
      ['a file size beyond 2^53', concatBytes([tokens('nix-archive-1', '(', 'type', 'regular', 'contents'), new Uint8Array([0, 0, 0, 0, 0, 0, 0x20, 0])]), NarLimitError, /file length 9007199254740992 >/],
      ['truncation', tokens('nix-archive-1', '(', 'type', 'regular', 'contents', 'abc').subarray(0, 98), NarTruncatedError, /while reading file contents/],
      ['truncated padding', tokens('nix-archive-1', '(', 'type', 'regular', 'contents', 'abc').subarray(0, 100), NarTruncatedError, /padding/],
      ['empty input', new Uint8Array(0), NarTruncatedError, /NAR magic/],
    ]
    for (const [what, bytes, cls, msg] of table) it(what, () => rejects(bytes, cls, msg))

    it('non-zero padding after contents and after strings', () => {
      const nar = tokens('nix-archive-1', '(', 'type', 'regular', 'contents', 'abc', ')')
      const bad = nar.slice()
      bad[nar.length - 16 - 1] = 1 // last padding byte after "abc"
      rejects(bad, NarPaddingError, /non-zero padding after file contents/)
      const bad2 = nar.slice()
      bad2[8 + 13] = 1 // padding after "nix-archive-1"
      rejects(bad2, NarPaddingError, /non-zero padding/)
    })

    it('directories nested 64 deep (C++ 2.34 narMaxDepth), but not 63', () => {
      const deep = (n: number): Uint8Array => {
        const e = new NarEncoder()
        for (let i = 0; i < n; i++) { e.directory(); e.entry('d') }
        e.symlink('t')
        for (let i = 0; i < n; i++) e.directoryEnd()
        e.end()
        return concatBytes(e.take())
      }
      decodeNarTree(deep(63))
      rejects(deep(64), NarDepthError, /nesting exceeds maximum depth of 64/)
    })

    it('input that is all right but followed by garbage where a whole NAR is expected', () => {
      assert.throws(() => decodeNarTree(concatBytes([encodeNarTree(narFile('x')), new Uint8Array(8)])), /trailing data/)
    })
  })

  describe('encoder contract', () => {
    it('insists on contents adding up to the size before the next event', () => {
      const e = new NarEncoder()
      e.directory(); e.entry('a'); e.regular(false, 10); e.contents(new Uint8Array(4))
      assert.throws(() => e.entry('b'), NarContractError)
      assert.throws(() => e.contents(new Uint8Array(7)), /exceed the declared size/)
    })
    it('refuses invalid or unsorted names and targets', () => {
      const e = new NarEncoder()
      e.directory()
      assert.throws(() => e.entry('a/b'), NarEncodeError)
      e.entry('b'); e.symlink('x')
      assert.throws(() => e.entry('a'), NarEncodeError)
      assert.throws(() => e.entry('b'), NarEncodeError)
      e.entry('c')
      assert.throws(() => e.symlink(''), NarEncodeError)
    })
    it('refuses a second root and an early end', () => {
      const e = new NarEncoder()
      assert.throws(() => e.end(), NarContractError)
      e.symlink('x')
      assert.throws(() => e.symlink('y'), NarContractError)
      e.end()
    })
    it('lets small file contents be written in place', () => {
      const e = new NarEncoder()
      e.regular(true, 3)
      e.contentsBuffer(3).set(te.encode('abc'))
      e.end()
      assert.deepEqual(concatBytes(e.take()), encodeNarTree(narFile('abc', true)))
    })
  })
})

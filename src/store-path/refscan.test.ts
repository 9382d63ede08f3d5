import assert from 'node:assert/strict'
import fc from 'fast-check'
import { BadHashError, HashRewriter, NIX32_ALPHABET, referencedPaths, RefScanner, rewriteHashes, scanReferences, StorePath } from './index.js'

const enc = (s: string) => new TextEncoder().encode(s)
const dec = (b: Uint8Array) => new TextDecoder().decode(b)

/** The specification: every 32-byte window equal to a candidate (what C++ `search` finds). */
function naiveFind(text: string, candidates: string[]): Set<string> {
  const set = new Set(candidates)
  const found = new Set<string>()
  for (let i = 0; i + 32 <= text.length; i++) if (set.has(text.slice(i, i + 32))) found.add(text.slice(i, i + 32))
  return found
}

/** Left-to-right, non-overlapping replacement (C++ `rewriteStrings` for one pattern at a time). */
function naiveRewrite(text: string, map: Map<string, string>): string {
  let out = ''
  for (let i = 0; i < text.length;) {
    const w = text.slice(i, i + 32)
    const to = w.length === 32 ? map.get(w) : undefined
    if (to !== undefined) { out += to; i += 32 } else { out += text[i]; i++ }
  }
  return out
}

function split(bytes: Uint8Array, cuts: number[]): Uint8Array[] {
  const points = [...new Set(cuts.map(c => c % (bytes.length + 1)))].sort((a, b) => a - b)
  const out: Uint8Array[] = []
  let prev = 0
  for (const p of [...points, bytes.length]) { out.push(bytes.subarray(prev, p)); prev = p }
  return out
}

const H1 = 'g1w7hy3qg1w7hy3qg1w7hy3qg1w7hy3q'
const H2 = 'n5wkd9frr45pa74if5gpz9j7mifg27fh'
const H3 = '1lr187v6dck1rjh2j6svpikcfz53wyl3'

const nix32Char = fc.constantFrom(...NIX32_ALPHABET.split(''))
const hashPart = fc.array(nix32Char, { minLength: 32, maxLength: 32 }).map(a => a.join(''))

describe('reference scanner', () => {
  it('finds planted hash parts in binary and text, not the absent ones', () => {
    const text = `\0\x7fELF/nix/store/${H1}-foo/lib\n${H2.slice(0, 31)}-almost ${H3}`
    const s = new RefScanner([H1, H2, H3])
    s.push(enc(text))
    assert.deepEqual([...s.found].sort(), [H1, H3].sort())
    assert.equal(s.done, false)
  })

  it('finds a hash split at every offset, chunks of every size', async () => {
    const text = `xx/${H1}-a yyy` + 'q'.repeat(40) + H2
    for (let cut = 0; cut <= text.length; cut++) {
      const found = await scanReferences([enc(text.slice(0, cut)), enc(text.slice(cut))], [H1, H2, H3])
      assert.deepEqual([...found].sort(), [H1, H2].sort(), `cut ${cut}`)
    }
    for (let size = 1; size <= 40; size++) {
      const chunks: Uint8Array[] = []
      for (let i = 0; i < text.length; i += size) chunks.push(enc(text.slice(i, i + size)))
      assert.deepEqual([...(await scanReferences(chunks, [H1, H2, H3]))].sort(), [H1, H2].sort(), `size ${size}`)
    }
  })

  it('finds hash parts inside long runs of nix32 characters', () => {
    const run = 'abcd0123'.repeat(1000)
    const text = run + H2 + run + H1.slice(0, 16) + '-' + H1.slice(16) + run
    const s = new RefScanner([H1, H2])
    s.push(enc(text))
    assert.deepEqual([...s.found], [H2])
  })

  it('handles large candidate sets (a big closure)', () => {
    const rand = (n: number) => { let x = n * 2654435761 >>> 0; let h = ''; for (let i = 0; i < 32; i++) { x = (Math.imul(x, 1103515245) + 12345) >>> 0; h += NIX32_ALPHABET[x >>> 27] } return h }
    const cands = Array.from({ length: 20000 }, (_, i) => rand(i + 1))
    const planted = [cands[7]!, cands[19999]!, cands[12345]!]
    const text = 'x'.repeat(100) + planted.join('/') + NIX32_ALPHABET.repeat(300)
    const s = new RefScanner(cands)
    s.push(enc(text))
    assert.deepEqual([...s.found].sort(), [...naiveFind(text, cands)].sort())
    assert.equal(s.found.size, 3)
  })

  it('maps found hash parts back to store paths', () => {
    const paths = [StorePath.fromParts(H2, 'b'), StorePath.fromParts(H1, 'a'), StorePath.fromParts(H3, 'c')]
    const s = new RefScanner(paths.map(p => p.hashPart))
    s.push(enc(`${H2} ${H1}`))
    assert.deepEqual(referencedPaths(paths, s.found).map(String), [`${H1}-a`, `${H2}-b`])
  })

  it('rejects candidates that are not 32 nix32 characters', () => {
    assert.throws(() => new RefScanner(['abc']), BadHashError)
    assert.throws(() => new RefScanner([H1.slice(0, 31) + 'e']), BadHashError)
  })

  it('agrees with the naive scan on any text and chunking (property)', () => {
    // Mostly nix32 characters with a few separators: the hard case for the sliding search.
    const ch = fc.oneof({ weight: 8, arbitrary: fc.constantFrom(...'0123abcd'.split('')) }, { weight: 1, arbitrary: fc.constantFrom('-', '/', '\n', 'e') })
    fc.assert(fc.property(
      fc.array(ch, { maxLength: 300 }).map(a => a.join('')), fc.array(hashPart, { maxLength: 3 }), fc.array(fc.nat({ max: 400 }), { maxLength: 6 }), fc.array(fc.nat(), { maxLength: 3 }),
      (base, extra, cuts, picks) => {
        // Some candidates taken from the text itself (found), others random (mostly absent).
        const fromText = base.length >= 32 ? picks.map(p => base.slice(p % (base.length - 31), (p % (base.length - 31)) + 32)).filter(w => /^[0-9a-df-np-sv-z]{32}$/.test(w)) : []
        const candidates = [...fromText, ...extra]
        const s = new RefScanner(candidates)
        for (const c of split(enc(base), cuts)) s.push(c)
        assert.deepEqual([...s.found].sort(), [...naiveFind(base, candidates)].sort())
      }), { numRuns: 300 })
  })
})

describe('hash rewriting', () => {
  it('replaces hash parts across chunk boundaries and records offsets', async () => {
    const text = `a/${H1}-x b${H2}${H1}`
    const map = new Map([[H1, H3], [H2, H1]])
    for (let cut = 0; cut <= text.length; cut++) {
      const out: Uint8Array[] = []
      for await (const c of rewriteHashes([enc(text.slice(0, cut)), enc(text.slice(cut))], map)) out.push(c)
      assert.equal(dec(Buffer.concat(out)), `a/${H3}-x b${H1}${H3}`, `cut ${cut}`)
    }
    const rw = new HashRewriter(map)
    const out = dec(Buffer.concat([rw.push(enc(text)), rw.end()]))
    assert.equal(out, `a/${H3}-x b${H1}${H3}`)
    assert.deepEqual(rw.matches, [2, 38, 70]) // "a/" is 2 bytes, then 32 + "-x b" (4), then 32
  })

  it('can rewrite to NUL bytes (HashModuloSink) and refuses a change of length', () => {
    const rw = new HashRewriter(new Map([[H1, new Uint8Array(32)]]))
    assert.deepEqual([...rw.push(enc(`<${H1}>`)), ...rw.end()], [60, ...new Array(32).fill(0), 62])
    assert.throws(() => new HashRewriter(new Map([[H1, 'short']])), BadHashError)
  })

  it('agrees with naive replacement on any text and chunking (property)', () => {
    const ch = fc.oneof({ weight: 8, arbitrary: fc.constantFrom(...'0123'.split('')) }, { weight: 1, arbitrary: fc.constantFrom('-', '/') })
    fc.assert(fc.property(fc.array(ch, { maxLength: 200 }).map(a => a.join('')), fc.array(fc.nat({ max: 250 }), { maxLength: 5 }), fc.nat(), (base, cuts, pick) => {
      // A `from` that occurs in the text when the text is long enough; targets use other characters.
      const from = base.length >= 32 ? base.slice(pick % (base.length - 31), (pick % (base.length - 31)) + 32) : H1
      if (!/^[0-9a-df-np-sv-z]{32}$/.test(from)) return
      const map = new Map([[from, 'z'.repeat(32)]])
      const rw = new HashRewriter(map)
      const parts = split(enc(base), cuts).map(c => rw.push(c))
      parts.push(rw.end())
      assert.equal(dec(Buffer.concat(parts)), naiveRewrite(base, map))
    }), { numRuns: 300 })
  })
})

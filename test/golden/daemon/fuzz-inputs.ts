/**
 * Inputs for the robustness test: a corpus of real client→daemon streams (the captures, and
 * conversations our WorkerClient records at several protocol versions), a seeded mutator that
 * damages them (bit flips, length fields set to boundary values, truncation, insertion,
 * repetition, splicing, op numbers), and a set of deliberately oversized requests.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { LIMITS, WireWriter } from '../../../src/wire/index.js'
import { mulberry32 } from '../../support/rng.js'

/** One client stream, with the byte ranges of its ops' requests where known. */
export interface Seed {
  name: string
  bytes: Uint8Array
  /** [start, end) of each op in `bytes` (mutations aim there half of the time). */
  ops: Array<[number, number]>
}

/** Every capture's c2d stream with its op ranges from ops.jsonl. */
export function captureSeeds(root: string): Seed[] {
  const out: Seed[] = []
  const walk = (d: string) => {
    for (const e of readdirSync(d).sort()) {
      const p = join(d, e)
      if (statSync(p).isDirectory()) { walk(p); continue }
      const m = /^conn-(\d+)\.c2d\.bin$/.exec(e)
      if (!m) continue
      const conn = Number(m[1])
      const ops: Array<[number, number]> = []
      const jsonl = join(d, 'ops.jsonl')
      if (existsSync(jsonl)) {
        for (const line of readFileSync(jsonl, 'utf8').split('\n')) {
          if (!line.trim()) continue
          const rec = JSON.parse(line) as { conn?: number; kind?: string; c2d?: [number, number] }
          if (rec.conn === conn && rec.kind === 'op' && rec.c2d) ops.push(rec.c2d)
        }
      }
      out.push({ name: `${d.slice(root.length + 1)}/${e}`, bytes: new Uint8Array(readFileSync(p)), ops })
    }
  }
  walk(root)
  return out
}

/** A small fast PRNG (mulberry32), so a failing run can be replayed from its seed. */
export class Rng {
  readonly next: () => number
  constructor(seed: number) { this.next = mulberry32(seed) }
  int(n: number): number { return Math.floor(this.next() * n) }
  pick<T>(xs: readonly T[]): T { return xs[this.int(xs.length)]! }
  bytes(n: number): Uint8Array { const b = new Uint8Array(n); for (let i = 0; i < n; i++) b[i] = this.int(256); return b }
}

const U64_MAX = (1n << 64n) - 1n
/** Values a length, count, op number or flag field could be set to. */
const INTERESTING: readonly bigint[] = [
  0n, 1n, 2n, 7n, 8n, 0xffn, 0x100n, 0xffffn, 0x7fff_ffffn, 0xffff_ffffn, 0x1_0000_0000n, (1n << 53n) - 1n, 1n << 53n, 1n << 63n, U64_MAX,
  BigInt(LIMITS.path), BigInt(LIMITS.path + 1), BigInt(LIMITS.shortString), BigInt(LIMITS.shortString + 1), BigInt(LIMITS.text),
  BigInt(LIMITS.text + 1), BigInt(LIMITS.listCount), BigInt(LIMITS.listCount + 1), BigInt(LIMITS.frame), BigInt(LIMITS.frame + 1),
  0x6e697863n /* WORKER_MAGIC_1 */, 0x126n, 0x122n, 0x118n, 0x115n, 0x10an, 0x1ffn, 47n, 48n, 99n, 1000n, 1001n,
]

function setU64(b: Uint8Array, at: number, v: bigint): void {
  new DataView(b.buffer, b.byteOffset, b.byteLength).setBigUint64(at, v, true)
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0))
  let o = 0
  for (const p of parts) { out.set(p, o); o += p.length }
  return out
}

/** A position: inside one of the seed's ops half of the time (the interesting bytes), else anywhere. */
function position(rng: Rng, seed: Seed, len: number, aligned: boolean): number {
  let lo = 0
  let hi = len
  if (seed.ops.length > 0 && rng.next() < 0.5) {
    const [s, e] = rng.pick(seed.ops)
    lo = Math.min(s, len)
    hi = Math.min(e, len)
  }
  if (hi <= lo) { lo = 0; hi = len }
  let p = lo + rng.int(Math.max(1, hi - lo))
  if (aligned) p -= p % 8
  return Math.min(p, Math.max(0, len - 1))
}

export type MutationKind = 'flip' | 'word' | 'truncate' | 'insert' | 'delete' | 'repeat' | 'splice' | 'random' | 'op'

/** Apply one to three mutations to a seed. */
export function mutate(rng: Rng, seed: Seed, corpus: readonly Seed[]): { bytes: Uint8Array; kinds: MutationKind[] } {
  let b: Uint8Array = seed.bytes.slice()
  const kinds: MutationKind[] = []
  const n = 1 + rng.int(3)
  for (let i = 0; i < n && b.length > 0; i++) {
    const kind = rng.pick<MutationKind>(['flip', 'word', 'word', 'truncate', 'insert', 'delete', 'repeat', 'splice', 'random', 'op'])
    kinds.push(kind)
    switch (kind) {
      case 'flip': { const p = position(rng, seed, b.length, false); b[p] = b[p]! ^ (1 << rng.int(8)); break }
      case 'word': {
        if (b.length < 8) break
        const p = Math.min(position(rng, seed, b.length, true), b.length - 8)
        setU64(b, p, rng.next() < 0.8 ? rng.pick(INTERESTING) : BigInt(rng.int(0x7fffffff)) * BigInt(1 + rng.int(0x7fffffff)))
        break
      }
      case 'truncate': b = b.slice(0, position(rng, seed, b.length, rng.next() < 0.5)); break
      case 'insert': { const p = position(rng, seed, b.length, rng.next() < 0.5); b = concat(b.subarray(0, p), rng.bytes(1 + rng.int(rng.next() < 0.5 ? 8 : 200)), b.subarray(p)); break }
      case 'delete': { const p = position(rng, seed, b.length, false); b = concat(b.subarray(0, p), b.subarray(Math.min(b.length, p + 1 + rng.int(64)))); break }
      case 'repeat': {
        const p = position(rng, seed, b.length, true)
        const seg = b.slice(p, Math.min(b.length, p + 8 * (1 + rng.int(16))))
        const times = 1 + rng.int(rng.next() < 0.9 ? 8 : 2000)
        b = concat(b.subarray(0, p), ...Array.from({ length: times }, () => seg), b.subarray(p))
        break
      }
      case 'splice': { const other = rng.pick(corpus); b = concat(b.subarray(0, position(rng, seed, b.length, true)), other.bytes.subarray(rng.int(other.bytes.length))); break }
      case 'random': { const p = position(rng, seed, b.length, false); b.set(rng.bytes(Math.min(b.length - p, 1 + rng.int(32))), p); break }
      case 'op': {
        // an op number at the start of an op: unknown, removed, builder-only or huge
        if (seed.ops.length === 0) break
        const [s] = rng.pick(seed.ops)
        if (s + 8 <= b.length) setU64(b, s, rng.pick([0n, 2n, 15n, 16n, 17n, 24n, 25n, 27n, 48n, 60n, 1000n, 1001n, 0xffff_ffffn, U64_MAX, BigInt(rng.int(50))]))
        break
      }
    }
  }
  return { bytes: b, kinds }
}

// ---- oversized requests -------------------------------------------------------------------------

/** A client stream: its bytes are produced lazily (some are hundreds of MiB). */
export interface BigInput {
  name: string
  chunks(): Iterable<Uint8Array>
  /** What the daemon must do: answer it (the connection survives) or refuse it (any error/close). */
  expect: 'answer' | 'refuse'
}

const w = () => new WireWriter(1024)
/** Handshake at 1.38 (empty features) and a SetOptions, as a 2.34 client sends. */
export function hello(minor = 38): Uint8Array {
  const x = w().u64(0x6e697863).u64(0x100 | minor)
  if (minor >= 38) x.u64(0)
  x.u64(0).u64(0)
  x.u64(19)
  for (const v of [0, 0, 0, 3, 1, 0, 1, 0, 0, 0, 0, 1]) x.u64(v)
  x.u64(0)
  return x.finish()
}
const pathBytes = (i: number) => `/nix/store/${i.toString(32).padStart(32, '0').replace(/[eotu]/g, 'a')}-p`

/**
 * Oversized and degenerate requests, each on its own connection. `heavy` makes the two slowest
 * (the large QueryValidPaths and SetOptions) four and ten times larger.
 */
export function bigInputs(heavy = false): BigInput[] {
  const MiB = 1024 * 1024
  const paths = heavy ? 400_000 : 100_000
  const overrides = heavy ? 1_000_000 : 100_000
  return [
    {
      name: `QueryValidPaths with ${paths.toLocaleString('en')} paths (${Math.round(paths * 64 / MiB)} MiB request, must be answered)`, expect: 'answer',
      *chunks() {
        yield hello()
        const head = w().u64(31).u64(paths)
        yield head.finish()
        for (let i = 0; i < paths; i += 10_000) {
          const x = w()
          for (let j = i; j < i + 10_000; j++) x.string(pathBytes(j))
          yield x.finish()
        }
        yield w().u64(0).finish() // substitute = false
      },
    },
    { name: 'a path string claiming 2^64-1 bytes', expect: 'refuse', *chunks() { yield hello(); yield w().u64(1).u64(U64_MAX).finish() } },
    { name: 'a list claiming 16M+1 entries', expect: 'refuse', *chunks() { yield hello(); yield w().u64(31).u64(LIMITS.listCount + 1).finish() } },
    { name: 'a list claiming 16M entries, then EOF after 1000', expect: 'refuse', *chunks() { yield hello(); const x = w().u64(31).u64(LIMITS.listCount); for (let i = 0; i < 1000; i++) x.string(pathBytes(i)); yield x.finish() } },
    { name: 'a frame claiming 64 MiB + 1', expect: 'refuse', *chunks() { yield hello(); yield addToStoreHeader(); yield w().u64(LIMITS.frame + 1).finish() } },
    { name: 'a 64 MiB frame cut off after 1 MiB', expect: 'refuse', *chunks() { yield hello(); yield addToStoreHeader(); yield w().u64(LIMITS.frame).finish(); yield new Uint8Array(MiB) } },
    {
      name: 'AddToStore with a 256 MiB NAR (streamed; then a query on the same connection)', expect: 'answer',
      *chunks() {
        yield hello()
        yield addToStoreHeader()
        const size = 256 * MiB
        const head = w().string('nix-archive-1').string('(').string('type').string('regular').string('contents').u64(size).finish()
        yield frame(head)
        const block = new Uint8Array(MiB).fill(0x61)
        for (let i = 0; i < size / MiB; i++) yield frame(block)
        yield frame(w().string(')').finish())
        yield w().u64(0).finish()
        yield w().u64(1).string('/nix/store/00000000000000000000000000000000-x').finish() // IsValidPath
      },
    },
    {
      name: 'AddToStore flat (fixed:sha256) with a 256 MiB body (spooled to disk past 32 MiB)', expect: 'answer',
      *chunks() {
        yield hello()
        yield w().u64(7).string('flat-big').string('fixed:sha256').u64(0).u64(0).finish()
        const block = new Uint8Array(MiB).fill(0x63)
        for (let i = 0; i < 256; i++) yield frame(block)
        yield w().u64(0).finish()
        yield w().u64(1).string('/nix/store/00000000000000000000000000000000-x').finish()
      },
    },
    {
      name: 'AddToStoreNar with 256 MiB of framed junk (drained after the error)', expect: 'answer',
      *chunks() {
        yield hello()
        const x = w().u64(39).string('/nix/store/00000000000000000000000000000000-junk').string('').string('0'.repeat(64)).u64(0).u64(0).u64(256 * MiB).u64(0).u64(0).string('').u64(0).u64(1)
        yield x.finish()
        const block = new Uint8Array(MiB).fill(0xee)
        for (let i = 0; i < 256; i++) yield frame(block)
        yield w().u64(0).finish()
        yield w().u64(1).string('/nix/store/00000000000000000000000000000000-x').finish()
      },
    },
    {
      name: 'AddTextToStore (1.24) with 64 MiB of text', expect: 'answer',
      *chunks() {
        yield hello(24)
        yield w().u64(8).string('big.txt').finish()
        yield w().u64(LIMITS.text).finish()
        const block = new Uint8Array(MiB).fill(0x62)
        for (let i = 0; i < LIMITS.text / MiB; i++) yield block
        yield w().u64(0).finish() // no padding needed (multiple of 8); refs: none
      },
    },
    {
      name: '1,000,000 one-byte frames', expect: 'refuse',
      *chunks() {
        yield hello()
        yield addToStoreHeader()
        for (let i = 0; i < 100; i++) { const x = w(); for (let j = 0; j < 10_000; j++) x.u64(1).raw(new Uint8Array([0x28])); yield x.finish() }
        yield w().u64(0).finish()
      },
    },
    {
      name: 'a NAR nested 100,000 directories deep', expect: 'refuse',
      *chunks() {
        yield hello()
        yield addToStoreHeader()
        const open = w().string('nix-archive-1')
        yield frame(open.finish())
        const level = w().string('(').string('type').string('directory').string('entry').string('(').string('name').string('d').string('node').finish()
        for (let i = 0; i < 100; i++) { const parts: Uint8Array[] = []; for (let j = 0; j < 1000; j++) parts.push(level); yield frame(concat(...parts)) }
        yield w().u64(0).finish()
      },
    },
    {
      name: `SetOptions with ${overrides.toLocaleString('en')} overrides`, expect: 'answer',
      *chunks() {
        const x = w().u64(0x6e697863).u64(0x126).u64(0).u64(0).u64(0).u64(19)
        for (const v of [0, 0, 0, 3, 1, 0, 1, 0, 0, 0, 0, 1]) x.u64(v)
        x.u64(overrides)
        yield x.finish()
        for (let i = 0; i < overrides / 10_000; i++) { const y = w(); for (let j = 0; j < 10_000; j++) y.string(`opt-${i}-${j}`).string('v'); yield y.finish() }
        yield w().u64(1).string('/nix/store/00000000000000000000000000000000-x').finish()
      },
    },
  ]
}

function addToStoreHeader(): Uint8Array {
  return w().u64(7).string('big').string('fixed:r:sha256').u64(0).u64(0).finish()
}

function frame(b: Uint8Array): Uint8Array {
  return concat(w().u64(b.length).finish(), b)
}

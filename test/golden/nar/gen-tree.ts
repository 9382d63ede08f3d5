/**
 * A seeded generator of file trees on disk for the differential tests: executables and odd
 * modes, symlinks (relative, absolute, dangling, long, unicode), empty and deep directories,
 * names that are unicode (NFC and NFD spellings), not UTF-8, 255 bytes long, case-only
 * different, or ordered differently by UTF-16 and by bytes, and file sizes from 0 up (a few
 * big files, most small). The same seed gives the same trees.
 */
import { chmodSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs'
import { mulberry32 } from '../../support/rng.js'

/** mulberry32: small, fast, good enough for test data. */
export class Rng {
  private readonly next: () => number
  constructor(seed: number) { this.next = mulberry32(seed) }
  u32(): number { return this.next() * 0x1_0000_0000 }
  /** 0 ≤ n < max */
  int(max: number): number { return this.u32() % max }
  chance(p: number): boolean { return this.u32() / 0x1_0000_0000 < p }
  pick<T>(xs: readonly T[]): T { return xs[this.int(xs.length)]! }
  bytes(n: number): Buffer {
    const b = Buffer.allocUnsafe(n)
    let i = 0
    for (; i + 4 <= n; i += 4) b.writeUInt32LE(this.u32(), i)
    for (; i < n; i++) b[i] = this.u32() & 0xff
    return b
  }
}

const NAMES: ReadonlyArray<string | Buffer> = [
  'a', 'b', 'B', 'A', 'readme.txt', 'README', 'bin', 'lib', 'share', 'x.so.1', '.hidden', '...', '..a', 'a..', '-dash',
  'with space', 'tab\there', 'new\nline', 'quote"s', "apos'", 'back\\slash', 'star*', 'q?', '#hash', '~tilde', '%41',
  '10', '9', '0', '00', 'caf\u00e9', 'cafe\u0301', '\u00fcber', '\u65e5\u672c\u8a9e', '\u{1F600}', '\uFF61', '\u0410',
  'z'.repeat(255), '\u00e9'.repeat(127), 'ab\u{10FFFF}',
  Buffer.from([0xff]), Buffer.from([0x61, 0xc3]), Buffer.from([0x80, 0x80]), Buffer.from([0xfe, 0x62]),
]
const TARGETS: ReadonlyArray<string | Buffer> = [
  'a', '../x', './b', '/nix/store/00000000000000000000000000000000-dangling', '/etc/hostname', '/', '.', '..',
  'does/not/exist', 'caf\u00e9', '\u{1F600}/\uFF61', 'with space', 'x'.repeat(1000), '//double', 'trailing/',
  Buffer.from([0xff, 0x2f, 0x61]),
]
const MODES_FILE = [0o644, 0o644, 0o644, 0o755, 0o755, 0o700, 0o744, 0o610, 0o400, 0o555]

export interface GenOptions {
  /** Byte sizes of the big files to place (each in some tree). */
  bigFiles?: number[]
}

export interface GenStats { files: number; dirs: number; symlinks: number; bytes: number }

/**
 * Write tree `index` of the seeded family at `root` (which must not exist). The root kind
 * varies: mostly directories, some single files and symlinks.
 */
export function writeTree(root: Buffer, seed: number, index: number, big: number | undefined, stats: GenStats): void {
  const rng = new Rng(seed * 7919 + index)
  const block = rng.bytes(65536)
  const file = (p: Buffer, size: number): void => {
    let data: Buffer
    if (size <= 65536) data = rng.bytes(size)
    else {
      // Big files: the random block repeated, each copy stamped with its offset, so no two
      // 64 KiB pieces are alike (cheap to make, and not a run of one block).
      data = Buffer.allocUnsafe(size)
      for (let o = 0; o < size; o += 65536) {
        const n = Math.min(65536, size - o)
        block.copy(data, o, 0, n)
        if (n >= 8) data.writeDoubleLE(o, o)
      }
    }
    writeFileSync(p, data)
    chmodSync(p, rng.pick(MODES_FILE))
    stats.files++
    stats.bytes += size
  }
  const smallSize = (): number => rng.chance(0.15) ? rng.pick([0, 1, 7, 8, 9, 15, 16, 17]) : rng.chance(0.9) ? rng.int(3000) : 4096 + rng.int(200_000)
  const link = (p: Buffer): void => {
    const t = rng.pick(TARGETS)
    symlinkSync(typeof t === 'string' ? Buffer.from(t) : t, p)
    stats.symlinks++
  }
  const dir = (p: Buffer, depth: number): void => {
    mkdirSync(p)
    stats.dirs++
    const n = depth > 3 ? rng.int(2) : rng.int(8)
    const used = new Set<string>()
    for (let i = 0; i < n; i++) {
      const raw = rng.pick(NAMES)
      const name = typeof raw === 'string' ? Buffer.from(raw) : raw
      const key = name.toString('hex')
      if (used.has(key)) continue
      used.add(key)
      const child = Buffer.concat([p, Buffer.from('/'), name])
      const r = rng.int(10)
      if (r < 5) file(child, smallSize())
      else if (r < 7) link(child)
      else dir(child, depth + 1)
    }
  }
  const kind = index % 12 === 5 ? 'file' : index % 12 === 7 ? 'symlink' : 'dir'
  if (big !== undefined) {
    // A big file inside a directory, next to a few small things.
    dir(root, 3)
    file(Buffer.concat([root, Buffer.from('/big.bin')]), big)
  } else if (kind === 'file') file(root, smallSize())
  else if (kind === 'symlink') link(root)
  else if (index % 50 === 3) {
    // A deep chain of directories with an empty one at the bottom.
    let p = root
    mkdirSync(p)
    for (let d = 0; d < 30; d++) { p = Buffer.concat([p, Buffer.from(`/d${d}`)]); mkdirSync(p) }
    stats.dirs += 31
  } else dir(root, 0)
}

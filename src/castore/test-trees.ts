/**
 * Random filesystem trees for round-trip tests (castore ingest/materialise, NAR bridge):
 * nested directories, empty and large files, executables, symlinks, odd names. Deterministic
 * for a seed.
 */
import { chmod, mkdir, symlink, writeFile } from 'node:fs/promises'

export interface TreeShape {
  maxDepth: number
  maxEntries: number
  /** Largest file; a few files may be this big, most are small. */
  maxFileSize: number
  /** Allow names that are not valid UTF-8. */
  binaryNames: boolean
}

export const DEFAULT_SHAPE: TreeShape = { maxDepth: 3, maxEntries: 6, maxFileSize: 64 * 1024, binaryNames: true }

export class Rng {
  private s: number
  constructor(seed: number) { this.s = (seed * 0x9e3779b1) | 0 || 1 }
  next(): number { let x = this.s; x ^= x << 13; x ^= x >>> 17; x ^= x << 5; this.s = x; return (x >>> 0) / 0x100000000 }
  int(n: number): number { return Math.floor(this.next() * n) }
  bytes(n: number): Buffer { const b = Buffer.allocUnsafe(n); for (let i = 0; i < n; i++) b[i] = this.int(256); return b }
}

const NAME_CHARS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-+= '

function randomName(rng: Rng, shape: TreeShape): Buffer {
  const r = rng.int(20)
  if (r === 0) return Buffer.from('.keep')
  if (r === 1 && shape.binaryNames) return Buffer.concat([Buffer.from('bin'), Buffer.from([0x80 + rng.int(0x7f), 0xff])])
  if (r === 2) return Buffer.from('é' + rng.int(100))
  if (r === 3) return Buffer.from('x'.repeat(100 + rng.int(155)))
  const len = 1 + rng.int(12)
  let s = ''
  for (let i = 0; i < len; i++) s += NAME_CHARS[rng.int(NAME_CHARS.length)]
  if (s === '.' || s === '..') s += 'x'
  return Buffer.from(s)
}

function fileSize(rng: Rng, shape: TreeShape): number {
  const r = rng.int(10)
  if (r === 0) return 0
  if (r === 1) return rng.int(shape.maxFileSize + 1)
  return rng.int(Math.min(shape.maxFileSize, 2000))
}

/** Write a random node at `path` (as bytes): a directory at depth 0, anything below. */
export async function writeRandomTree(path: Buffer, rng: Rng, shape: TreeShape = DEFAULT_SHAPE, depth = 0): Promise<void> {
  const kind = depth === 0 ? 0 : rng.int(depth >= shape.maxDepth ? 2 : 3) + 1
  if (kind === 0 || kind === 3) {
    await mkdir(path)
    const n = rng.int(shape.maxEntries + 1)
    const used = new Set<string>()
    for (let i = 0; i < n; i++) {
      const name = randomName(rng, shape)
      if (used.has(name.toString('hex'))) continue
      used.add(name.toString('hex'))
      await writeRandomTree(Buffer.concat([path, Buffer.from('/'), name]), rng, shape, depth + 1)
    }
    return
  }
  if (kind === 1) {
    await writeFile(path, rng.bytes(fileSize(rng, shape)))
    if (rng.int(3) === 0) await chmod(path, 0o755)
    return
  }
  const targets = ['/nix/store/somewhereelse', '../up', 'sibling', 'a/b/c', 'x'.repeat(1 + rng.int(300))]
  await symlink(targets[rng.int(targets.length)]!, path)
}

/**
 * The tvix castore fixtures (castore/src/fixtures.rs), rebuilt from their definitions, for
 * tests here and in other folders. Expected digests live in the tests, not here.
 */
import { Directory } from './directory.js'
import { B3Digest, EMPTY_DIGEST } from './digest.js'
import { fileNode, symlinkNode } from './node.js'

const te = (s: string): Uint8Array => new TextEncoder().encode(s)

export const EMPTY_BLOB = new Uint8Array(0)
export const HELLOWORLD_BLOB = te('Hello World!')
export const BLOB_A = Uint8Array.of(0, 1)
/** `(0..255).collect().repeat(4 * 1024)` in Rust: 255 distinct values, 1,044,480 bytes. */
export const BLOB_B = new Uint8Array(255 * 4096).map((_, i) => i % 255)

export const DIRECTORY_A = Directory.EMPTY
export const DIRECTORY_WITH_KEEP = Directory.from([{ name: '.keep', node: fileNode(EMPTY_DIGEST, 0) }])
export const DIRECTORY_B = Directory.from([{ name: 'a', node: DIRECTORY_A.toNode() }])
export const DIRECTORY_C = Directory.from([{ name: 'a', node: DIRECTORY_A.toNode() }, { name: "a'", node: DIRECTORY_A.toNode() }])
export const DIRECTORY_D = Directory.from([{ name: 'a', node: DIRECTORY_A.toNode() }, { name: 'b', node: DIRECTORY_B.toNode() }])
export const DIRECTORY_COMPLICATED = Directory.from([
  { name: 'keep', node: DIRECTORY_WITH_KEEP.toNode() },
  { name: '.keep', node: fileNode(EMPTY_DIGEST, 0) },
  { name: 'aa', node: symlinkNode('/nix/store/somewhereelse') },
])

/** Deterministic pseudo-random bytes (xorshift32), for blobs larger than one chunk. */
export function pseudoRandomBytes(n: number, seed = 1): Uint8Array {
  const out = new Uint8Array(n)
  let x = seed | 0 || 1
  for (let i = 0; i < n; i++) {
    x ^= x << 13; x ^= x >>> 17; x ^= x << 5
    out[i] = x & 0xff
  }
  return out
}

export function digestOf(data: Uint8Array): B3Digest { return B3Digest.of(data) }

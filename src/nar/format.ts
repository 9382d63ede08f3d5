/**
 * The NAR grammar (C++ `archive.cc`, tvix nix-compat `nar/wire`), as the strings a NAR is made
 * of. Every string is a u64 little-endian length, the bytes, and zero padding to 8 bytes:
 *
 *   nar      = "nix-archive-1" node
 *   node     = "(" "type" ( "regular" ["executable" ""] "contents" CONTENTS
 *                         | "symlink" "target" TARGET
 *                         | "directory" entry* ) ")"
 *   entry    = "entry" "(" "name" NAME "node" node ")"
 *
 * Entry names are strictly increasing in byte order within a directory, and neither empty,
 * `.`, `..`, nor containing `/` or NUL.
 */

/** C++ `narVersionMagic1`. */
export const NAR_VERSION_MAGIC_1 = 'nix-archive-1'

/** Longest entry name (Linux NAME_MAX; tvix `MAX_NAME_LEN`). C++ only fails later, on disk. */
export const MAX_NAME_LEN = 255
/** Longest symlink target (Linux PATH_MAX − 1; tvix `MAX_TARGET_LEN`). */
export const MAX_TARGET_LEN = 4095
/** Longest grammar tag read before calling it garbage (the longest real one is 10 bytes; C++ 2.34 `narMaxTag`). */
export const MAX_TAG_LEN = 32
/**
 * Nodes may sit at most this deep minus one (the root is at depth 0): C++ 2.34 `narMaxDepth`,
 * enforced when parsing and when dumping. Nix 2.8 had no limit.
 */
export const MAX_DEPTH = 64

const enc = new TextEncoder()

/** Encode a sequence of grammar strings as wire bytes (length, bytes, zero padding each). */
export function tokens(...parts: Array<string | Uint8Array>): Uint8Array {
  const bytes = parts.map(p => typeof p === 'string' ? enc.encode(p) : p)
  const out = new Uint8Array(bytes.reduce((n, b) => n + 8 + padded(b.length), 0))
  const view = new DataView(out.buffer)
  let o = 0
  for (const b of bytes) {
    view.setUint32(o, b.length, true)
    out.set(b, o + 8)
    o += 8 + padded(b.length)
  }
  return out
}

/** `n` rounded up to a multiple of 8. */
export function padded(n: number): number { return n + ((8 - (n & 7)) & 7) }

/** Byte sequences the encoder writes as one piece (as tvix's `TOK_*`). */
export const TOK = {
  magic: tokens(NAR_VERSION_MAGIC_1),
  open: tokens('('),
  close: tokens(')'),
  regular: tokens('(', 'type', 'regular', 'contents'),
  executable: tokens('(', 'type', 'regular', 'executable', '', 'contents'),
  symlink: tokens('(', 'type', 'symlink', 'target'),
  directory: tokens('(', 'type', 'directory'),
  entry: tokens('entry', '(', 'name'),
  node: tokens('node'),
} as const

/**
 * The NAR of one regular file of `size` bytes up to its contents: magic, node opening and the
 * contents' length (the contents follow, then `narFileTail`).
 */
export function narFileHead(size: number, executable = false): Uint8Array {
  const node = executable ? TOK.executable : TOK.regular
  const out = new Uint8Array(TOK.magic.length + node.length + 8)
  out.set(TOK.magic)
  out.set(node, TOK.magic.length)
  new DataView(out.buffer).setBigUint64(out.length - 8, BigInt(size), true)
  return out
}

/** The tail by contents size modulo 8. */
const FILE_TAILS = Array.from({ length: 8 }, (_, m) => {
  const pad = (8 - m) % 8
  const out = new Uint8Array(pad + TOK.close.length)
  out.set(TOK.close, pad)
  return out
})

/** What follows a regular file's `size` bytes of contents: their zero padding and the node's close (shared bytes: do not modify). */
export function narFileTail(size: number): Uint8Array {
  return FILE_TAILS[size % 8]!
}

/** The ASCII of each tag the decoder compares against. */
export const TAG = {
  magic: enc.encode(NAR_VERSION_MAGIC_1),
  open: enc.encode('('),
  close: enc.encode(')'),
  type: enc.encode('type'),
  regular: enc.encode('regular'),
  directory: enc.encode('directory'),
  symlink: enc.encode('symlink'),
  executable: enc.encode('executable'),
  contents: enc.encode('contents'),
  target: enc.encode('target'),
  entry: enc.encode('entry'),
  name: enc.encode('name'),
  node: enc.encode('node'),
} as const

/** Why `name` is not a valid entry name, or undefined if it is. */
export function invalidName(name: Uint8Array): string | undefined {
  if (name.length === 0) return 'empty'
  if (name.length > MAX_NAME_LEN) return `longer than ${MAX_NAME_LEN} bytes`
  if (name[0] === 0x2e && (name.length === 1 || (name.length === 2 && name[1] === 0x2e))) return 'reserved'
  if (name.includes(0x2f)) return "contains '/'"
  if (name.includes(0)) return 'contains NUL'
  return undefined
}

/** Byte-order comparison of names (C++ `std::string` `<`), not UTF-16 order. */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length)
  for (let i = 0; i < n; i++) {
    const d = a[i]! - b[i]!
    if (d !== 0) return d
  }
  return a.length - b.length
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}

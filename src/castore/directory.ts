/**
 * The castore `Directory` (tvix castore.proto `tvix.castore.v1.Directory`): three lists —
 * directories (field 1), files (2), symlinks (3) — each sorted by name, names unique across
 * all three. Its digest is BLAKE3 of the canonical protobuf encoding, so the encoder here is
 * the definition of identity and is written by hand.
 *
 * `size` follows tvix's running Rust code (castore/src/nodes/directory.rs since 2024-08):
 * 2 × (number of entries) + Σ sizes of child directories. castore.proto and the Go code say
 * 1 × entries + Σ child sizes; we chose Rust's because that is what tvix/snix stores write
 * and check (store.md §1.4), so our digests and theirs agree. Example: DIRECTORY_COMPLICATED
 * is 424a7f6c… here; it would be 3f951a15… under the proto's rule.
 */
import { B3Digest, B3_LEN } from './digest.js'
import { DuplicateNameError, ProtoDecodeError, SizeOverflowError, WrongSortingError } from './errors.js'
import { bytesEqual, compareBytes, toBytes, validateName, validateSymlinkTarget } from './names.js'
import type { DirectoryNode, Entry, FileNode, Node, SymlinkNode } from './node.js'
import { U64_MAX } from './node.js'
import {
  boolFieldSize, bytesFieldSize, lenFieldSize, ProtoReader, ProtoWriter, u64FieldSize, WT_LEN, WT_VARINT,
} from './proto.js'

/** Field numbers shared by `Directory`'s lists and the `Node` oneof. */
const F_DIRECTORY = 1, F_FILE = 2, F_SYMLINK = 3

export class Directory {
  private encoded: Uint8Array | undefined
  private digestCache: B3Digest | undefined
  private allCache: Entry[] | undefined

  private constructor(
    readonly directories: readonly Entry<DirectoryNode>[],
    readonly files: readonly Entry<FileNode>[],
    readonly symlinks: readonly Entry<SymlinkNode>[],
    /** tvix `Directory::size()`, see the module comment. */
    readonly size: bigint,
  ) {}

  static readonly EMPTY = new Directory([], [], [], 0n)

  /**
   * Build from entries in any order: validates names (and symlink targets), sorts each list,
   * rejects duplicate names across lists and a size that overflows u64.
   */
  static from(entries: Iterable<{ name: string | Uint8Array; node: Node }>): Directory {
    const dirs: Entry<DirectoryNode>[] = [], files: Entry<FileNode>[] = [], links: Entry<SymlinkNode>[] = []
    for (const e of entries) {
      const name = toBytes(e.name)
      validateName(name)
      const n = e.node
      if (n.kind === 'directory') dirs.push({ name, node: n })
      else if (n.kind === 'file') files.push({ name, node: n })
      else { validateSymlinkTarget(n.target); links.push({ name, node: n }) }
    }
    const byName = (a: Entry, b: Entry): number => compareBytes(a.name, b.name)
    dirs.sort(byName); files.sort(byName); links.sort(byName)
    return Directory.checked(dirs, files, links)
  }

  private static checked(dirs: Entry<DirectoryNode>[], files: Entry<FileNode>[], links: Entry<SymlinkNode>[]): Directory {
    checkUnique(dirs, files, links)
    let size = BigInt(2 * (dirs.length + files.length + links.length))
    for (const d of dirs) size += d.node.size
    if (size > U64_MAX) throw new SizeOverflowError()
    return new Directory(dirs, files, links, size)
  }

  /**
   * Decode canonical bytes. Rejects anything tvix would reject when validating, and anything
   * that is not exactly the canonical encoding (unknown fields, out-of-order fields, encoded
   * defaults, long varints), because such bytes would hash to a digest no one else computes.
   */
  static decode(bytes: Uint8Array): Directory {
    const buf = Uint8Array.from(bytes)
    const r = new ProtoReader(buf, 'directory')
    const dirs: Entry<DirectoryNode>[] = [], files: Entry<FileNode>[] = [], links: Entry<SymlinkNode>[] = []
    while (!r.done) {
      const { field, wireType } = r.key()
      if (field < F_DIRECTORY || field > F_SYMLINK) throw new ProtoDecodeError(`directory: unknown field ${field}`)
      r.expectWireType(wireType, WT_LEN, String(field))
      const body = r.bytes(buf.length, 'entry')
      const e = decodeEntryBody(field, body)
      if (e.node.kind === 'directory') pushSorted(dirs, e as Entry<DirectoryNode>)
      else if (e.node.kind === 'file') pushSorted(files, e as Entry<FileNode>)
      else pushSorted(links, e as Entry<SymlinkNode>)
    }
    const d = Directory.checked(dirs, files, links)
    if (!bytesEqual(d.encode(), buf)) throw new ProtoDecodeError('directory: not in canonical protobuf form')
    d.encoded = buf
    return d
  }

  /** The canonical protobuf encoding (cached). */
  encode(): Uint8Array {
    if (this.encoded === undefined) {
      let total = 0
      for (const e of this.directories) total += lenFieldSize(entryBodySize(e))
      for (const e of this.files) total += lenFieldSize(entryBodySize(e))
      for (const e of this.symlinks) total += lenFieldSize(entryBodySize(e))
      const w = new ProtoWriter(total)
      for (const e of this.directories) writeEntry(w, e)
      for (const e of this.files) writeEntry(w, e)
      for (const e of this.symlinks) writeEntry(w, e)
      this.encoded = w.finish()
    }
    return this.encoded
  }

  /** BLAKE3 of the canonical encoding (cached). */
  get digest(): B3Digest {
    if (this.digestCache === undefined) this.digestCache = B3Digest.of(this.encode())
    return this.digestCache
  }

  /** All entries, merged and sorted by name (the order of a NAR directory listing). */
  entries(): readonly Entry[] {
    if (this.allCache === undefined) {
      const all: Entry[] = [...this.directories, ...this.files, ...this.symlinks]
      all.sort((a, b) => compareBytes(a.name, b.name))
      this.allCache = all
    }
    return this.allCache
  }

  get length(): number { return this.directories.length + this.files.length + this.symlinks.length }

  /** A `DirectoryNode` pointing at this directory. */
  toNode(): DirectoryNode { return { kind: 'directory', digest: this.digest, size: this.size } }
}

function pushSorted<N extends Node>(list: Entry<N>[], e: Entry<N>): void {
  const prev = list[list.length - 1]
  if (prev !== undefined) {
    const c = compareBytes(e.name, prev.name)
    if (c < 0) throw new WrongSortingError(e.name)
    if (c === 0) throw new DuplicateNameError(e.name)
  }
  list.push(e)
}

/** Names must be unique across the three (independently sorted) lists. */
function checkUnique(dirs: readonly Entry[], files: readonly Entry[], links: readonly Entry[]): void {
  const total = dirs.length + files.length + links.length
  if (total < 2) return
  const all = [...dirs, ...files, ...links].map(e => e.name).sort(compareBytes)
  for (let i = 1; i < all.length; i++) if (compareBytes(all[i - 1]!, all[i]!) === 0) throw new DuplicateNameError(all[i]!)
}

// ---- Node sub-messages (shared by Directory entries and root nodes) --------------------------

export function entryField(node: Node): number {
  return node.kind === 'directory' ? F_DIRECTORY : node.kind === 'file' ? F_FILE : F_SYMLINK
}

export function entryBodySize(e: Entry): number {
  const n = e.node
  const name = bytesFieldSize(e.name)
  if (n.kind === 'symlink') return name + bytesFieldSize(n.target)
  const common = name + lenFieldSize(B3_LEN) + u64FieldSize(n.size)
  return n.kind === 'file' ? common + boolFieldSize(n.executable) : common
}

/** Write one entry as the sub-message field (1, 2 or 3) it belongs to. */
export function writeEntry(w: ProtoWriter, e: Entry): void {
  const n = e.node
  w.lenHeader(entryField(n), entryBodySize(e))
  w.bytesField(1, e.name)
  if (n.kind === 'symlink') { w.bytesField(2, n.target); return }
  w.lenField(2, n.digest.bytes)
  w.u64Field(3, n.size)
  if (n.kind === 'file') w.boolField(4, n.executable)
}

/**
 * Decode a DirectoryNode/FileNode/SymlinkNode body. The name may be empty here (root nodes
 * may be anonymous); Directory entries get their names checked by the caller's `validateName`.
 */
export function decodeEntryBody(field: number, body: Uint8Array, allowEmptyName = false): Entry {
  const what = field === F_DIRECTORY ? 'directory node' : field === F_FILE ? 'file node' : 'symlink node'
  const r = new ProtoReader(body, what)
  let name: Uint8Array = new Uint8Array(0)
  let digest: Uint8Array = new Uint8Array(0)
  let target: Uint8Array = new Uint8Array(0)
  let size = 0n
  let executable = false
  while (!r.done) {
    const { field: f, wireType } = r.key()
    if (f === 1) { r.expectWireType(wireType, WT_LEN, 'name'); name = r.bytes(body.length, 'name') }
    else if (f === 2 && field === F_SYMLINK) { r.expectWireType(wireType, WT_LEN, 'target'); target = r.bytes(body.length, 'target') }
    else if (f === 2) { r.expectWireType(wireType, WT_LEN, 'digest'); digest = r.bytes(body.length, 'digest') }
    else if (f === 3 && field !== F_SYMLINK) { r.expectWireType(wireType, WT_VARINT, 'size'); size = r.varint() }
    else if (f === 4 && field === F_FILE) {
      r.expectWireType(wireType, WT_VARINT, 'executable')
      const v = r.varint()
      if (v > 1n) throw new ProtoDecodeError(`${what}: executable must be 0 or 1, got ${v}`)
      executable = v === 1n
    } else throw new ProtoDecodeError(`${what}: unknown field ${f}`)
  }
  if (!(allowEmptyName && name.length === 0)) validateName(name)
  if (field === F_SYMLINK) {
    validateSymlinkTarget(target)
    return { name, node: { kind: 'symlink', target } }
  }
  const d = B3Digest.from(digest)
  if (field === F_DIRECTORY) return { name, node: { kind: 'directory', digest: d, size } }
  return { name, node: { kind: 'file', digest: d, size, executable } }
}

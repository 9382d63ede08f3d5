/**
 * A root node: a name plus a node, encoded as tvix's `tvix.castore.v1.Node` message (a oneof
 * of DirectoryNode = 1, FileNode = 2, SymlinkNode = 3, each carrying its name; snix calls it
 * `Entry`). pathinfo stores these bytes per store path with the store-path basename as name;
 * an anonymous node has an empty name.
 */
import { decodeEntryBody, entryBodySize, writeEntry } from './directory.js'
import { ProtoDecodeError } from './errors.js'
import { bytesEqual, toBytes, validateName } from './names.js'
import type { Entry, Node } from './node.js'
import { lenFieldSize, ProtoReader, ProtoWriter, WT_LEN } from './proto.js'

/** Encode `name` + `node` canonically. The name must be empty or a valid entry name. */
export function encodeRootNode(name: string | Uint8Array, node: Node): Uint8Array {
  const n = toBytes(name)
  if (n.length > 0) validateName(n)
  const e: Entry = { name: n, node }
  const w = new ProtoWriter(lenFieldSize(entryBodySize(e)))
  writeEntry(w, e)
  return w.finish()
}

/** Decode a root node; the name comes back empty for an anonymous node. */
export function decodeRootNode(bytes: Uint8Array): Entry {
  const buf = Uint8Array.from(bytes)
  const r = new ProtoReader(buf, 'node')
  if (r.done) throw new ProtoDecodeError('node: no node set')
  const { field, wireType } = r.key()
  if (field < 1 || field > 3) throw new ProtoDecodeError(`node: unknown field ${field}`)
  r.expectWireType(wireType, WT_LEN, String(field))
  const e = decodeEntryBody(field, r.bytes(buf.length, 'node'), true)
  if (!r.done) throw new ProtoDecodeError('node: more than one node set')
  if (!bytesEqual(encodeRootNode(e.name, e.node), buf)) throw new ProtoDecodeError('node: not in canonical protobuf form')
  return e
}

/**
 * The chunk list of a chunked blob, encoded as tvix's `StatBlobResponse` (rpc_blobstore.proto:
 * `repeated ChunkMeta chunks = 2; bytes bao = 3;`, `ChunkMeta { bytes digest = 1; uint64 size = 2; }`),
 * the same bytes tvix's objectstore backend keeps under blobs/. Pure codec.
 */
import { B3Digest, B3_LEN } from './digest.js'
import { ProtoDecodeError } from './errors.js'
import { bytesEqual } from './names.js'
import { lenFieldSize, ProtoReader, ProtoWriter, u64FieldSize, WT_LEN, WT_VARINT } from './proto.js'

export interface ChunkMeta { readonly digest: B3Digest; readonly size: number }

/** More chunks than this in one index is refused (1 TiB at 256 KiB average). */
export const MAX_CHUNKS = 4 * 1024 * 1024

function chunkBodySize(c: ChunkMeta): number { return lenFieldSize(B3_LEN) + u64FieldSize(BigInt(c.size)) }

export function encodeBlobIndex(chunks: readonly ChunkMeta[]): Uint8Array {
  let total = 0
  for (const c of chunks) total += lenFieldSize(chunkBodySize(c))
  const w = new ProtoWriter(total)
  for (const c of chunks) {
    w.lenHeader(2, chunkBodySize(c))
    w.lenField(1, c.digest.bytes)
    w.u64Field(2, BigInt(c.size))
  }
  return w.finish()
}

export function decodeBlobIndex(bytes: Uint8Array): ChunkMeta[] {
  const r = new ProtoReader(bytes, 'blob index')
  const out: ChunkMeta[] = []
  while (!r.done) {
    const { field, wireType } = r.key()
    if (field !== 2) throw new ProtoDecodeError(`blob index: unexpected field ${field}`)
    r.expectWireType(wireType, WT_LEN, 'chunks')
    if (out.length >= MAX_CHUNKS) throw new ProtoDecodeError(`blob index: more than ${MAX_CHUNKS} chunks`)
    const cr = new ProtoReader(r.bytes(bytes.length, 'chunk'), 'chunk meta')
    let digest: Uint8Array = new Uint8Array(0)
    let size = 0n
    while (!cr.done) {
      const k = cr.key()
      if (k.field === 1) { cr.expectWireType(k.wireType, WT_LEN, 'digest'); digest = cr.bytes(B3_LEN, 'digest') }
      else if (k.field === 2) { cr.expectWireType(k.wireType, WT_VARINT, 'size'); size = cr.varint() }
      else throw new ProtoDecodeError(`chunk meta: unknown field ${k.field}`)
    }
    if (size === 0n || size > BigInt(Number.MAX_SAFE_INTEGER)) throw new ProtoDecodeError(`chunk meta: bad chunk size ${size}`)
    out.push({ digest: B3Digest.from(digest), size: Number(size) })
  }
  if (!bytesEqual(encodeBlobIndex(out), bytes)) throw new ProtoDecodeError('blob index: not in canonical protobuf form')
  return out
}

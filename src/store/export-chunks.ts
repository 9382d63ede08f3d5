/**
 * An export stream's bytes gathered into chunks of about CHUNK bytes. Per small path the
 * stream is a marker, a NAR of a few hundred bytes and a trailer; handed out one by one, each
 * costs the consumer a write (and an async generator a turn), where C++ `nix-store --export`
 * writes through a buffered sink. Pure: the caller reads files and hands out the chunks.
 */
import { narFileHead, narFileTail } from '../nar/index.js'

const CHUNK = 64 * 1024
/** The NAR of a regular file up to its contents, with a size of 0 (patched per file). */
const HEADS = [narFileHead(0, false), narFileHead(0, true)] as const
/** The closing token after the contents' padding. */
const CLOSE = narFileTail(0)

export class ExportChunks {
  private buf: Buffer
  private pos = 0
  private done: Uint8Array[] = []

  constructor(private readonly chunkSize = CHUNK) {
    this.buf = Buffer.allocUnsafe(chunkSize)
  }

  /** `u64 1` before a path, `u64 0` at the end. */
  marker(more: boolean): void {
    const at = this.room(8)
    this.buf.writeUInt32LE(more ? 1 : 0, at)
    this.buf.writeUInt32LE(0, at + 4)
  }

  bytes(b: Uint8Array): void {
    const at = this.room(b.length) // first: it may start a new chunk
    this.buf.set(b, at)
  }

  /** The NAR of one regular file with these contents; returns a view of it (to hash). */
  narFile(executable: boolean, contents: Uint8Array): Uint8Array {
    const head = HEADS[executable ? 1 : 0]
    const size = contents.length
    const pad = (8 - (size & 7)) & 7
    const n = head.length + size + pad + CLOSE.length
    const start = this.room(n)
    const buf = this.buf
    buf.set(head, start)
    let at = start + head.length
    buf.writeUInt32LE(size % 0x1_0000_0000, at - 8)
    buf.writeUInt32LE(Math.floor(size / 0x1_0000_0000), at - 4)
    buf.set(contents, at)
    at += size
    buf.fill(0, at, at + pad)
    buf.set(CLOSE, at + pad)
    return buf.subarray(start, start + n)
  }

  /** Chunks completed so far (to hand out); the one being filled stays. */
  take(): Uint8Array[] {
    const d = this.done
    this.done = []
    return d
  }

  /** Everything not handed out yet, the chunk being filled included. */
  flush(): Uint8Array[] {
    this.finishChunk(this.chunkSize)
    return this.take()
  }

  /** Where `n` more bytes go: in this chunk, or in a new one (at least `n` long). */
  private room(n: number): number {
    if (this.buf.length - this.pos < n) this.finishChunk(Math.max(this.chunkSize, n))
    const at = this.pos
    this.pos += n
    return at
  }

  private finishChunk(nextSize: number): void {
    if (this.pos === 0 && this.buf.length >= nextSize) return
    if (this.pos > 0) this.done.push(this.buf.subarray(0, this.pos))
    this.buf = Buffer.allocUnsafe(nextSize)
    this.pos = 0
  }
}

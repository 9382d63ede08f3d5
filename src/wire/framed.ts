/**
 * Framed streams: repeated (u64 length, raw bytes — not padded), ended by a zero length.
 * The decoder is incremental (push chunks, get data back) so it never sees a socket.
 */
import { ProtocolError, WireLimitError } from './errors.js'
import { LIMITS } from './limits.js'

export class FramedDecoder {
  private header = new Uint8Array(8)
  private headerFill = 0
  /** Bytes of the current frame still to come; -1 while reading a header. */
  private left = -1
  private finished = false
  private readonly maxFrame: number

  constructor(maxFrame: number = LIMITS.frame) { this.maxFrame = maxFrame }

  /** True once the terminating empty frame has been read. */
  get done(): boolean { return this.finished }

  /**
   * Feed bytes. Returns the payload bytes found (views into `chunk`) and, once the terminator
   * is reached, the unconsumed rest of `chunk` (the bytes after the stream).
   */
  push(chunk: Uint8Array): { data: Uint8Array[]; rest?: Uint8Array } {
    const data: Uint8Array[] = []
    let i = 0
    while (i < chunk.length) {
      if (this.finished) return { data, rest: chunk.subarray(i) }
      if (this.left < 0) {
        const take = Math.min(8 - this.headerFill, chunk.length - i)
        this.header.set(chunk.subarray(i, i + take), this.headerFill)
        this.headerFill += take
        i += take
        if (this.headerFill < 8) break
        this.headerFill = 0
        const v = new DataView(this.header.buffer)
        const hi = v.getUint32(4, true)
        const lo = v.getUint32(0, true)
        if (hi !== 0 || lo > this.maxFrame) throw new WireLimitError('frame', hi !== 0 ? v.getBigUint64(0, true) : lo, this.maxFrame)
        if (lo === 0) { this.finished = true; continue }
        this.left = lo
      } else {
        const take = Math.min(this.left, chunk.length - i)
        data.push(chunk.subarray(i, i + take))
        i += take
        this.left -= take
        if (this.left === 0) this.left = -1
      }
    }
    return this.finished ? { data, rest: chunk.subarray(i) } : { data }
  }

  /** Call at end of input: a stream without its terminator is truncated. */
  end(): void {
    if (!this.finished) throw new ProtocolError('framed stream ended without its terminating empty frame', 'ERR_WIRE_FRAMED_EOF')
  }
}

/**
 * A byte stream that can hand over all of its remaining content synchronously when that is
 * buffered already, so a consumer of a small upload skips the asynchronous iteration.
 */
export interface WholeIfBuffered {
  /** Every remaining chunk, if all are buffered and total at most `max` bytes (then consumed); else undefined, nothing consumed. */
  takeWhole?(max: number): Uint8Array[] | undefined
}

/**
 * The payload of a framed stream that lies whole in `buf` (from its start): the frames' data
 * (views into `buf`) and the bytes used, terminator included; undefined when the stream does
 * not end within `buf`, its payload exceeds `max` bytes, or a frame is over `maxFrame` (left for
 * an incremental reader to report).
 */
export function framedWhole(buf: Uint8Array, max: number, maxFrame: number = LIMITS.frame): { data: Uint8Array[]; used: number } | undefined {
  const v = new DataView(buf.buffer, buf.byteOffset, buf.byteLength)
  const data: Uint8Array[] = []
  let pos = 0
  let total = 0
  for (;;) {
    if (buf.length - pos < 8) return undefined
    const lo = v.getUint32(pos, true)
    if (v.getUint32(pos + 4, true) !== 0 || lo > maxFrame) return undefined
    pos += 8
    if (lo === 0) return { data, used: pos }
    total += lo
    if (total > max || buf.length - pos < lo) return undefined
    data.push(buf.subarray(pos, pos + lo))
    pos += lo
  }
}

/** Encode a whole payload as one framed stream (frames of at most `frameSize` bytes). */
export function encodeFramed(payload: Uint8Array, frameSize = 32 * 1024): Uint8Array {
  const nFrames = Math.ceil(payload.length / frameSize)
  const out = new Uint8Array(payload.length + 8 * nFrames + 8)
  const view = new DataView(out.buffer)
  let o = 0
  for (let p = 0; p < payload.length; p += frameSize) {
    const n = Math.min(frameSize, payload.length - p)
    view.setUint32(o, n, true)
    o += 8
    out.set(payload.subarray(p, p + n), o)
    o += n
  }
  return out // the final 8 bytes are already zero: the terminator
}

/** Frame an async byte stream: each input chunk becomes (u64 len, bytes), then a 0. */
export async function* framedStream(src: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  for await (const chunk of src) {
    if (chunk.length === 0) continue
    const h = new Uint8Array(8)
    new DataView(h.buffer).setUint32(0, chunk.length, true)
    yield h
    yield chunk
  }
  yield new Uint8Array(8)
}

/**
 * A synchronous reader of Nix wire primitives over one Uint8Array (a codec: no I/O).
 *
 * Running off the end throws IncompleteError carrying the number of bytes needed, so an
 * incremental caller can retry once more bytes have arrived; every length from the peer is
 * checked against a limit before allocating.
 */
import { IncompleteError, WireLimitError, WirePaddingError, WireRangeError } from './errors.js'
import { LIMITS } from './limits.js'

const U32_MAX = 0xffff_ffffn
const textDecoder = new TextDecoder('utf-8', { fatal: false })

export interface ReadOptions {
  /** Largest accepted length in bytes (default LIMITS.shortString). */
  max?: number
  /** What is being read, for error messages. */
  what?: string
}

export class WireReader {
  readonly buf: Uint8Array
  private readonly view: DataView
  /** Offset of the next unread byte. */
  pos: number

  constructor(buf: Uint8Array, pos = 0) {
    this.buf = buf
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength)
    this.pos = pos
  }

  get remaining(): number { return this.buf.length - this.pos }
  get atEnd(): boolean { return this.pos >= this.buf.length }

  private need(n: number): void {
    if (this.pos + n > this.buf.length) throw new IncompleteError(this.pos + n)
  }

  u64(): bigint {
    this.need(8)
    const v = this.view.getBigUint64(this.pos, true)
    this.pos += 8
    return v
  }

  /** A u64 that must fit a JS safe integer (lengths, counts, times). */
  num(what = 'number'): number {
    this.need(8)
    const lo = this.view.getUint32(this.pos, true)
    const hi = this.view.getUint32(this.pos + 4, true)
    if (hi > 0x1f_ffff) throw new WireRangeError(what, this.view.getBigUint64(this.pos, true), BigInt(Number.MAX_SAFE_INTEGER))
    this.pos += 8
    return hi * 0x1_0000_0000 + lo
  }

  /** C++ `readInt`: unsigned, at most 2^32-1. */
  u32(what = 'unsigned int'): number {
    const v = this.u64()
    if (v > U32_MAX) throw new WireRangeError(what, v, U32_MAX)
    return Number(v)
  }

  /** C++ `readNum<uint8_t>`. */
  u8(what = 'uint8'): number {
    const v = this.u64()
    if (v > 255n) throw new WireRangeError(what, v, 255n)
    return Number(v)
  }

  /** Any non-zero value is true, as the C++ and tvix readers do. */
  bool(): boolean {
    this.need(8)
    const nz = this.view.getUint32(this.pos, true) !== 0 || this.view.getUint32(this.pos + 4, true) !== 0
    this.pos += 8
    return nz
  }

  /** A padded byte string; the result is a view into the buffer (copy it to keep it). */
  bytes(opts: ReadOptions = {}): Uint8Array {
    const max = opts.max ?? LIMITS.shortString
    this.need(8)
    const lo = this.view.getUint32(this.pos, true)
    const hi = this.view.getUint32(this.pos + 4, true)
    if (hi !== 0 || lo > max) throw new WireLimitError(opts.what ?? 'string', hi !== 0 ? this.view.getBigUint64(this.pos, true) : lo, max)
    const padded = (lo + 7) & ~7
    this.need(8 + padded)
    const start = this.pos + 8
    for (let i = start + lo; i < start + padded; i++) if (this.buf[i] !== 0) throw new WirePaddingError()
    this.pos = start + padded
    return this.buf.subarray(start, start + lo)
  }

  /** A padded string decoded as UTF-8 (invalid sequences become U+FFFD; use bytes() to keep them). */
  string(opts: ReadOptions = {}): string {
    return textDecoder.decode(this.bytes(opts))
  }

  /** A list or set count, bounded. */
  count(what = 'list', max: number = LIMITS.listCount): number {
    this.need(8)
    const lo = this.view.getUint32(this.pos, true)
    const hi = this.view.getUint32(this.pos + 4, true)
    if (hi !== 0 || lo > max) throw new WireLimitError(what, hi !== 0 ? this.view.getBigUint64(this.pos, true) : lo, max)
    this.pos += 8
    return lo
  }

  strings(opts: ReadOptions = {}): string[] {
    // No preallocation: the count is the peer's claim, the elements are what arrived.
    const n = this.count(opts.what ?? 'string list')
    const out: string[] = []
    for (let i = 0; i < n; i++) out.push(this.string(opts))
    return out
  }

  list<T>(item: (r: WireReader) => T, what = 'list'): T[] {
    const n = this.count(what)
    const out: T[] = []
    for (let i = 0; i < n; i++) out.push(item(this))
    return out
  }

  /** Raw bytes with no length prefix or padding. */
  raw(n: number): Uint8Array {
    this.need(n)
    const b = this.buf.subarray(this.pos, this.pos + n)
    this.pos += n
    return b
  }
}

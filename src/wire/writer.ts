/**
 * A synchronous writer of Nix wire primitives into a growing buffer (a codec: no I/O).
 */
const textEncoder = new TextEncoder()
const ZERO8 = new Uint8Array(8)

export class WireWriter {
  private buf: Uint8Array
  private view: DataView
  private len = 0

  constructor(initial = 256) {
    this.buf = new Uint8Array(initial)
    this.view = new DataView(this.buf.buffer)
  }

  get length(): number { return this.len }

  private reserve(n: number): void {
    if (this.len + n <= this.buf.length) return
    let size = this.buf.length * 2
    while (size < this.len + n) size *= 2
    const next = new Uint8Array(size)
    next.set(this.buf.subarray(0, this.len))
    this.buf = next
    this.view = new DataView(next.buffer)
  }

  u64(v: bigint | number): this {
    this.reserve(8)
    if (typeof v === 'number') {
      if (!Number.isSafeInteger(v) || v < 0) throw new RangeError(`u64 out of range: ${v}`)
      this.view.setUint32(this.len, v % 0x1_0000_0000, true)
      this.view.setUint32(this.len + 4, Math.floor(v / 0x1_0000_0000), true)
    } else {
      this.view.setBigUint64(this.len, BigInt.asUintN(64, v), true)
    }
    this.len += 8
    return this
  }

  bool(v: boolean): this { return this.u64(v ? 1 : 0) }

  bytes(b: Uint8Array): this {
    const padded = (b.length + 7) & ~7
    this.u64(b.length)
    this.reserve(padded)
    this.buf.set(b, this.len)
    this.buf.fill(0, this.len + b.length, this.len + padded)
    this.len += padded
    return this
  }

  string(s: string): this { return this.bytes(textEncoder.encode(s)) }

  strings(list: readonly string[]): this {
    this.u64(list.length)
    for (const s of list) this.string(s)
    return this
  }

  list<T>(items: readonly T[], item: (w: WireWriter, v: T) => void): this {
    this.u64(items.length)
    for (const v of items) item(this, v)
    return this
  }

  raw(b: Uint8Array): this {
    this.reserve(b.length)
    this.buf.set(b, this.len)
    this.len += b.length
    return this
  }

  /** The bytes written so far (a copy, so the writer can be reused). */
  finish(): Uint8Array { return this.buf.slice(0, this.len) }

  /** The bytes written so far without copying; valid until the next write. */
  view_(): Uint8Array { return this.buf.subarray(0, this.len) }

  reset(): void { this.len = 0 }
}

/** Bytes of zero padding after a string of `len` bytes. */
export function paddingOf(len: number): Uint8Array { return ZERO8.subarray(0, (8 - (len & 7)) & 7) }

/** One padded string as bytes. */
export function encodeString(s: string | Uint8Array): Uint8Array {
  return new WireWriter(16 + s.length).bytes(typeof s === 'string' ? textEncoder.encode(s) : s).finish()
}

/** One u64 as bytes. */
export function encodeU64(v: bigint | number): Uint8Array { return new WireWriter(8).u64(v).finish() }

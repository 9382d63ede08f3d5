/**
 * The few protobuf primitives the castore messages need, by hand (store.md §5: don't trust a
 * generic library's field order for digests). Writers emit canonical form: fields in number
 * order, proto3 defaults omitted, minimal varints. Readers are bounded by the buffer and
 * reject truncation; canonicality is checked by the message codecs (re-encode and compare).
 */
import { ProtoDecodeError } from './errors.js'

export const WT_VARINT = 0
export const WT_LEN = 2

export function varintSize(v: bigint | number): number {
  if (typeof v === 'number' && v < 0x80) return 1
  let x = BigInt(v)
  let n = 1
  while (x >= 0x80n) { x >>= 7n; n++ }
  return n
}

/** Size of a length-delimited field (tag + length + body); tags here are all one byte. */
export function lenFieldSize(bodyLen: number): number {
  return 1 + varintSize(bodyLen) + bodyLen
}

/** A writer into a buffer sized up front (callers compute exact sizes). */
export class ProtoWriter {
  readonly buf: Uint8Array
  pos = 0
  constructor(size: number) { this.buf = new Uint8Array(size) }

  tag(field: number, wireType: number): void { this.buf[this.pos++] = (field << 3) | wireType }

  varint(v: bigint | number): void {
    if (typeof v === 'number' && v <= 0xffffffff) {
      let x = v
      while (x >= 0x80) { this.buf[this.pos++] = (x & 0x7f) | 0x80; x = Math.floor(x / 128) }
      this.buf[this.pos++] = x
      return
    }
    let x = BigInt(v)
    while (x >= 0x80n) { this.buf[this.pos++] = Number(x & 0x7fn) | 0x80; x >>= 7n }
    this.buf[this.pos++] = Number(x)
  }

  /** A length-delimited field, always written (sub-messages, oneof members). */
  lenField(field: number, body: Uint8Array): void {
    this.tag(field, WT_LEN); this.varint(body.length); this.buf.set(body, this.pos); this.pos += body.length
  }

  /** Header of a sub-message whose body the caller writes next. */
  lenHeader(field: number, bodyLen: number): void { this.tag(field, WT_LEN); this.varint(bodyLen) }

  /** A `bytes` field, omitted when empty (proto3 default). */
  bytesField(field: number, b: Uint8Array): void { if (b.length > 0) this.lenField(field, b) }

  /** A `uint64` field, omitted when zero. */
  u64Field(field: number, v: bigint): void { if (v !== 0n) { this.tag(field, WT_VARINT); this.varint(v) } }

  /** A `bool` field, omitted when false. */
  boolField(field: number, v: boolean): void { if (v) { this.tag(field, WT_VARINT); this.buf[this.pos++] = 1 } }

  finish(): Uint8Array {
    if (this.pos !== this.buf.length) throw new Error(`proto writer: sized ${this.buf.length} bytes, wrote ${this.pos}`)
    return this.buf
  }
}

export function bytesFieldSize(b: Uint8Array): number { return b.length > 0 ? lenFieldSize(b.length) : 0 }
export function u64FieldSize(v: bigint): number { return v !== 0n ? 1 + varintSize(v) : 0 }
export function boolFieldSize(v: boolean): number { return v ? 2 : 0 }

/** A bounded reader over one message's bytes. */
export class ProtoReader {
  pos = 0
  constructor(readonly buf: Uint8Array, readonly what: string) {}

  get done(): boolean { return this.pos >= this.buf.length }

  /** Next field key; field numbers above 15 or unknown wire types are rejected by callers. */
  key(): { field: number; wireType: number } {
    const k = this.varint()
    if (k > 0xffffffffn) throw new ProtoDecodeError(`${this.what}: field key ${k} out of range`)
    const n = Number(k)
    return { field: n >>> 3, wireType: n & 7 }
  }

  varint(): bigint {
    let result = 0n
    let shift = 0n
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.buf.length) throw new ProtoDecodeError(`${this.what}: truncated varint`)
      const b = this.buf[this.pos++]!
      result |= BigInt(b & 0x7f) << shift
      if ((b & 0x80) === 0) {
        if (result > 0xffffffffffffffffn) throw new ProtoDecodeError(`${this.what}: varint exceeds u64`)
        return result
      }
      shift += 7n
    }
    throw new ProtoDecodeError(`${this.what}: varint longer than 10 bytes`)
  }

  /** A length-delimited value; the length is bounded by the bytes left and by `max`. */
  bytes(max: number, field: string): Uint8Array {
    const len = this.varint()
    const left = this.buf.length - this.pos
    if (len > BigInt(left)) throw new ProtoDecodeError(`${this.what}: ${field} length ${len} exceeds the ${left} bytes left`)
    if (len > BigInt(max)) throw new ProtoDecodeError(`${this.what}: ${field} length ${len} > ${max}`)
    const n = Number(len)
    const out = this.buf.subarray(this.pos, this.pos + n)
    this.pos += n
    return out
  }

  expectWireType(got: number, want: number, field: string): void {
    if (got !== want) throw new ProtoDecodeError(`${this.what}: field ${field} has wire type ${got}, expected ${want}`)
  }
}

/**
 * The data a client sends with an op, as an AsyncIterable<Uint8Array> for the handler, in the
 * three shapes the protocol has: framed (until an empty frame), a raw NAR (until the NAR ends)
 * and pulled with STDERR_READ. Each can be drained: the connection drains whatever the handler
 * did not read, even when the op failed half-way, so the next op is read from the right place
 * (C++ FramedSource's destructor does the same).
 *
 * Chunks are views into the ByteSource's buffers, which are never written to again once handed
 * out; a consumer may keep them.
 */
import { ByteSource, framedWhole, LIMITS, ProtocolError, UnexpectedEofError, type WholeIfBuffered, WireLimitError, WireReader } from '../wire/index.js'
import { NarScanner } from './codec/index.js'

export interface Upload extends AsyncIterable<Uint8Array>, WholeIfBuffered {
  /** Read and discard the rest of the data. */
  drain(): Promise<void>
  /** True once all of the data has been read. */
  readonly finished: boolean
  /**
   * True once reading the data itself failed (bad framing, the connection ended, a raw NAR that
   * breaks the grammar): where the data ends is unknown, so the connection cannot go on.
   */
  readonly broken: boolean
}

const CHUNK = 64 * 1024

/** u64 length + bytes (unpadded), repeated, then a u64 0. */
export class FramedUpload implements Upload {
  private readonly src: ByteSource
  private left = 0
  private done = false
  private iterating = false
  broken = false

  constructor(src: ByteSource) { this.src = src }

  get finished(): boolean { return this.done }

  /** The next chunk of payload, or undefined after the terminator. */
  async next(): Promise<Uint8Array | undefined> {
    try { return await this.read() } catch (e) { this.broken = true; throw e }
  }

  private async read(): Promise<Uint8Array | undefined> {
    while (this.left === 0) {
      if (this.done) return undefined
      // fill, then read: a decode would throw (and catch) an IncompleteError whenever the
      // length has not arrived yet, which for small uploads is most of the time
      if (this.src.buffered < 8 && !(await this.src.fill(8))) throw new UnexpectedEofError('frame length')
      const n = new WireReader(this.src.peek()).u64()
      this.src.skip(8)
      if (n === 0n) { this.done = true; return undefined }
      if (n > BigInt(LIMITS.frame)) throw new WireLimitError('frame', n, LIMITS.frame)
      this.left = Number(n)
    }
    const b = await this.src.readSome(Math.min(this.left, CHUNK))
    if (!b) throw new UnexpectedEofError('framed data')
    this.left -= b.length
    return b
  }

  takeWhole(max: number): Uint8Array[] | undefined {
    if (this.iterating || this.done || this.left !== 0) return undefined
    const whole = framedWhole(this.src.peek(), max)
    if (whole === undefined) return undefined
    this.src.skip(whole.used)
    this.done = true
    return whole.data
  }

  async *[Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    if (this.iterating) throw new Error('a framed upload can be read once')
    this.iterating = true
    for (let b = await this.next(); b !== undefined; b = await this.next()) yield b
  }

  async drain(): Promise<void> { while ((await this.next()) !== undefined) { /* discard */ } }
}

/** A raw NAR: its end is found by following the NAR grammar. */
export class NarUpload implements Upload {
  private readonly pull: (max: number) => Promise<Uint8Array | undefined>
  private readonly giveBack: (rest: Uint8Array) => void
  private readonly scanner = new NarScanner()
  private iterating = false
  broken = false

  /** `pull` returns up to `max` bytes; `giveBack` returns bytes read past the end of the NAR. */
  constructor(pull: (max: number) => Promise<Uint8Array | undefined>, giveBack: (rest: Uint8Array) => void) {
    this.pull = pull
    this.giveBack = giveBack
  }

  static from(src: ByteSource): NarUpload {
    return new NarUpload(max => src.readSome(max), rest => { src.unshift(rest) })
  }

  get finished(): boolean { return this.scanner.done }

  async next(): Promise<Uint8Array | undefined> {
    try { return await this.read() } catch (e) { this.broken = true; throw e }
  }

  private async read(): Promise<Uint8Array | undefined> {
    if (this.scanner.done) return undefined
    const b = await this.pull(CHUNK)
    if (!b) { this.scanner.end(); return undefined }
    const n = this.scanner.push(b)
    if (n < b.length) this.giveBack(b.subarray(n))
    return b.subarray(0, n)
  }

  async *[Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    if (this.iterating) throw new Error('a NAR upload can be read once')
    this.iterating = true
    for (let b = await this.next(); b !== undefined; b = await this.next()) if (b.length > 0) yield b
  }

  async drain(): Promise<void> { while ((await this.next()) !== undefined) { /* discard */ } }
}

/**
 * Data pulled from the client with STDERR_READ (C++ TunnelSource): `request(n)` sends the
 * frame and returns the client's answer (≤ n bytes; an empty answer is an error).
 */
export class TunnelSource {
  private readonly request: (n: number) => Promise<Uint8Array>
  constructor(request: (n: number) => Promise<Uint8Array>) { this.request = request }

  async read(max: number): Promise<Uint8Array> {
    const b = await this.request(max)
    if (b.length === 0) throw new ProtocolError('unexpected end-of-file', 'ERR_WIRE_EOF')
    return b
  }
}

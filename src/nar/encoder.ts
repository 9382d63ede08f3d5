/**
 * The NAR encoder (a codec: no I/O, no promises). Give it events (`write(event)`, or the
 * matching methods, which avoid allocating event objects on hot paths) and collect the bytes
 * with `take()`:
 *
 *   const e = new NarEncoder()
 *   e.directory(); e.entry('a'); e.regular(false, 5); e.contents(bytes); e.directoryEnd()
 *   const pieces = e.take()       // Uint8Array[]; concatenated, they are the NAR so far
 *
 * It enforces the same rules the decoder checks, so its output is always canonical: entry names
 * valid and strictly increasing in byte order, each file's contents exactly its declared size
 * before the next event (the tvix `FileReader` rule), one root node. Breaking the event grammar
 * is a NarContractError (a bug in the caller); an invalid name or target is a NarEncodeError.
 *
 * Framing and small contents are gathered into pieces of about `chunkSize` bytes; contents of
 * at least `passThrough` bytes are handed out as they are, without copying — so do not modify
 * a buffer after passing it to `contents()`.
 */
import { NarContractError, NarEncodeError, quoteBytes } from './errors.js'
import type { NarEvent } from './events.js'
import { compareBytes, invalidName, MAX_TARGET_LEN, padded, TOK } from './format.js'

export interface NarEncoderOptions {
  /** Size of the pieces framing and small contents are gathered into (default 256 KiB). */
  chunkSize?: number
  /** Contents pieces at least this long are passed through uncopied (default 64 KiB). */
  passThrough?: number
  /**
   * Reuse output buffers once the caller says, with `release()`, that every piece taken so far
   * has been consumed (saves allocation, zeroing and page faults on long streams).
   */
  recycle?: boolean
}

const E_NODE = 0, E_ENTRY = 1, E_CONTENTS = 2, E_DONE = 3
const EXPECTING = ['a node', "an entry or the directory's end", 'file contents', 'nothing (the NAR is complete)']
const textEncoder = new TextEncoder()
const ZEROS = new Uint8Array(8)

export class NarEncoder {
  private readonly chunkSize: number
  private readonly passThrough: number
  private buf: Uint8Array
  private fill = 0
  /** Start of the bytes in `buf` not yet handed out. */
  private start = 0
  private pieces: Uint8Array[] = []
  private state = E_NODE
  private readonly dirs: Array<Uint8Array | undefined> = []
  private fileSize = 0
  private left = 0
  private total = 0
  private readonly recycle: boolean
  /** Full buffers handed out since the last release(), and buffers free for reuse. */
  private lent: Uint8Array[] = []
  private free: Uint8Array[] = []

  constructor(opts: NarEncoderOptions = {}) {
    this.chunkSize = Math.max(opts.chunkSize ?? 256 * 1024, 8192)
    this.passThrough = opts.passThrough ?? 64 * 1024
    this.recycle = opts.recycle ?? false
    this.buf = new Uint8Array(this.chunkSize)
    this.raw(TOK.magic)
  }

  /** True once the root node is complete. */
  get done(): boolean { return this.state === E_DONE }

  /** Bytes of NAR produced so far (taken or not). */
  get size(): number { return this.total }

  /** True while a regular file still expects contents. */
  get inFile(): boolean { return this.state === E_CONTENTS }

  /** Bytes of the current file's contents still expected. */
  get remaining(): number { return this.state === E_CONTENTS ? this.left : 0 }

  write(ev: NarEvent): void {
    switch (ev.kind) {
      case 'directory': return this.directory()
      case 'entry': return this.entry(ev.name)
      case 'directoryEnd': return this.directoryEnd()
      case 'regular': return this.regular(ev.executable, ev.size)
      case 'contents': return this.contents(ev.data)
      case 'symlink': return this.symlink(ev.target)
    }
  }

  /** A directory's opening; `written`: someone else wrote it to the output (a direct fill), only the state changes. */
  directory(written = false): void {
    this.expectState(E_NODE, 'directory')
    if (!written) this.raw(TOK.directory)
    this.dirs.push(undefined)
    this.state = E_ENTRY
  }

  entry(name: Uint8Array | string): void {
    this.expectState(E_ENTRY, 'entry')
    const n = typeof name === 'string' ? textEncoder.encode(name) : name
    const bad = invalidName(n)
    if (bad !== undefined) throw new NarEncodeError(`cannot write a NAR entry named ${quoteBytes(n)}: ${bad}`)
    const top = this.dirs.length - 1
    const prev = this.dirs[top]
    if (prev !== undefined && compareBytes(n, prev) <= 0) {
      throw new NarEncodeError(`NAR entries must be strictly sorted by name: ${quoteBytes(n)} after ${quoteBytes(prev)}`)
    }
    this.dirs[top] = n
    this.raw(TOK.entry)
    this.str(n)
    this.raw(TOK.node)
    this.state = E_NODE
  }

  directoryEnd(): void {
    this.expectState(E_ENTRY, 'directoryEnd')
    this.raw(TOK.close)
    this.dirs.pop()
    this.nodeDone()
  }

  regular(executable: boolean, size: number): void {
    this.expectState(E_NODE, 'regular')
    if (!Number.isSafeInteger(size) || size < 0) throw new NarContractError(`invalid file size ${size}`)
    this.raw(executable ? TOK.executable : TOK.regular)
    this.u64(size)
    this.fileSize = size
    this.left = size
    this.state = E_CONTENTS
    if (size === 0) this.fileDone()
  }

  contents(data: Uint8Array): void {
    this.expectState(E_CONTENTS, 'contents')
    const n = data.length
    if (n > this.left) throw new NarContractError(`file contents exceed the declared size ${this.fileSize} by ${n - this.left} bytes`)
    if (n === 0) return
    if (n >= this.passThrough) {
      if (this.fill > this.start) this.pieces.push(this.buf.subarray(this.start, this.fill))
      this.start = this.fill
      this.pieces.push(data)
      this.total += n
    } else {
      this.raw(data)
    }
    this.left -= n
    if (this.left === 0) this.fileDone()
  }

  /**
   * Reserve the next `n` bytes of the current file's contents inside the output buffer and
   * return them for the caller to fill before the next call (saves a copy for small files).
   * `n` must be at most `chunkSize`.
   */
  contentsBuffer(n: number): Uint8Array {
    this.expectState(E_CONTENTS, 'contents')
    if (n > this.left) throw new NarContractError(`file contents exceed the declared size ${this.fileSize} by ${n - this.left} bytes`)
    if (n > this.chunkSize) throw new NarContractError(`contentsBuffer(${n}) is larger than the chunk size ${this.chunkSize}`)
    if (this.buf.length - this.fill < n) this.flush()
    const b = this.buf.subarray(this.fill, this.fill + n)
    this.fill += n
    this.total += n
    this.left -= n
    if (this.left === 0) this.fileDone()
    return b
  }

  /**
   * Entries of the current directory framed elsewhere (the native walk, fs-walk.ts): whole
   * entries, the last one possibly open (`openNode`: the bytes end just after its "node" token,
   * and the node comes next). Not checked here — the walk sorts and validates — so the
   * directory's other entries must come the same way (the order check starts over).
   * Passed through uncopied when at least `passThrough` bytes and 4 KiB.
   */
  framed(bytes: Uint8Array, openNode: boolean): void {
    this.expectState(E_ENTRY, 'framed entries')
    if (bytes.length >= this.passThrough && bytes.length >= 4096) {
      if (this.fill > this.start) this.pieces.push(this.buf.subarray(this.start, this.fill))
      this.start = this.fill
      this.pieces.push(bytes)
      this.total += bytes.length
    } else {
      this.raw(bytes)
    }
    this.dirs[this.dirs.length - 1] = undefined
    if (openNode) this.state = E_NODE
  }

  symlink(target: Uint8Array | string): void {
    this.expectState(E_NODE, 'symlink')
    const t = typeof target === 'string' ? textEncoder.encode(target) : target
    if (t.length === 0 || t.length > MAX_TARGET_LEN || t.includes(0)) {
      throw new NarEncodeError(`cannot write a NAR symlink with target ${quoteBytes(t)}: must be 1–${MAX_TARGET_LEN} bytes without NUL`)
    }
    this.raw(TOK.symlink)
    this.str(t)
    this.raw(TOK.close)
    this.nodeDone()
  }

  /** Bytes gathered that `takeFull` would not hand out yet. */
  get buffered(): number { return this.fill - this.start }

  /** The output produced since the last call, as pieces in order. */
  take(): Uint8Array[] {
    if (this.fill > this.start) {
      this.pieces.push(this.buf.subarray(this.start, this.fill))
      this.start = this.fill
    }
    const out = this.pieces
    this.pieces = []
    return out
  }

  /** Only the finished pieces (full buffers, passed-through contents); the rest stays gathering. */
  takeFull(): Uint8Array[] {
    const out = this.pieces
    this.pieces = []
    return out
  }

  /** Throws NarContractError unless the NAR is complete. */
  end(): void {
    if (this.state !== E_DONE) throw new NarContractError(`NAR ended early: expected ${EXPECTING[this.state]!}${this.state === E_CONTENTS ? ` (${this.left} of ${this.fileSize} bytes missing)` : ''}`)
  }

  private expectState(s: number, what: string): void {
    if (this.state !== s) {
      const detail = this.state === E_CONTENTS ? ` (${this.left} of ${this.fileSize} bytes of the current file missing)` : ''
      throw new NarContractError(`NAR encoder: expected ${EXPECTING[this.state]!}${detail}, got '${what}'`)
    }
  }

  private fileDone(): void {
    const pad = padded(this.fileSize) - this.fileSize
    if (pad > 0) this.raw(ZEROS.subarray(0, pad))
    this.raw(TOK.close)
    this.nodeDone()
  }

  private nodeDone(): void {
    if (this.dirs.length === 0) {
      this.state = E_DONE
    } else {
      this.raw(TOK.close) // closes the entry
      this.state = E_ENTRY
    }
  }

  private flush(): void {
    if (this.fill > this.start) this.pieces.push(this.buf.subarray(this.start, this.fill))
    if (this.recycle) this.lent.push(this.buf)
    this.buf = this.free.pop() ?? new Uint8Array(this.chunkSize)
    this.fill = 0
    this.start = 0
  }

  /**
   * With `recycle`: every piece taken so far has been consumed, so their memory may be
   * written again. Pieces not yet taken are kept.
   */
  release(): void {
    if (!this.recycle || this.pieces.length > 0) return
    for (const b of this.lent) this.free.push(b)
    this.lent = []
    if (this.fill === this.start) { this.fill = 0; this.start = 0 }
  }

  private raw(b: Uint8Array): void {
    let off = 0
    while (off < b.length) {
      if (this.fill === this.buf.length) this.flush()
      const k = Math.min(b.length - off, this.buf.length - this.fill)
      this.buf.set(off === 0 && k === b.length ? b : b.subarray(off, off + k), this.fill)
      this.fill += k
      off += k
    }
    this.total += b.length
  }

  private u64(n: number): void {
    if (this.buf.length - this.fill < 8) this.flush()
    const b = this.buf
    const o = this.fill
    const lo = n % 0x1_0000_0000
    const hi = (n - lo) / 0x1_0000_0000
    b[o] = lo & 0xff; b[o + 1] = (lo >>> 8) & 0xff; b[o + 2] = (lo >>> 16) & 0xff; b[o + 3] = lo >>> 24
    b[o + 4] = hi & 0xff; b[o + 5] = (hi >>> 8) & 0xff; b[o + 6] = (hi >>> 16) & 0xff; b[o + 7] = hi >>> 24
    this.fill += 8
    this.total += 8
  }

  private str(s: Uint8Array): void {
    this.u64(s.length)
    this.raw(s)
    const pad = padded(s.length) - s.length
    if (pad > 0) this.raw(ZEROS.subarray(0, pad))
  }
}

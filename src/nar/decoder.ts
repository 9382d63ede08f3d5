/**
 * The incremental NAR decoder (a codec: no I/O, no promises). Feed it chunks with `push()` and
 * take events with `next()` until it returns undefined, then push the next chunk:
 *
 *   const d = new NarDecoder()
 *   for (const chunk of chunks) { d.push(chunk); for (let e; (e = d.next()); ) use(e) ; if (d.done) break }
 *   d.end()                       // throws NarTruncatedError if the NAR is incomplete
 *   const after = d.rest()        // bytes of the last chunk after the NAR (raw streams)
 *
 * It checks what C++ Nix 2.34's `parseDump` checks: tag order, entry names, strictly sorted
 * entries, the executable marker, zero padding, symlink targets neither empty nor containing
 * NUL, and the same bounds (names 255 bytes, targets 4095, tags 32, nesting depth 64). It stops exactly at the NAR's end, which is
 * what finds the end of an unframed NAR in a raw stream.
 *
 * `contents` events are views into the pushed chunk: use (or copy) them before the next push.
 * Names and targets are copies and may be kept.
 */
import {
  NarContractError, NarDepthError, NarLimitError, NarMagicError, NarNameError, NarOrderError, NarPaddingError,
  NarSymlinkError, NarTagError, NarTruncatedError, quoteBytes,
} from './errors.js'
import type { NarEvent } from './events.js'
import { bytesEqual, compareBytes, invalidName, MAX_DEPTH, MAX_NAME_LEN, MAX_TAG_LEN, MAX_TARGET_LEN, padded, TAG, tokens } from './format.js'

const S_MAGIC = 0, S_OPEN = 1, S_TYPE_TAG = 2, S_TYPE = 3, S_REG_TAG = 4, S_EXEC_VALUE = 5, S_CONTENTS_TAG = 6
const S_SIZE = 7, S_CONTENTS = 8, S_PADDING = 9, S_TARGET_TAG = 10, S_TARGET = 11, S_CLOSE = 12, S_DIR_TAG = 13
const S_ENTRY_OPEN = 14, S_NAME_TAG = 15, S_NAME = 16, S_NODE_TAG = 17, S_ENTRY_CLOSE = 18, S_DONE = 19

/** What each state is reading, for truncation messages. */
const READING = [
  'NAR magic', "tag '('", "tag 'type'", 'file type', "tag 'contents' or 'executable'", 'executable marker',
  "tag 'contents'", 'file size', 'file contents', 'padding after file contents', "tag 'target'", 'symlink target',
  "tag ')'", "tag 'entry' or ')'", "tag '('", "tag 'name'", 'file name', "tag 'node'", "tag ')'", 'nothing',
]

const EMPTY = new Uint8Array(0)
/** Each grammar tag as it appears on the wire (length, bytes, padding), for `expect`. */
const WIRE = new Map<Uint8Array, Uint8Array>(Object.values(TAG).map(t => [t, tokens(t)]))
const DIRECTORY: NarEvent = Object.freeze({ kind: 'directory' })
const DIRECTORY_END: NarEvent = Object.freeze({ kind: 'directoryEnd' })

export interface NarDecoderOptions {
  /** Largest regular file accepted, in bytes (default: Number.MAX_SAFE_INTEGER). */
  maxFileSize?: number
  /** Nodes must sit less deep than this (default MAX_DEPTH = 64, as C++ 2.34). */
  maxDepth?: number
}

export class NarDecoder {
  private chunk: Uint8Array = EMPTY
  private pos = 0
  /** Bytes of the chunks before `chunk`. */
  private base = 0
  /** Holds a string or length field that spans chunks (≤ 8 + padded MAX_TARGET_LEN bytes). */
  private readonly scratch = new Uint8Array(padded(MAX_TARGET_LEN))
  private scratchLen = 0
  /** Length of the string being read, or -1 while its length field is still to come. */
  private strLen = -1
  private state = S_MAGIC
  /** Per open directory, the previous entry name (undefined before the first entry). */
  private readonly dirs: Array<Uint8Array | undefined> = []
  private executable = false
  private fileSize = 0
  private left = 0
  private readonly maxFileSize: number
  private readonly maxDepth: number

  constructor(opts: NarDecoderOptions = {}) {
    this.maxFileSize = opts.maxFileSize ?? Number.MAX_SAFE_INTEGER
    this.maxDepth = opts.maxDepth ?? MAX_DEPTH
  }

  /** True once the whole NAR has been read. */
  get done(): boolean { return this.state === S_DONE }

  /** Bytes consumed so far; right after a `regular` event it is the NAR offset of the contents. */
  get position(): number { return this.base + this.pos }

  /** Directory nesting depth (0 at the root). */
  get depth(): number { return this.dirs.length }

  /** Give the decoder the next chunk; only once `next()` has returned undefined. */
  push(chunk: Uint8Array): void {
    if (this.pos !== this.chunk.length) throw new NarContractError('NarDecoder.push() called before the previous chunk was consumed')
    if (this.state === S_DONE) throw new NarContractError('NarDecoder.push() called after the end of the NAR')
    this.base += this.chunk.length
    // A plain Uint8Array view: Buffer's subarray() is several times slower on this hot path.
    this.chunk = chunk.constructor === Uint8Array ? chunk : new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength)
    this.pos = 0
  }

  /** Bytes of the last chunk after the end of the NAR (empty until done). */
  rest(): Uint8Array { return this.state === S_DONE ? this.chunk.subarray(this.pos) : EMPTY }

  /** Call at end of input: throws NarTruncatedError unless the NAR is complete. */
  end(): void {
    if (this.state !== S_DONE) throw new NarTruncatedError(READING[this.state]!)
  }

  /** The next event, or undefined when more input is needed (or the NAR is done). */
  next(): NarEvent | undefined {
    for (;;) {
      switch (this.state) {
        case S_MAGIC: {
          const s = this.str(TAG.magic.length)
          if (s === undefined) return undefined
          if (!bytesEqual(s, TAG.magic)) throw new NarMagicError()
          this.state = S_OPEN
          break
        }
        case S_OPEN:
          if (!this.expect(TAG.open, '(')) return undefined
          this.state = S_TYPE_TAG
          break
        case S_TYPE_TAG:
          if (!this.expect(TAG.type, 'type')) return undefined
          this.state = S_TYPE
          break
        case S_TYPE: {
          const s = this.str(MAX_TAG_LEN)
          if (s === undefined) return undefined
          if (bytesEqual(s, TAG.regular)) {
            this.executable = false
            this.state = S_REG_TAG
          } else if (bytesEqual(s, TAG.directory)) {
            this.dirs.push(undefined)
            this.state = S_DIR_TAG
            return DIRECTORY
          } else if (bytesEqual(s, TAG.symlink)) {
            this.state = S_TARGET_TAG
          } else {
            throw new NarTagError(`unknown file type ${quoteBytes(s)}`)
          }
          break
        }
        case S_REG_TAG: {
          const s = this.str(MAX_TAG_LEN)
          if (s === undefined) return undefined
          if (bytesEqual(s, TAG.executable)) this.state = S_EXEC_VALUE
          else if (bytesEqual(s, TAG.contents)) this.state = S_SIZE
          else throw new NarTagError(`expected tag 'contents', got ${quoteBytes(s)}`)
          break
        }
        case S_EXEC_VALUE: {
          const s = this.str(MAX_TAG_LEN)
          if (s === undefined) return undefined
          if (s.length !== 0) throw new NarTagError('executable marker has non-empty value')
          this.executable = true
          this.state = S_CONTENTS_TAG
          break
        }
        case S_CONTENTS_TAG:
          if (!this.expect(TAG.contents, 'contents')) return undefined
          this.state = S_SIZE
          break
        case S_SIZE: {
          const h = this.take(8)
          if (h === undefined) return undefined
          const lo = h[0]! | (h[1]! << 8) | (h[2]! << 16)
          const size = lo + h[3]! * 0x100_0000 + (h[4]! | (h[5]! << 8) | (h[6]! << 16)) * 0x1_0000_0000
          if (h[7]! !== 0 || h[6]! > 0x1f || size > this.maxFileSize) {
            const exact = new DataView(h.buffer, h.byteOffset, 8).getBigUint64(0, true)
            throw new NarLimitError('file', exact, this.maxFileSize)
          }
          this.fileSize = size
          this.left = size
          this.state = S_CONTENTS
          return { kind: 'regular', executable: this.executable, size }
        }
        case S_CONTENTS: {
          if (this.left === 0) { this.state = S_PADDING; break }
          const avail = this.chunk.length - this.pos
          if (avail === 0) return undefined
          const k = avail < this.left ? avail : this.left
          const data = this.chunk.subarray(this.pos, this.pos + k)
          this.pos += k
          this.left -= k
          return { kind: 'contents', data }
        }
        case S_PADDING: {
          const n = padded(this.fileSize) - this.fileSize
          if (n > 0) {
            const b = this.take(n)
            if (b === undefined) return undefined
            for (let i = 0; i < n; i++) if (b[i] !== 0) throw new NarPaddingError('file contents')
          }
          this.state = S_CLOSE
          break
        }
        case S_TARGET_TAG:
          if (!this.expect(TAG.target, 'target')) return undefined
          this.state = S_TARGET
          break
        case S_TARGET: {
          const s = this.str(MAX_TARGET_LEN)
          if (s === undefined) return undefined
          if (s.length === 0 || s.includes(0)) throw new NarSymlinkError(s)
          this.state = S_CLOSE
          return { kind: 'symlink', target: new Uint8Array(s) }
        }
        case S_CLOSE:
          if (!this.expect(TAG.close, ')')) return undefined
          this.state = this.dirs.length === 0 ? S_DONE : S_ENTRY_CLOSE
          break
        case S_DIR_TAG: {
          const s = this.str(MAX_TAG_LEN)
          if (s === undefined) return undefined
          if (bytesEqual(s, TAG.close)) {
            this.dirs.pop()
            this.state = this.dirs.length === 0 ? S_DONE : S_ENTRY_CLOSE
            return DIRECTORY_END
          }
          if (!bytesEqual(s, TAG.entry)) throw new NarTagError(`expected tag 'entry' or ')', got ${quoteBytes(s)}`)
          this.state = S_ENTRY_OPEN
          break
        }
        case S_ENTRY_OPEN:
          if (!this.expect(TAG.open, '(')) return undefined
          this.state = S_NAME_TAG
          break
        case S_NAME_TAG:
          if (!this.expect(TAG.name, 'name')) return undefined
          this.state = S_NAME
          break
        case S_NAME: {
          const s = this.str(MAX_NAME_LEN)
          if (s === undefined) return undefined
          if (invalidName(s) !== undefined) throw new NarNameError(s)
          const top = this.dirs.length - 1
          const prev = this.dirs[top]
          if (prev !== undefined && compareBytes(s, prev) <= 0) throw new NarOrderError(prev, s)
          const name = new Uint8Array(s)
          this.dirs[top] = name
          this.state = S_NODE_TAG
          return { kind: 'entry', name }
        }
        case S_NODE_TAG:
          if (!this.expect(TAG.node, 'node')) return undefined
          if (this.dirs.length >= this.maxDepth) throw new NarDepthError(this.maxDepth)
          this.state = S_OPEN
          break
        case S_ENTRY_CLOSE:
          if (!this.expect(TAG.close, ')')) return undefined
          this.state = S_DIR_TAG
          break
        default:
          return undefined
      }
    }
  }

  /** Read one grammar tag and check it; false when more input is needed. */
  private expect(tag: Uint8Array, printable: string): boolean {
    // Fast path (most of a NAR's framing): the whole wire form is in the chunk and matches.
    if (this.strLen < 0 && this.scratchLen === 0) {
      const w = WIRE.get(tag)!
      const c = this.chunk
      const at = this.pos
      if (c.length - at >= w.length) {
        let i = 0
        while (i < w.length && c[at + i] === w[i]) i++
        if (i === w.length) { this.pos = at + i; return true }
      }
    }
    const s = this.str(MAX_TAG_LEN)
    if (s === undefined) return false
    if (!bytesEqual(s, tag)) throw new NarTagError(`expected tag '${printable}', got ${quoteBytes(s)}`)
    return true
  }

  /**
   * One padded string of at most `max` bytes, or undefined when more input is needed. The
   * result is a view (into the chunk or the scratch buffer) valid until the next read.
   */
  private str(max: number): Uint8Array | undefined {
    // Fast path: length and padded bytes all in the chunk; one view, no copies.
    if (this.strLen < 0 && this.scratchLen === 0) {
      const c = this.chunk
      const at = this.pos
      if (c.length - at >= 8 && (c[at + 4]! | c[at + 5]! | c[at + 6]! | c[at + 7]!) === 0) {
        const len = (c[at]! | (c[at + 1]! << 8) | (c[at + 2]! << 16)) + c[at + 3]! * 0x100_0000
        const end = at + 8 + padded(len)
        if (len <= max && end <= c.length) {
          for (let i = at + 8 + len; i < end; i++) if (c[i] !== 0) throw new NarPaddingError(READING[this.state]!)
          this.pos = end
          return c.subarray(at + 8, at + 8 + len)
        }
      }
    }
    if (this.strLen < 0) {
      const h = this.take(8)
      if (h === undefined) return undefined
      const lo = (h[0]! | (h[1]! << 8) | (h[2]! << 16)) + h[3]! * 0x100_0000
      const hi = h[4]! | h[5]! | h[6]! | h[7]!
      if (hi !== 0 || lo > max) this.tooLong(new DataView(h.buffer, h.byteOffset, 8).getBigUint64(0, true), max)
      this.strLen = lo
    }
    const len = this.strLen
    const p = padded(len)
    let b: Uint8Array = EMPTY
    if (p > 0) {
      const t = this.take(p)
      if (t === undefined) return undefined
      b = t
      for (let i = len; i < p; i++) if (b[i] !== 0) throw new NarPaddingError(READING[this.state]!)
    }
    this.strLen = -1
    return b.subarray(0, len)
  }

  private tooLong(len: bigint, max: number): never {
    switch (this.state) {
      case S_MAGIC: throw new NarMagicError()
      case S_NAME: throw new NarLimitError('file name', len, max)
      case S_TARGET: throw new NarLimitError('symlink target', len, max)
      default: throw new NarTagError(`expected ${READING[this.state]!}, got a string of ${len} bytes`)
    }
  }

  /** Exactly n contiguous bytes (n ≤ scratch size), or undefined when more input is needed. */
  private take(n: number): Uint8Array | undefined {
    const avail = this.chunk.length - this.pos
    if (this.scratchLen === 0 && avail >= n) {
      const v = this.chunk.subarray(this.pos, this.pos + n)
      this.pos += n
      return v
    }
    const k = Math.min(n - this.scratchLen, avail)
    this.scratch.set(this.chunk.subarray(this.pos, this.pos + k), this.scratchLen)
    this.scratchLen += k
    this.pos += k
    if (this.scratchLen < n) return undefined
    this.scratchLen = 0
    return this.scratch.subarray(0, n)
  }
}

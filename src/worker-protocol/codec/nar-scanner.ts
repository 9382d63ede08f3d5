/**
 * Finds where a NAR ends in a byte stream, incrementally (push chunks, learn how many bytes
 * belonged to the NAR). Raw NARs on the worker protocol have no length prefix (old AddToStore,
 * AddToStoreNar < 1.21, NarFromPath, the items of AddMultipleToStore), so the only way to find
 * the end is to follow the grammar, as C++ does with `parseDump` into a null sink.
 *
 * This checks the token structure and zero padding only; unpacking and full validation (entry
 * order, names) are the job of `nar/`. File contents are skipped without being buffered.
 */
import { ProtocolError } from '../../wire/index.js'

/** Longest token other than file contents (names ≤ 255, symlink targets ≤ PATH_MAX). */
export const MAX_NAR_TOKEN = 4096
/** Deepest directory nesting accepted. */
export const MAX_NAR_DEPTH = 1024

export interface NarStats {
  regular: number
  executable: number
  directory: number
  symlink: number
  contentBytes: number
}

type Request = 'token' | 'contents'

class NarFormatError extends ProtocolError {
  constructor(message: string) { super(`bad archive: ${message}`, 'ERR_NAR_FORMAT') }
}

type G<T = void> = Generator<Request, T, string | number>

function* token(): G<string> { return (yield 'token') as string }

function* expect(want: string): G {
  const got = yield* token()
  if (got !== want) throw new NarFormatError(`expected '${want}', got '${got.slice(0, 80)}'`)
}

function* node(stats: NarStats, depth: number): G {
  if (depth > MAX_NAR_DEPTH) throw new NarFormatError('directories nested too deeply')
  yield* expect('(')
  yield* expect('type')
  const type = yield* token()
  if (type === 'regular') {
    stats.regular++
    let tok = yield* token()
    if (tok === 'executable') {
      stats.executable++
      yield* expect('')
      tok = yield* token()
    }
    if (tok !== 'contents') throw new NarFormatError(`expected 'contents', got '${tok.slice(0, 80)}'`)
    stats.contentBytes += (yield 'contents') as number
    yield* expect(')')
  } else if (type === 'symlink') {
    stats.symlink++
    yield* expect('target')
    yield* token()
    yield* expect(')')
  } else if (type === 'directory') {
    stats.directory++
    for (;;) {
      const tok = yield* token()
      if (tok === ')') break
      if (tok !== 'entry') throw new NarFormatError(`expected 'entry' or ')', got '${tok.slice(0, 80)}'`)
      yield* expect('(')
      yield* expect('name')
      yield* token()
      yield* expect('node')
      yield* node(stats, depth + 1)
      yield* expect(')')
    }
  } else throw new NarFormatError(`unknown file type '${type.slice(0, 80)}'`)
}

function* archive(stats: NarStats): G {
  const magic = yield* token()
  if (magic !== 'nix-archive-1') throw new NarFormatError("input doesn't look like a Nix archive")
  yield* node(stats, 0)
}

const latin1 = new TextDecoder('latin1')

export class NarScanner {
  readonly stats: NarStats = { regular: 0, executable: 0, directory: 0, symlink: 0, contentBytes: 0 }
  private readonly gen = archive(this.stats)
  private request: Request
  private finished = false
  /** Bytes of the NAR seen so far. */
  length = 0

  private readonly header = new Uint8Array(8)
  private headerFill = 0
  private inHeader = true
  private body = new Uint8Array(0)
  private bodyFill = 0
  private bodyLen = 0
  /** For contents: payload bytes and then padding bytes still to skip. */
  private contentLeft = 0
  private padLeft = 0
  private contentLen = 0

  constructor() {
    const first = this.gen.next()
    this.request = first.value as Request
  }

  get done(): boolean { return this.finished }

  /** Feed bytes; returns how many of them belong to the NAR (less than `chunk.length` only once done). */
  push(chunk: Uint8Array): number {
    let i = 0
    while (i < chunk.length && !this.finished) {
      if (this.inHeader) {
        const take = Math.min(8 - this.headerFill, chunk.length - i)
        this.header.set(chunk.subarray(i, i + take), this.headerFill)
        this.headerFill += take
        i += take
        if (this.headerFill === 8) this.startToken()
      } else if (this.request === 'token') {
        const take = Math.min(this.body.length - this.bodyFill, chunk.length - i)
        this.body.set(chunk.subarray(i, i + take), this.bodyFill)
        this.bodyFill += take
        i += take
        if (this.bodyFill === this.body.length) this.endToken()
      } else {
        if (this.contentLeft > 0) {
          const take = Math.min(this.contentLeft, chunk.length - i)
          this.contentLeft -= take
          i += take
        }
        while (this.contentLeft === 0 && this.padLeft > 0 && i < chunk.length) {
          if (chunk[i] !== 0) throw new NarFormatError('non-zero padding')
          this.padLeft--
          i++
        }
        if (this.contentLeft === 0 && this.padLeft === 0) this.resume(this.contentLen)
      }
    }
    this.length += i
    return i
  }

  /** Call at end of input. */
  end(): void {
    if (!this.finished) throw new ProtocolError('unexpected end-of-file in the middle of an archive', 'ERR_NAR_EOF')
  }

  private startToken(): void {
    this.headerFill = 0
    this.inHeader = false
    const v = new DataView(this.header.buffer)
    const len = v.getUint32(0, true) + v.getUint32(4, true) * 0x1_0000_0000
    if (this.request === 'token') {
      if (len > MAX_NAR_TOKEN) throw new NarFormatError(`token of ${len} bytes is longer than ${MAX_NAR_TOKEN}`)
      this.bodyLen = len
      this.body = new Uint8Array((len + 7) & ~7)
      this.bodyFill = 0
      if (this.body.length === 0) this.endToken()
    } else {
      if (len > Number.MAX_SAFE_INTEGER) throw new NarFormatError('file too large')
      this.contentLen = len
      this.contentLeft = len
      this.padLeft = (8 - (len % 8)) % 8
      if (len === 0) this.resume(0)
    }
  }

  private endToken(): void {
    for (let j = this.bodyLen; j < this.body.length; j++) if (this.body[j] !== 0) throw new NarFormatError('non-zero padding')
    this.resume(latin1.decode(this.body.subarray(0, this.bodyLen)))
  }

  private resume(v: string | number): void {
    this.inHeader = true
    const r = this.gen.next(v)
    if (r.done) this.finished = true
    else this.request = r.value
  }
}

/** Length of the NAR at the start of `bytes`, or undefined if it is incomplete. */
export function narLength(bytes: Uint8Array): number | undefined {
  const s = new NarScanner()
  const n = s.push(bytes)
  return s.done ? n : undefined
}

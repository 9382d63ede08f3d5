/**
 * The JS side of the native directory walk (native/tsnix.c, narWalk*): a directory's entries
 * framed as NAR on the thread pool, a buffer at a time (a fill). A fill's bytes are complete
 * entries — small files with their contents (optionally big files' too, spread over fills),
 * symlinks with their targets — except at holes,
 * where the framing stops just after an entry's "node" token and the dumper (fs-dump.ts)
 * writes that node itself: a subdirectory (another walk), a big file (streamed), or anything
 * else (looked at again with node:fs, which also reports errors: unreadable, unsupported
 * type, a file shorter than its size).
 */
import type { NativeWalkHandle } from '../os/native.js'
import type { WalkCalls } from './fs-native.js'

export const HOLE_DIR = 1, HOLE_BIG = 2, HOLE_NODE = 3, HOLE_SHORT = 4
const DONE = 1, FAILED = 2, HEADER = 4, WRITE_FAILED = 8
const META_HEAD = 8
const HOLE_INTS = 8
/** Holes per fill (a fill stops when its table is full). */
const MAX_HOLES = 256

/** A node the fill left for the dumper: its NAR goes at `off` in the fill's bytes. */
export class Hole {
  /** HOLE_DIR: the first fill of this subdirectory's walk, once started (ahead of need). */
  fill: WalkFill | undefined
  constructor(
    readonly off: number,
    readonly kind: number,
    readonly name: Uint8Array,
    /** HOLE_BIG: the file's size and whether its owner may execute it. */
    readonly size: number,
    readonly executable: boolean,
  ) {}
}

/** One fill: the buffer the addon writes into and, once it has run, what it wrote. */
export class WalkFill {
  readonly meta = new Int32Array(META_HEAD + HOLE_INTS * MAX_HOLES)
  settled = false
  /** Bytes of NAR in `buf`, once settled. */
  bytes = 0
  holes: Hole[] = []
  /** The directory has no entries after this fill. */
  last = false
  /** The directory could not be opened or listed (errno), on its first fill. */
  failed = 0
  /** A direct fill (`outFd`): it wrote the directory's opening itself. */
  headerWritten = false
  /** A direct fill: the bytes it wrote to the fd; errno if a write failed. */
  written = 0
  writeError = 0
  readonly direct: boolean
  readonly promise: Promise<void>

  /**
   * Start the walk's next fill into `buf` (small files: at most `smallMax` bytes; with
   * `inlineBig`, bigger files' contents come in fills too, rather than as holes). With `outFd`,
   * a direct fill: its bytes go to that fd (everything before them must have been written),
   * `bytes` stays 0 and a hole's offset is 0.
   */
  constructor(readonly walk: NativeWalk, public buf: Buffer, smallMax: number, inlineBig: boolean, outFd = -1) {
    this.direct = outFd >= 0 && !inlineBig
    this.promise = walk.calls.narWalkFill(walk.handle, buf, this.meta, smallMax, inlineBig, outFd)
    walk.running = this
    this.promise.then(() => { if (!this.settled) this.settle() }, () => {})
  }

  /** Whether it has run (then settled), without waiting. */
  poll(): boolean {
    if (this.settled) return true
    if (!this.walk.calls.narWalkWait(this.walk.handle, false)) return false
    this.settle()
    return true
  }

  waitSync(): void {
    if (this.settled) return
    this.walk.calls.narWalkWait(this.walk.handle, true)
    this.settle()
  }

  private settle(): void {
    const m = this.meta
    this.settled = true
    this.bytes = m[0]!
    const flags = m[2]!
    this.last = (flags & (DONE | FAILED)) !== 0
    if ((flags & FAILED) !== 0) this.failed = m[3]! || -1
    this.headerWritten = (flags & HEADER) !== 0
    if ((flags & WRITE_FAILED) !== 0) this.writeError = m[3]! || -1
    this.written = (m[4]! >>> 0) + (m[5]! >>> 0) * 0x1_0000_0000
    this.walk.running = undefined
    if (this.last) this.walk.finished = true
    const n = m[1]!
    for (let i = 0; i < n; i++) {
      const o = META_HEAD + i * HOLE_INTS
      const nameOff = m[o + 2]!
      // (A copy: the dumper may move the bytes to a smaller buffer and reuse this one.)
      this.holes.push(new Hole(m[o]!, m[o + 1]!, new Uint8Array(this.buf.subarray(nameOff, nameOff + m[o + 3]!)),
        (m[o + 4]! >>> 0) + (m[o + 5]! >>> 0) * 0x1_0000_0000, m[o + 6] === 1))
    }
  }
}

/** One directory's walk: fills run one at a time, in order. */
export class NativeWalk {
  readonly handle: NativeWalkHandle
  running: WalkFill | undefined
  /** Its last fill has run (the addon has closed the directory). */
  finished = false
  private closed = false

  constructor(readonly calls: WalkCalls, path: Uint8Array) {
    this.handle = calls.narWalkOpen(path)
  }

  close(): void {
    if (this.closed) return
    this.closed = true
    this.calls.narWalkClose(this.handle)
  }
}

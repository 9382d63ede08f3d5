/**
 * The NAR of a path on disk as a pull-driven sequence of pieces (C++ `dumpPath`), the engine
 * behind `dumpPath`, `dumpPathSync` and `hashPath` in fs.ts.
 *
 * This thread walks the tree (readdir with entry types, readlink) and encodes. A regular file
 * (known as one from its directory entry) is handled either here (lstat, open, read, close)
 * or, once a job is big enough to pay for it, by the helper thread (fs-helper.ts), which does
 * those calls and puts the file's size, mode and contents into a shared ring while this
 * thread hashes or writes what came before. Two cores then share the work C++ Nix does on one.
 *
 * A file sent to the helper cannot be encoded until its size is known, so from then on walk
 * results wait as events (with the contents of files read here in the meantime) and are
 * encoded in order as the helper delivers. Delegated contents enter the encoder as
 * placeholder pieces (views of HOLE), so the encoder still does all framing and checks, and
 * `next()` swaps each placeholder for ring bytes. The walk runs ahead of the output (bounded
 * by LOCAL_LIMIT and MAX_EVENTS); when the helper has AHEAD files queued, this thread does
 * the next files itself, which keeps both threads busy whichever is faster.
 *
 * With the native addon, directories are walked on the thread pool (fs-walk.ts): a directory's
 * entries arrive framed, files' contents included (big files' only without `ranges`), a buffer
 * (a fill) at a time, a few fills ahead (the next ones of this directory, its subdirectories,
 * the parents' next subdirectories), and go to the encoder as they are; this thread only
 * handles the holes the fills leave (subdirectories, big files for `ranges`, anything odd)
 * and hands the bytes on — the helper thread is then not needed.
 *
 * With `ranges` (a consumer that writes to a file descriptor), big files are not read at all:
 * their contents enter the encoder as placeholders (views of RANGE) matched by file ranges
 * (an open fd, a position, a length) that the consumer copies to its output inside the kernel
 * (sendfile), which is cheaper than any read on either thread.
 */
import { closeSync, constants, type Dirent, fstatSync, lstatSync, openSync, readdirSync, readlinkSync, readSync } from 'node:fs'
import { getSystemErrorMap } from 'node:util'
import { NarEncoder } from './encoder.js'
import { NarDumpError } from './errors.js'
import { type HelperLease, leaseHelper } from './fs-helper-client.js'
import { MAX_DEPTH } from './format.js'
import { narNative, narWalkNative, type ReadFileAt, type WalkCalls } from './fs-native.js'
import { HOLE_BIG, HOLE_DIR, HOLE_SHORT, NativeWalk, WalkFill } from './fs-walk.js'

/** `next()` has nothing to hand out until the helper delivers: call `waitSync`/`waitAsync`. */
export const WAIT = Symbol('wait')

export type HelperMode = 'auto' | 'always' | 'never'

export interface DumperOptions {
  chunkSize?: number
  readSize?: number
  recycle?: boolean
  maxDepth?: number
  /** Use the helper thread: when the job is big enough (auto, default), from the start, or never. */
  helper?: HelperMode
  /** Hand big files' contents out as file ranges (see `isRange`/`sendRange`), unread. */
  ranges?: boolean
  /** Largest file range (default and at most 64 MiB). */
  rangeSize?: number
  /** Read small files with the native addon's readFileAt when built (default true). */
  native?: boolean
  /** With `native`, walk directories on the thread pool (fs-walk.ts) when built (default true). */
  walk?: boolean
  /**
   * With the walk: write directories' framed entries straight to this fd (direct fills), for a
   * caller that writes every piece `next()` returns to it before asking for the next one
   * (`dumpPathSync` with `outFd`). Nothing is walked ahead then: each fill reads and writes in
   * turn, as C++ does — into a pipe on two cores, its reader is not starved while this process
   * reads ahead on one thread and writes on another.
   */
  outFd?: number
  signal?: AbortSignal
}

const PAUSE = new Int32Array(new SharedArrayBuffer(4))
/** Placeholder contents: pieces that are views of this stand for bytes the helper reads. */
const HOLE_SIZE = 16 * 1024 * 1024
let HOLE: Uint8Array | undefined
/** Placeholder contents for file ranges (`ranges`): never written or read. */
const RANGE_SIZE = 64 * 1024 * 1024
let RANGE: Uint8Array | undefined
/** Contents read here that may wait behind files the helper has not delivered yet. */
const LOCAL_LIMIT = 4 * 1024 * 1024
const MAX_EVENTS = 8192
/**
 * Files the helper may have queued before this thread does the next ones itself: adapted
 * between these bounds, halved when this thread had to wait for the helper (it is the slower
 * one) and doubled when the helper was found idle (this thread is).
 */
const AHEAD_MIN = 16
const AHEAD_MAX = 1024
/** auto: lease the helper once this many files or bytes have been seen. */
const AUTO_FILES = 64
const AUTO_BYTES = 2 * 1024 * 1024
const SLAB_SIZE = 1024 * 1024
/** How far ahead (bytes not yet handed out) the helper is asked to read a big file. */
const BIG_AHEAD = 4 * 1024 * 1024
/** The ring for files read here while earlier ones are with the helper (recycle). */
const SLAB_CAP = 2 * LOCAL_LIMIT

/**
 * A native walk's buffer (fs-walk.ts), and how many fills may be started ahead of need. (`hash
 * path` of the bench trees, interleaved runs on the loaded dev VM: 256 KiB fills were slower on
 * the 1 GiB tree, 4 MiB ones no faster than 1 MiB.)
 */
const FILL_SIZE = 1024 * 1024
const FILLS_AHEAD = 3

/** Walk results waiting to be encoded. */
const EV_ENTRY = 0, EV_DIR = 1, EV_END = 2, EV_LINK = 3, EV_FILE = 4, EV_HELPER = 5, EV_BIG = 6, EV_RAW = 7

class Ev {
  constructor(
    readonly kind: number,
    /** ENTRY: the name; LINK: the target; FILE: the contents; BIG: the path; RAW: framed entries. HELPER: from the helper. */
    readonly bytes: Uint8Array | undefined,
    readonly size: number,
    /** FILE, BIG: the owner may execute it. RAW: the bytes end inside an entry, before its node. */
    readonly executable: boolean,
  ) {}

  /** FILE: where its contents end in the slab. */
  slabEnd = 0
  /** RAW: the fill's buffer, free once these bytes are consumed. */
  fill: Buffer | undefined
}

/** A directory walked natively: the fill being handed on (from `pos`, its hole `hi` next). */
class WalkFrame {
  fill: WalkFill | undefined
  /** The walk's next fill, started ahead. */
  next: WalkFill | undefined
  pos = 0
  hi = 0
  /** The current fill has been looked at; the directory's start has been emitted; its last fill has been handed on. */
  looked = false
  entered = false
  done = false
  /** Its path is the first `end` bytes of the dumper's path buffer; `first` undefined: not started (direct fills). */
  constructor(readonly end: number, first: WalkFill | undefined, readonly walk: NativeWalk) {
    this.fill = first
  }
}

/**
 * A directory being walked: its path is the first `end` bytes of the dumper's path buffer
 * (entries are written after it), its entries sorted by name, and their names as bytes.
 */
interface Frame { end: number; entries: Dirent[]; bytes: Buffer; i: number; off: number; fd: number }

/** A big file being encoded: bytes before `next` are assigned (to the helper or read here). */
interface BigFile { fd: number; next: number; size: number; path: Buffer }
/** Contents handed out as a file range: `length` bytes of `fd` from `position`; `last` closes it. */
export interface FileRange { fd: number; position: number; length: number; last: boolean; path: Buffer }

export class NarDumper {
  private readonly enc: NarEncoder
  private readonly chunkSize: number
  private readonly readSize: number
  private readonly recycle: boolean
  private readonly maxDepth: number
  private readonly mode: HelperMode
  private readonly ranges: boolean
  private readonly rangeSize: number
  /** File ranges in the output (placeholders handed out or not), in order, from index ri. */
  private rangeQueue: FileRange[] = []
  private ri = 0
  private readonly signal: AbortSignal | undefined
  // The walk.
  private readonly stack: Array<Frame | WalkFrame> = []
  /** The path of the node being walked; a directory's entries are written after its path. */
  private path: Buffer
  /** Length of the root path until the root has been walked, then -1. */
  private rootLength: number
  private walkDone = false
  private finished = false
  // Walk results not yet encoded (from index ei), and the contents of files read for them.
  private events: Ev[] = []
  private ei = 0
  /**
   * Where files read here wait while earlier files are with the helper: a ring (recycle) or
   * fresh slabs. Counters: allocated up to slabW, free up to slabR; `slabDone` is the end
   * of the last encoded file's contents, free once the pieces handed out so far are consumed.
   */
  private slab: Buffer | undefined
  private slabW = 0
  private slabR = 0
  private slabDone = 0
  private deferredBytes = 0
  // The output: pieces taken from the encoder, not handed out yet (from index pi).
  private pieces: Uint8Array[] = []
  private pi = 0
  /** Bytes of the current placeholder still to come from the helper. */
  private holeLeft = 0
  /** Placeholder bytes in the output not yet handed out: how far the helper is asked ahead. */
  private holeBytes = 0
  private big: BigFile | undefined
  /** Pieces of big files read here since the output was last drained. */
  private bigHere = 0
  /**
   * BIG events not yet finished: requests must follow NAR order, so while one is pending no
   * request for a later file is made (its pieces are assigned as the output reaches it).
   */
  private bigQueued = 0
  private helper: HelperLease | undefined
  private nextLease: number
  private seenFiles = 0
  private seenBytes = 0
  /** Buffers for big files read here: in use by pieces not yet released, and free. */
  private lentBufs: Buffer[] = []
  private freeBufs: Buffer[] = []
  private steps = 0
  private leaseTried = false
  private ahead = AHEAD_MAX
  private readonly readFileAt: ReadFileAt | null
  /** Small files' contents as readFileAt reads them (chunkSize bytes). */
  private scratch: Buffer | undefined
  // The native walk (fs-walk.ts): walks not finished (to close), fills started ahead of need
  // (not yet any frame's current one), their buffers (free, and handed out with pieces not
  // yet consumed), and the fill `next()` returned WAIT for.
  private readonly walkCalls: WalkCalls | null
  private readonly walks = new Set<NativeWalk>()
  private fillsAhead = 0
  private freeFills: Buffer[] = []
  private lentFills: Buffer[] = []
  private awaiting: WalkFill | undefined
  /** Direct fills' fd (-1: none), and the bytes they wrote. */
  private readonly outFd: number
  directBytes = 0

  constructor(path: string | Buffer, opts: DumperOptions = {}) {
    this.chunkSize = Math.max(opts.chunkSize ?? 256 * 1024, 8192)
    this.readSize = opts.readSize ?? 1024 * 1024
    this.recycle = opts.recycle ?? false
    this.maxDepth = opts.maxDepth ?? MAX_DEPTH
    this.mode = opts.helper ?? 'auto'
    this.ranges = opts.ranges ?? false
    // The native per-file call (fs-native.ts): on the 30k-file bench tree, `nar dump` 0.47 -> 0.36 s CPU.
    this.readFileAt = opts.native === false ? null : narNative().readFileAt
    // ('always' is for tests of the helper, which the walk would bypass.)
    this.walkCalls = opts.native === false || opts.walk === false || this.mode === 'always' ? null : narWalkNative()
    this.outFd = this.walkCalls !== null && this.ranges && opts.outFd !== undefined ? opts.outFd : -1
    this.rangeSize = Math.min(Math.max(opts.rangeSize ?? RANGE_SIZE, 1), RANGE_SIZE)
    this.signal = opts.signal
    this.enc = new NarEncoder({ chunkSize: this.chunkSize, passThrough: 1, recycle: this.recycle })
    const root = typeof path === 'string' ? Buffer.from(path) : path
    this.path = Buffer.allocUnsafe(Math.max(4096, root.length * 2))
    root.copy(this.path)
    this.rootLength = root.length
    this.nextLease = this.mode === 'always' ? 0 : this.mode === 'auto' ? AUTO_FILES : Infinity
  }

  /**
   * The next piece of the NAR (valid until the next call unless `recycle` is off), WAIT if
   * the helper must deliver first, or undefined at the end.
   */
  next(): Uint8Array | undefined | typeof WAIT {
    this.helper?.release()
    for (;;) {
      // Keep the helper a few pieces ahead in a big file.
      if (this.big !== undefined && this.holeBytes < BIG_AHEAD) this.assignBig(false)
      if (this.holeLeft > 0) {
        const helper = this.helper!
        const v = helper.take(Math.min(this.holeLeft, this.readSize))
        if (v !== undefined) {
          this.holeLeft -= v.length
          this.holeBytes -= v.length
          if (this.recycle) return v
          const copy = new Uint8Array(v)
          helper.release()
          return copy
        }
        // Nothing from the helper yet: read a piece of the big file here, or walk on.
        if (this.big !== undefined && this.bigHere * this.readSize < LOCAL_LIMIT) this.assignBig(true)
        else if (!this.canProduce() || !this.produce()) return this.waiting()
        this.takeFromEncoder()
        continue
      }
      if (this.pi < this.pieces.length) {
        const p = this.pieces[this.pi++]!
        if (p.buffer === HOLE?.buffer) { this.holeLeft = p.length; continue }
        return p
      }
      // Everything handed out has been consumed.
      this.pieces = []
      this.pi = 0
      this.bigHere = 0
      if (this.recycle) {
        this.enc.release()
        this.slabR = this.slabDone
        if (this.lentBufs.length > 0) { for (const b of this.lentBufs) this.freeBufs.push(b); this.lentBufs = [] }
        if (this.lentFills.length > 0) { for (const b of this.lentFills) this.freeFills.push(b); this.lentFills = [] }
      }
      if (this.big !== undefined) {
        this.assignBig(true)
      } else if (this.ei < this.events.length) {
        const ev = this.events[this.ei]!
        if (ev.kind === EV_HELPER) {
          const h = this.helper!
          if (!h.takeHeader()) {
            if (!this.canProduce() || !this.produce()) return this.waiting()
            this.takeFromEncoder()
            continue
          }
          this.helperFile(h)
        } else {
          this.encode(ev)
        }
        if (++this.ei === this.events.length) this.drained()
      } else if (this.walkDone) {
        if (this.finished) return undefined
        this.finished = true
        this.enc.end()
        this.pieces = this.enc.take()
        continue
      } else if (this.mode === 'always' && this.helper === undefined && !this.leaseTried) {
        this.leaseTried = true
        this.tryLease()
      } else if (this.mode === 'always' && this.helper !== undefined && !this.helper.ready && this.helper.alive) {
        return WAIT // 'always' (tests): let the helper start rather than begin without it
      } else if (!this.produce()) {
        return WAIT // for this.awaiting
      }
      this.takeFromEncoder()
    }
  }

  /** This thread has to wait for the helper: give it fewer files. */
  private waiting(): typeof WAIT {
    this.awaiting = undefined
    this.ahead = Math.max(AHEAD_MIN, this.ahead >> 1)
    return WAIT
  }

  /** Move the encoder's finished pieces to the output (after those not handed out yet). */
  private takeFromEncoder(): void {
    const full = this.enc.takeFull()
    if (full.length === 0) return
    if (this.pi === this.pieces.length) {
      this.pieces = full
      this.pi = 0
    } else {
      for (const p of full) this.pieces.push(p)
    }
  }

  /** Block until `next()` may have something (the helper progressed). */
  waitSync(): void {
    const a = this.awaiting
    this.awaiting = undefined
    if (a !== undefined) a.waitSync()
    else if (this.helper !== undefined && this.helper.ready) this.helper.waitSync()
    else Atomics.wait(PAUSE, 0, 0, 1)
  }

  async waitAsync(): Promise<void> {
    const a = this.awaiting
    this.awaiting = undefined
    if (a !== undefined) await a.promise
    else if (this.helper !== undefined && this.helper.ready) await this.helper.waitAsync()
    else await new Promise(r => setTimeout(r, 1))
  }

  /** Whether a piece from `next()` stands for a file range: pass it to `sendRange`, do not write it. */
  isRange(piece: Uint8Array): boolean {
    return piece.buffer === RANGE?.buffer
  }

  /**
   * Send the file range of the piece `next()` returned (for which `isRange` holds) with
   * `send`, which returns how many bytes it sent (fewer only if the file ended).
   */
  sendRange(send: (r: FileRange) => number): void {
    const r = this.rangeQueue[this.ri++]!
    if (this.ri === this.rangeQueue.length) { this.rangeQueue = []; this.ri = 0 }
    let sent: number
    try {
      sent = send(r)
    } finally {
      if (r.last) closeSync(r.fd)
    }
    if (sent !== r.length) throw new NarDumpError(`file '${r.path.toString('utf8')}' changed while it was being read (shorter than expected)`)
  }

  /** Release the helper and close a file still open (call when done or abandoning). */
  close(): void {
    this.helper?.end()
    this.helper = undefined
    for (let i = this.ri; i < this.rangeQueue.length; i++) if (this.rangeQueue[i]!.last) closeSync(this.rangeQueue[i]!.fd)
    this.rangeQueue = []
    if (this.big !== undefined) {
      if (this.big.fd >= 0) closeSync(this.big.fd) // (its last range, which would close it, is not queued)
      this.big = undefined
    }
    for (const f of this.stack) if (!(f instanceof WalkFrame) && f.fd >= 0) closeSync(f.fd)
    this.stack.length = 0
    for (const w of this.walks) w.close()
    this.walks.clear()
    this.awaiting = undefined
    this.walkDone = true
    this.finished = true
  }

  /** Encode straight away while nothing waits to be encoded before. */
  private get direct(): boolean { return this.ei === this.events.length && this.big === undefined }

  private canProduce(): boolean {
    return !this.walkDone && this.events.length - this.ei < MAX_EVENTS && this.deferredBytes < LOCAL_LIMIT
  }

  private drained(): void {
    this.events = []
    this.ei = 0
  }

  private tryLease(): void {
    if (this.helper !== undefined) return
    this.helper = leaseHelper(this.mode === 'always')
    if (this.helper === undefined) this.nextLease = this.seenFiles + AUTO_FILES
    else HOLE ??= new Uint8Array(HOLE_SIZE)
  }

  private encode(ev: Ev): void {
    const enc = this.enc
    switch (ev.kind) {
      case EV_ENTRY: return enc.entry(ev.bytes!)
      case EV_DIR: return enc.directory()
      case EV_END: return enc.directoryEnd()
      case EV_LINK: return enc.symlink(ev.bytes!)
      case EV_FILE:
        this.deferredBytes -= ev.size
        this.slabDone = ev.slabEnd
        enc.regular(ev.executable, ev.size)
        if (ev.size > 0) enc.contents(ev.bytes!)
        return
      case EV_RAW:
        this.deferredBytes -= ev.size
        enc.framed(ev.bytes!, ev.executable)
        if (ev.fill !== undefined) this.fillDone(ev.fill)
        return
      case EV_BIG: {
        enc.regular(ev.executable, ev.size)
        this.big = { fd: -1, next: 0, size: ev.size, path: ev.bytes as Buffer }
        return this.assignBig(true)
      }
    }
  }

  /**
   * Assign the next piece of the big file being encoded: to the helper if it is ready and
   * fewer than BIG_AHEAD bytes ahead, else (if `here`) read it on this thread, which has
   * nothing better to do. Pieces enter the encoder in file order either way.
   */
  private assignBig(here: boolean): void {
    const b = this.big!
    if (this.ranges) return this.rangeBig(b)
    const n = Math.min(this.readSize, b.size - b.next)
    const h = this.helper
    if (h !== undefined && h.ready && this.holeBytes < BIG_AHEAD && h.canRequest(b.path.length)) {
      h.requestRange(b.path, b.next, n)
      this.holes(n)
    } else if (here) {
      this.readBig(b, n)
    } else {
      return
    }
    b.next += n
    if (b.next === b.size) {
      if (b.fd >= 0) closeSync(b.fd)
      this.big = undefined
      this.bigQueued--
    }
  }
  /** The next piece of a big file as a file range (the last one owns the fd). */
  private rangeBig(b: BigFile): void {
    if (b.fd < 0) b.fd = openSync(b.path, constants.O_RDONLY | constants.O_NOFOLLOW)
    const n = Math.min(this.rangeSize, b.size - b.next)
    const last = b.next + n === b.size
    this.rangeQueue.push({ fd: b.fd, position: b.next, length: n, last, path: b.path })
    // Made at the first range: 64 MiB of (untouched) external memory makes V8 collect early,
    // ~3 ms of `nar dump`'s start-up when there is no big file at all.
    const range = RANGE ??= new Uint8Array(RANGE_SIZE)
    this.enc.contents(n === RANGE_SIZE ? range : range.subarray(0, n))
    b.next += n
    if (last) {
      this.big = undefined
      this.bigQueued--
    }
  }

  /** `size` bytes of contents the helper will deliver, as placeholders. */
  private holes(size: number): void {
    this.holeBytes += size
    const hole = HOLE!
    for (let left = size; left > 0;) {
      const k = Math.min(left, HOLE_SIZE)
      this.enc.contents(k === HOLE_SIZE ? hole : hole.subarray(0, k))
      left -= k
    }
  }

  /** Requests must follow NAR order: none while a big file may still go to the helper. */
  private mayRequest(h: HelperLease): boolean {
    return h.ready && this.bigQueued === 0 && this.big === undefined
  }

  /** A file from the helper, its header taken: its contents stay in the ring (placeholders). */
  private helperFile(h: HelperLease): void {
    this.enc.regular(h.fileExecutable, h.fileSize)
    this.holes(h.fileSize)
  }

  private emit(kind: number, bytes: Uint8Array | undefined, size = 0, executable = false): void {
    const ev = new Ev(kind, bytes, size, executable)
    if (this.direct) this.encode(ev)
    else this.events.push(ev)
  }

  /**
   * One step of the walk: one directory entry (or the end of a directory), or with the native
   * walk a fill's bytes up to its next hole, or that hole. False (and `awaiting` set) if that
   * needs a fill that has not run yet.
   */
  private produce(): boolean {
    if ((++this.steps & 255) === 0) this.signal?.throwIfAborted()
    if (this.rootLength >= 0) {
      const n = this.rootLength
      this.rootLength = -1
      this.nodeAt(n, true)
      return true
    }
    const top = this.stack[this.stack.length - 1]
    if (top === undefined) {
      this.walkDone = true
      return true
    }
    if (top instanceof WalkFrame) return this.walkStep(top)
    if (top.i === top.entries.length) {
      this.emit(EV_END, undefined)
      if (top.fd >= 0) closeSync(top.fd)
      this.stack.pop()
      return true
    }
    const d = top.entries[top.i++]!
    const len = d.name.length
    const name = top.bytes.subarray(top.off, top.off + len)
    top.off += len
    const at = top.end + 1
    const n = at + len
    if (n > this.path.length) this.growPath(n)
    this.path[top.end] = 0x2f // '/'
    this.path.set(name, at)
    if (this.stack.length >= this.maxDepth) throw new NarDumpError(`path '${this.show(n)}' exceeds maximum NAR directory depth of ${this.maxDepth}`)
    this.emit(EV_ENTRY, name)
    if (d.isFile()) this.file(n, name, top.fd)
    else if (d.isDirectory()) this.directory(n, true)
    else if (d.isSymbolicLink()) this.symlink(n)
    else throw new NarDumpError(`file '${this.show(n)}' has an unsupported type`)
    return true
  }

  /** The node at `n` in the path buffer, whatever it is (`native`: a directory may be walked natively). */
  private nodeAt(n: number, native: boolean): void {
    const st = lstatSync(this.path.subarray(0, n))
    if (st.isFile()) this.fileHere(n, st.size, (st.mode & 0o100) !== 0)
    else if (st.isDirectory()) this.directory(n, native)
    else if (st.isSymbolicLink()) this.symlink(n)
    else throw new NarDumpError(`file '${this.show(n)}' has an unsupported type`)
  }

  /** One step in a natively walked directory (see produce). */
  private walkStep(f: WalkFrame): boolean {
    let fill = f.fill
    if (fill === undefined) {
      // (Not walk.finished: in async mode the last fill may have run, ahead, but not been handed on.)
      if (f.done) {
        this.emit(EV_END, undefined)
        this.leaveWalk(f)
        return true
      }
      if (this.directAt(this.stack.length)) {
        // A direct fill writes to the fd itself: only once everything before it is out there.
        if (this.enc.buffered > 0) {
          for (const p of this.enc.take()) this.pieces.push(p)
          return true
        }
        fill = f.fill = this.startFill(f.walk, this.outFd)
        fill.waitSync()
        if (fill.writeError !== 0) throw writeFailure(fill.writeError)
        this.directBytes += fill.written
      } else {
        if (f.next !== undefined) this.fillsAhead--
        fill = f.fill = f.next ?? this.startFill(f.walk)
      }
      f.next = undefined
      f.pos = 0
      f.hi = 0
      f.looked = false
    }
    if (!fill.poll()) {
      this.awaiting = fill
      return false
    }
    if (!f.looked) {
      f.looked = true
      if (fill.failed !== 0) {
        if (f.entered) throw new NarDumpError(`directory '${this.show(f.end)}' could not be read further (errno ${fill.failed})`)
        // Not a directory any more, unreadable…: node:fs finds out what, and reports it.
        this.leaveWalk(f)
        this.freeFills.push(fill.buf)
        this.nodeAt(f.end, false)
        return true
      }
      if (!f.entered) {
        f.entered = true
        if (fill.headerWritten) this.enc.directory(true)
        else this.emit(EV_DIR, undefined)
        if (fill.bytes > 0 && this.stack.length >= this.maxDepth) {
          // (The first entry's name is at 56: after "entry", "(", "name" and its length.)
          const name = fill.buf.subarray(56, 56 + fill.buf.readUInt32LE(48))
          throw new NarDumpError(`path '${this.show(f.end)}/${name.toString('utf8')}' exceeds maximum NAR directory depth of ${this.maxDepth}`)
        }
      }
      // A direct fill wrote everything up to its hole (at offset 0 here): the hole's entry is open.
      if (fill.direct && fill.holes.length > 0) this.raw(fill.buf.subarray(0, 0), true, undefined)
      if (!this.recycle && fill.bytes < fill.buf.length / 4) {
        // Kept by the consumer: keep only what was written, and use the buffer again.
        const small = Buffer.allocUnsafe(fill.bytes)
        fill.buf.copy(small, 0, 0, fill.bytes)
        this.freeFills.push(fill.buf)
        fill.buf = small
      }
      this.prefetch()
    }
    const h = fill.holes[f.hi]
    if (h === undefined) {
      this.raw(fill.buf.subarray(f.pos, fill.bytes), false, fill.buf)
      f.fill = undefined
      f.done = fill.last
      this.prefetch()
      return true
    }
    if (f.pos < h.off) {
      this.raw(fill.buf.subarray(f.pos, h.off), true, undefined)
      f.pos = h.off
      return true
    }
    f.hi++
    const at = f.end + 1
    const n = at + h.name.length
    if (n > this.path.length) this.growPath(n)
    this.path[f.end] = 0x2f // '/'
    this.path.set(h.name, at)
    if (h.kind === HOLE_DIR) {
      if (h.fill !== undefined) {
        this.fillsAhead--
        this.stack.push(new WalkFrame(n, h.fill, h.fill.walk))
        this.prefetch()
      } else {
        this.directory(n, true)
      }
    } else if (h.kind === HOLE_BIG) {
      this.seenFiles++
      this.fileHere(n, h.size, h.executable)
    } else if (h.kind === HOLE_SHORT) {
      throw new NarDumpError(`file '${this.show(n)}' changed while it was being read (shorter than expected)`)
    } else {
      this.nodeAt(n, true)
    }
    return true
  }

  /** `f` (the top of the stack) is done with: pop it and close its walk. */
  private leaveWalk(f: WalkFrame): void {
    this.stack.pop()
    this.walks.delete(f.walk)
    f.walk.close()
  }

  /** Framed entries from a fill (`fill`: its buffer, with its last bytes). */
  private raw(bytes: Uint8Array, openNode: boolean, fill: Buffer | undefined): void {
    if (this.direct) {
      this.enc.framed(bytes, openNode)
      if (fill !== undefined) this.fillDone(fill)
      return
    }
    const ev = new Ev(EV_RAW, bytes, bytes.length, openNode)
    ev.fill = fill
    this.deferredBytes += bytes.length
    this.events.push(ev)
  }

  /** A fill's bytes are all in the encoder: its buffer is free once they are consumed. */
  private fillDone(buf: Buffer): void {
    if (this.recycle) this.lentFills.push(buf)
  }

  private startFill(w: NativeWalk, outFd = -1): WalkFill {
    // Big files' contents come in fills too, unless they go out as file ranges (sendfile).
    return new WalkFill(w, this.freeFills.pop() ?? Buffer.allocUnsafeSlow(FILL_SIZE), this.chunkSize, !this.ranges, outFd)
  }

  private newWalk(path: Uint8Array): NativeWalk {
    const w = new NativeWalk(this.walkCalls!, path)
    this.walks.add(w)
    return w
  }

  private startWalk(path: Uint8Array): WalkFill {
    return this.startFill(this.newWalk(path))
  }

  /** Whether a directory walked at stack depth `depth` is written by direct fills (deeper ones fail on their first entry, from a buffered fill). */
  private directAt(depth: number): boolean {
    return this.outFd >= 0 && depth < this.maxDepth
  }

  /**
   * Start the fills needed next, up to FILLS_AHEAD: from the innermost directory out, its
   * subdirectories not yet reached (their first fills), then its own next fill. The innermost
   * walk's own next fill is started whatever the count: the outer walks' subdirectories,
   * started ahead while the current one's first fill ran, would otherwise take the whole
   * allowance, and every later fill of a directory would be started only once needed (the
   * 1 GiB bench tree into `| nix-hash`: 194 of 200 fills waited for).
   */
  private prefetch(): void {
    if (this.outFd >= 0) return // direct fills run only in turn
    let innermost = true
    for (let i = this.stack.length - 1; i >= 0 && (innermost || this.fillsAhead < FILLS_AHEAD); i--) {
      const f = this.stack[i]!
      if (!(f instanceof WalkFrame)) continue
      const own = innermost
      innermost = false
      const fill = f.fill
      if (fill !== undefined && fill.settled) {
        for (let k = f.hi; k < fill.holes.length && this.fillsAhead < FILLS_AHEAD; k++) {
          const h = fill.holes[k]!
          if (h.kind === HOLE_DIR && h.fill === undefined) {
            h.fill = this.startWalk(Buffer.concat([this.path.subarray(0, f.end), SLASH, h.name]))
            this.fillsAhead++
          }
        }
      }
      if ((own || this.fillsAhead < FILLS_AHEAD) && f.next === undefined && f.walk.running === undefined && !f.walk.finished) {
        f.next = this.startFill(f.walk)
        this.fillsAhead++
      }
    }
  }

  private directory(n: number, native: boolean): void {
    if (native && this.walkCalls !== null) {
      const w = this.newWalk(this.path.subarray(0, n))
      // a direct first fill is started in turn, by walkStep
      this.stack.push(new WalkFrame(n, this.directAt(this.stack.length + 1) ? undefined : this.startFill(w), w))
      return
    }
    this.emit(EV_DIR, undefined)
    // Names as latin1 strings: one byte per character, so comparing them is byte order, and
    // no Buffer is made per name (far less garbage than encoding: 'buffer').
    const entries = readdirSync(this.path.subarray(0, n), { encoding: 'latin1', withFileTypes: true })
    entries.sort(byName)
    let names = ''
    for (const e of entries) names += e.name
    // For readFileAt: files are opened relative to their directory.
    let fd = -1
    if (this.readFileAt !== null) {
      try { fd = openSync(this.path.subarray(0, n), OPEN_DIR) } catch { /* the path-based way, then */ }
    }
    this.stack.push({ end: n, entries, bytes: Buffer.from(names, 'latin1'), i: 0, off: 0, fd })
  }

  private symlink(n: number): void {
    this.emit(EV_LINK, readlinkSync(this.path.subarray(0, n), { encoding: 'buffer' }))
  }

  /**
   * A directory entry that is a regular file (at `n` in the path buffer, `name` in the
   * directory open as `dirFd`, or -1): to the helper, or done here.
   */
  private file(n: number, name: Uint8Array, dirFd: number): void {
    this.seenFiles++
    // With the native call, this thread reads a small file for less than handing it to the
    // helper costs (30k files at real-time priority: 0.45 s with the helper, 0.32 s without),
    // so in auto mode the helper then only reads big files (for hashing; a dump sends them).
    const viaHelper = dirFd < 0 || this.mode === 'always'
    if (viaHelper && this.helper === undefined && (this.seenFiles >= this.nextLease || (this.mode === 'auto' && this.seenBytes >= AUTO_BYTES))) this.tryLease()
    const h = this.helper
    if (viaHelper && h !== undefined && this.mayRequest(h) && h.fewerOutstandingThan(this.ahead) && h.canRequest(n)) {
      if (this.ahead < AHEAD_MAX && h.sleeping) this.ahead <<= 1
      h.requestRead(this.path.subarray(0, n))
      this.events.push(new Ev(EV_HELPER, undefined, 0, false))
      return
    }
    if (dirFd >= 0) {
      const scratch = this.scratch ??= Buffer.allocUnsafeSlow(this.chunkSize)
      const r = this.readFileAt!(dirFd, name, scratch)
      if (r >= 0) return this.fileHere(n, Math.floor(r / 2), r % 2 === 1, -1, scratch)
      if (r === -2) throw new NarDumpError(`file '${this.show(n)}' changed while it was being read (shorter than expected)`)
      // -1: not a regular file (any more), or an error: the path-based way finds out which.
    }
    // Open, then fstat the fd: one path lookup per file where lstat + open make two (C++
    // nix-store does the latter). Non-blocking: a FIFO that replaced the file must not hang
    // the open; anything but a regular file is looked at again below.
    const p = this.path.subarray(0, n)
    let fd = -1
    try { fd = openSync(p, OPEN_FILE) } catch { /* a symlink now (ELOOP), gone, unreadable…: see below */ }
    if (fd >= 0) {
      let st
      try { st = fstatSync(fd) } catch (e) { closeSync(fd); throw e }
      if (st.isFile()) return this.fileHere(n, st.size, (st.mode & 0o100) !== 0, fd)
      closeSync(fd)
    }
    const st = lstatSync(p)
    // Replaced since the directory was read: dump what is there now.
    if (!st.isFile()) {
      if (st.isDirectory()) this.directory(n, true)
      else if (st.isSymbolicLink()) this.symlink(n)
      else throw new NarDumpError(`file '${this.show(n)}' has an unsupported type`)
      return
    }
    this.fileHere(n, st.size, (st.mode & 0o100) !== 0)
  }

  /**
   * A regular file read by this thread, from `fd` if open (this closes it); a small file's
   * contents may have been read already, into the start of `read`.
   */
  private fileHere(n: number, size: number, executable: boolean, fd = -1, read?: Uint8Array): void {
    this.seenBytes += size
    const p = this.path.subarray(0, n)
    if (size > this.chunkSize) {
      // Opened again when its turn comes: queued events must not hold descriptors.
      if (fd >= 0) closeSync(fd)
      if (this.helper === undefined && this.mode === 'auto' && !this.ranges) this.tryLease()
      this.bigQueued++
      this.emit(EV_BIG, Buffer.from(p), size, executable)
    } else if (this.direct) {
      this.enc.regular(executable, size)
      if (size === 0) { if (fd >= 0) closeSync(fd) }
      else if (read !== undefined) this.enc.contentsBuffer(size).set(read.subarray(0, size))
      else readSmall(p, this.enc.contentsBuffer(size), fd)
    } else {
      let data: Uint8Array | undefined
      if (size > 0) {
        data = this.slabAlloc(size)
        this.deferredBytes += size
        if (read !== undefined) data.set(read.subarray(0, size))
        else readSmall(p, data, fd)
      } else if (fd >= 0) {
        closeSync(fd)
      }
      const ev = new Ev(EV_FILE, data, size, executable)
      ev.slabEnd = this.slabW
      this.events.push(ev)
    }
  }

  private slabAlloc(size: number): Uint8Array {
    if (!this.recycle) {
      // The consumer keeps the pieces: never reuse the memory.
      if (this.slab === undefined || this.slab.length - this.slabW < size) {
        this.slab = Buffer.allocUnsafeSlow(Math.max(SLAB_SIZE, size))
        this.slabW = 0
      }
      this.slabW += size
      return this.slab.subarray(this.slabW - size, this.slabW)
    }
    this.slab ??= Buffer.allocUnsafeSlow(SLAB_CAP)
    let at = this.slabW % SLAB_CAP
    let w = this.slabW
    if (SLAB_CAP - at < size) { w += SLAB_CAP - at; at = 0 }
    if (w + size - this.slabR > SLAB_CAP) return Buffer.allocUnsafe(size) // full (rare): spill
    this.slabW = w + size
    return this.slab.subarray(at, at + size)
  }

  private growPath(n: number): void {
    const bigger = Buffer.allocUnsafe(Math.max(n, this.path.length * 2))
    this.path.copy(bigger)
    this.path = bigger
  }

  private show(n: number): string { return this.path.toString('utf8', 0, n) }

  /** `n` bytes of a big file, from `b.next`, read on this thread. */
  private readBig(b: BigFile, n: number): void {
    this.signal?.throwIfAborted()
    if (b.fd < 0) b.fd = openSync(b.path, constants.O_RDONLY | constants.O_NOFOLLOW)
    const buf = this.recycle ? (this.freeBufs.pop() ?? Buffer.allocUnsafeSlow(this.readSize)) : Buffer.allocUnsafeSlow(n)
    readFully(b.fd, buf, n, b.next, b.path)
    if (this.recycle) this.lentBufs.push(buf)
    this.bigHere++
    this.enc.contents(n === buf.length ? buf : buf.subarray(0, n))
  }
}

const SLASH = Buffer.from('/')

const byName = (a: Dirent, b: Dirent): number => a.name < b.name ? -1 : a.name > b.name ? 1 : 0

const OPEN_FILE = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK
const OPEN_DIR = constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW

/** A direct fill's failed write, as node:fs reports one (e.g. `EPIPE: broken pipe, write`). */
function writeFailure(errno: number): Error {
  const [code, text] = getSystemErrorMap().get(-errno) ?? ['EIO', 'i/o error']
  return Object.assign(new Error(`${code}: ${text}, write`), { code, errno: -errno, syscall: 'write' })
}

/**
 * Fill `into` from the start of a small file (open as `fd`, or opened here); the file must still
 * be at least that long. Closes the file.
 */
function readSmall(p: Buffer, into: Uint8Array, fd = -1): void {
  if (fd < 0) fd = openSync(p, constants.O_RDONLY | constants.O_NOFOLLOW)
  try {
    readFully(fd, into, into.length, 0, p)
  } finally {
    closeSync(fd)
  }
}

/** Read exactly n bytes at `position` into the start of `into`. */
function readFully(fd: number, into: Uint8Array, n: number, position: number, p: Buffer): void {
  let off = 0
  while (off < n) {
    const k = readSync(fd, into, off, n - off, position + off)
    if (k === 0) throw new NarDumpError(`file '${p.toString('utf8')}' changed while it was being read (shorter than expected)`)
    off += k
  }
}

/**
 * Reading and writing a connected socket directly, beside Node's stream, for a request/reply
 * peer that sends its next request as soon as it has the reply (the daemon's clients).
 *
 * In Node's event loop each round trip costs two epoll calls and the stream's machinery on both
 * sides (~15 µs of CPU, ~25 µs of latency on this 2-core VM: a blocking echo in Node matches a C
 * one, a `net` echo takes 1.5× as long). Here the next request is waited for in poll() as long
 * as the loop has nothing else to do (native/tsnix.c `readWhenReady`), and a reply is written
 * with one write() when the stream has nothing queued.
 *
 * The caller keeps the order of bytes: `read` only when the stream holds no unread data, `write`
 * only when it has nothing queued to write. Every `STREAK_MS` the reader must let one real turn
 * of the loop happen (`read` says "not now"), so timers, immediates and queued microtasks never
 * wait longer than that.
 */
import type { Socket } from 'node:net'
import { nativeCalls } from './native.js'
import { socketFd } from './peer-credentials.js'

/** How long one wait for the next request may block (the loop's other work ends it sooner). */
const BUDGET_MS = 2
/** The longest stretch served without a turn of the event loop. */
const STREAK_MS = 5
/** Reads go into slices of one slab; handed-out slices are never written again. */
const SLAB = 64 * 1024
const MIN_READ = 4 * 1024

export interface SocketDirect {
  /** The next bytes (a fresh view), null at end of input, undefined: wait the usual way. */
  read(): Uint8Array | null | undefined
  /** A turn of the loop delivered data the usual way (starts a new streak). */
  turned(): void
  /** Bytes written by one non-blocking write (0…length), or -1: write the usual way. */
  write(bytes: Uint8Array): number
}

/**
 * Direct I/O on `sock`, or undefined when the addon lacks it or TSNIX_SOCKET_DIRECT=0.
 * `streakMs` (tests) replaces STREAK_MS.
 */
export function socketDirect(sock: Socket, opts: { streakMs?: number } = {}): SocketDirect | undefined {
  const calls = nativeCalls('TSNIX_SOCKET_DIRECT', 'readWhenReady', 'writeSome')
  const fd = socketFd(sock)
  if (calls === null || fd === undefined) return undefined
  let slab = Buffer.allocUnsafe(SLAB)
  let used = 0
  const streakMs = opts.streakMs ?? STREAK_MS
  let streakStart = performance.now()
  return {
    read(): Uint8Array | null | undefined {
      if (performance.now() - streakStart > streakMs) return undefined
      if (SLAB - used < MIN_READ) { slab = Buffer.allocUnsafe(SLAB); used = 0 }
      const n = calls.readWhenReady(fd, slab.subarray(used), BUDGET_MS)
      if (n < 0) return undefined
      if (n === 0) return null
      const chunk = slab.subarray(used, used + n)
      used += n
      return chunk
    },
    turned(): void { streakStart = performance.now() },
    write(bytes: Uint8Array): number {
      const n = calls.writeSome(fd, bytes)
      return n >= 0 ? n : -1
    },
  }
}

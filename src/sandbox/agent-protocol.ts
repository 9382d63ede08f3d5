/**
 * The warm-slot agent's protocol (native/sandbox-helper.c `agent`), pure:
 * - `agentPlan`: BuildRequest → the operations the agent performs to build the sandbox
 *   (mounts in order, identity, argv, env) — all policy lives here, the C side only executes;
 * - `encodeRequest`: the request file (NUL-terminated strings);
 * - `FrameDecoder`: the agent's output frames `[type][u32 BE length][payload]`.
 */
import { posix } from 'node:path'
import { SandboxRequestError } from './errors.js'
import { buildBinds, checkSandboxPath, MASKED_PATHS, personalityFor, READONLY_PATHS } from './spec.js'
import type { BuildRequest } from './types.js'

// mount(2) flags and clone(2) flags (linux/mount.h, linux/sched.h).
export const MS_RDONLY = 1
export const MS_NOSUID = 2
export const MS_NODEV = 4
export const MS_NOEXEC = 8
export const MS_STRICTATIME = 1 << 24
export const CLONE_NEWNS = 0x00020000
export const CLONE_NEWUTS = 0x04000000
export const CLONE_NEWIPC = 0x08000000
export const CLONE_NEWPID = 0x20000000
export const CLONE_NEWNET = 0x40000000

/** Device nodes every build gets (bound from the slot's /dev, which runc populated from the host). */
export const DEVICES = ['full', 'null', 'random', 'tty', 'urandom', 'zero']

export interface SlotView {
  /** The rootfs variant for this request, as a path inside the slot. */
  rootfs: string
  /** Translate a host path to where the slot sees it; undefined when the slot cannot see it. */
  translate(hostPath: string): string | undefined
  /** In-sandbox scratch path → host directory. */
  scratch: ReadonlyMap<string, string>
}

/** Thrown when a request needs a host path the slot does not expose (run it cold instead). */
export class NotExposedError extends SandboxRequestError {}

/** The agent's operations for `req`, as request-file tokens (after the header). */
export function agentPlan(req: BuildRequest, view: SlotView, extraIsDir: ReadonlyMap<string, boolean>): string[] {
  checkSandboxPath(req.buildDir, 'build dir')
  const t: string[] = []
  const slotPath = (host: string): string => {
    const p = view.translate(host)
    if (p === undefined) throw new NotExposedError(`host path ${JSON.stringify(host)} is not exposed to the warm slots`)
    return p
  }
  let clone = CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWUTS
  if (!req.network) clone |= CLONE_NEWNET
  t.push('c', String(clone), 'r', slotPath(view.rootfs))

  t.push('m', 'proc', '/proc', 'proc', String(MS_NOSUID | MS_NOEXEC | MS_NODEV), '')
  t.push('m', 'tmpfs', '/dev', 'tmpfs', String(MS_NOSUID | MS_STRICTATIME), 'mode=755,size=65536k')
  for (const d of DEVICES) t.push('f', `/dev/${d}`, 'b', `/dev/${d}`, `/dev/${d}`, String(MS_NOSUID))
  t.push('l', '/proc/self/fd', '/dev/fd', 'l', '/proc/self/fd/0', '/dev/stdin', 'l', '/proc/self/fd/1', '/dev/stdout', 'l', '/proc/self/fd/2', '/dev/stderr', 'l', 'pts/ptmx', '/dev/ptmx')
  t.push('d', '/dev/pts', '755', 'm', 'devpts', '/dev/pts', 'devpts', String(MS_NOSUID | MS_NOEXEC), 'newinstance,ptmxmode=0666,mode=0620')
  t.push('d', '/dev/shm', '1777', 'm', 'shm', '/dev/shm', 'tmpfs', String(MS_NOSUID | MS_NODEV), `mode=1777,size=${req.devShmSize}`)

  for (const m of buildBinds(req, view.scratch)) {
    if (m.destination.startsWith('/dev/')) t.push(extraIsDir.get(m.destination) ? 'd' : 'f', m.destination, ...(extraIsDir.get(m.destination) ? ['755'] : []))
    // Device binds (/dev/kvm) must keep device access; everything else is nosuid,nodev like runc's binds.
    const flags = MS_NOSUID | (m.destination.startsWith('/dev/') ? 0 : MS_NODEV) | (m.options.includes('ro') ? MS_RDONLY : 0)
    t.push('b', slotPath(m.source), m.destination, String(flags))
  }
  for (const p of MASKED_PATHS) if (p.startsWith('/proc/')) t.push('k', p)
  for (const p of READONLY_PATHS) t.push('o', p)
  if (!req.network) t.push('n')
  t.push('h', 'localhost')
  t.push('u', String(req.uid), String(req.gid), 'p', personalityFor(req.system).toString(16), 'w', req.buildDir, 'x', req.builder)
  t.push('a', posix.basename(req.builder))
  for (const a of req.args) t.push('a', a)
  for (const [k, v] of req.env) {
    if (k.includes('=')) throw new SandboxRequestError(`environment variable name ${JSON.stringify(k)} contains '='`)
    t.push('e', `${k}=${v}`)
  }
  return t
}

/** The request file: "TSNIX1" and the tokens, each NUL-terminated. */
export function encodeRequest(tokens: readonly string[]): Buffer {
  const parts: Buffer[] = [Buffer.from('TSNIX1\0')]
  for (const tok of tokens) {
    if (tok.includes('\0')) throw new SandboxRequestError(`a sandbox request value contains a NUL byte: ${JSON.stringify(tok.slice(0, 40))}`)
    parts.push(Buffer.from(tok + '\0', 'utf8'))
  }
  return Buffer.concat(parts)
}

export type AgentFrame =
  | { kind: 'ready'; version: string }
  | { kind: 'started'; error: string | null }
  | { kind: 'log'; data: Uint8Array }
  | { kind: 'exit'; code: number | null; signal: number | null }
  | { kind: 'error'; message: string }

/** Largest frame the agent sends (its read buffer is 64 KiB; errors are shorter). */
export const MAX_FRAME = 1 << 20

/** Incremental decoder of agent frames: push chunks, get whole frames. */
export class FrameDecoder {
  private buf: Buffer = Buffer.alloc(0)

  push(chunk: Uint8Array): AgentFrame[] {
    this.buf = this.buf.length === 0 ? Buffer.from(chunk) : Buffer.concat([this.buf, chunk])
    const out: AgentFrame[] = []
    let off = 0
    while (this.buf.length - off >= 5) {
      const type = String.fromCharCode(this.buf[off]!)
      const len = this.buf.readUInt32BE(off + 1)
      if (len > MAX_FRAME) throw new SandboxRequestError(`agent frame length ${len} exceeds ${MAX_FRAME}`)
      if (this.buf.length - off - 5 < len) break
      const payload = this.buf.subarray(off + 5, off + 5 + len)
      off += 5 + len
      out.push(decodeFrame(type, payload))
    }
    this.buf = off === this.buf.length ? Buffer.alloc(0) : Buffer.from(this.buf.subarray(off))
    return out
  }

  /** Bytes of an incomplete frame still buffered. */
  get pending(): number { return this.buf.length }
}

function decodeFrame(type: string, payload: Buffer): AgentFrame {
  switch (type) {
    case 'R': return { kind: 'ready', version: payload.toString('utf8') }
    case 'S': return { kind: 'started', error: payload.length === 0 ? null : payload.toString('utf8') }
    case 'L': return { kind: 'log', data: new Uint8Array(payload) }
    case 'X': {
      const m = /^(exit|signal) (\d+)$/.exec(payload.toString('utf8'))
      if (!m) throw new SandboxRequestError(`bad agent exit frame ${JSON.stringify(payload.toString('utf8'))}`)
      return m[1] === 'exit' ? { kind: 'exit', code: Number(m[2]), signal: null } : { kind: 'exit', code: null, signal: Number(m[2]) }
    }
    case 'E': return { kind: 'error', message: payload.toString('utf8') }
    default: throw new SandboxRequestError(`unknown agent frame type ${JSON.stringify(type)}`)
  }
}

/**
 * The daemon side of one worker-protocol connection (C++ daemon.cc `processConnection`): the
 * handshake, reading ops, the STDERR_* framing with startWork()/stopWork(), and the single
 * error boundary that turns errors into STDERR_ERROR frames.
 *
 * Error behaviour, as C++:
 *   - an error after startWork(): one STDERR_ERROR, the connection stays usable;
 *   - an error before startWork() (reading the request, a precheck, an unknown op): STDERR_ERROR
 *     twice, then the connection closes;
 *   - a ProtocolError after startWork(): the stream cannot be trusted any more, so after the
 *     STDERR_ERROR the connection closes (C++ would read garbage as the next op);
 *   - anything that is not a NixError is a bug: one STDERR_ERROR, then only this connection closes.
 * A clean EOF between ops ends the connection without an error.
 */
import { NixError } from '../errors.js'
import { StoreDir } from '../store-path/index.js'
import { ByteSource, INCOMPLETE, LIMITS, ProtocolError, type WireReader, WireWriter } from '../wire/index.js'
import {
  type ClientHandshakeInfo, ClientHandshakeInfoCodec, ClientMagicCodec, ClientOptionsCodec, type ClientSettings, type CodecContext,
  DaemonHelloCodec, DEFAULT_CLIENT_SETTINGS, FeaturesCodec, oldFormatErrorText, type OpDef, opDef, type StderrFrame, StderrFrameCodec,
  VersionCodec, type WireError,
} from './codec/index.js'
import { type Logger, Verbosity } from '../logger.js'
import { HandshakeError, UnknownOpError } from './errors.js'
import type { ConnectionInfo, OpHandler, OpHandlers, OpIO } from './handler.js'
import type { ByteSink } from './io.js'
import { FrameLogger, type FrameSink } from './logger.js'
import { FramedUpload, NarUpload, TunnelSource, type Upload } from './uploads.js'
import { intersectFeatures, MINIMUM_PROTOCOL_VERSION, PROTOCOL_VERSION, type ProtocolVersion } from './version.js'

export interface ServerOptions {
  readonly handlers: OpHandlers
  /** Whether the peer is trusted (from SO_PEERCRED and trusted-users, decided by the caller). */
  readonly trusted: boolean
  readonly storeDir?: StoreDir
  /** Sent to clients ≥ 1.33, which only display it. */
  readonly daemonNixVersion?: string
  /** The version we advertise (tests emulate older daemons with it). */
  readonly protocolVersion?: ProtocolVersion
  /** Features we offer at 1.38 (default none, like Nix 2.24 … 2.34). */
  readonly features?: readonly string[]
  /** Runs between startWork() and stopWork() after the handshake (2.8's auth hook). */
  readonly onStartup?: (logger: Logger) => Promise<void>
  /** Aborted when the peer goes away (wired to the socket by the server). */
  readonly signal?: AbortSignal
}

/** How a connection ended. */
export type ConnectionEnd =
  | { readonly kind: 'eof'; readonly ops: number }
  | { readonly kind: 'closed'; readonly ops: number; readonly error: unknown }

export const DEFAULT_DAEMON_NIX_VERSION = '2.34.8'

const readOp = (r: WireReader): number => r.u32('op')
const RESOLVED = Promise.resolve()

/** An error to send as STDERR_ERROR. */
export function toWireError(e: unknown): WireError {
  if (e instanceof Error) return { message: e.message, level: Verbosity.Error, traces: [], exitStatus: 1 }
  return { message: String(e), level: Verbosity.Error, traces: [], exitStatus: 1 }
}

export class ServerConnection implements FrameSink {
  private readonly in: ByteSource
  private readonly sink: ByteSink
  private readonly opts: ServerOptions
  private readonly storeDir: StoreDir
  private readonly out = new WireWriter(4096)
  /** Frames produced while not working, sent at the next startWork(). */
  private pending: Uint8Array[] = []
  private working = false
  private flushing: Promise<void> = Promise.resolve()
  private flushScheduled = false
  private writeFailed: unknown
  private ctx: CodecContext
  private clientVersion: ProtocolVersion = 0
  private settings: ClientSettings = DEFAULT_CLIENT_SETTINGS
  /** After a failed op with an upload: whether all of its data was read (set by performOp). */
  private dataInSync: boolean | undefined
  private readonly abort = new AbortController()
  readonly logger: Logger = new FrameLogger(this)
  ops = 0

  constructor(src: AsyncIterable<Uint8Array>, sink: ByteSink, opts: ServerOptions) {
    // one request is buffered whole while it is decoded: bound it (the memory bound per client)
    this.in = new ByteSource(src, { maxDecode: LIMITS.request })
    this.sink = sink
    this.opts = opts
    this.storeDir = opts.storeDir ?? new StoreDir()
    this.ctx = { version: opts.protocolVersion ?? PROTOCOL_VERSION, features: new Set(), storeDir: this.storeDir }
    opts.signal?.addEventListener('abort', () => this.abort.abort(opts.signal?.reason), { once: true })
  }

  // FrameSink, for the logger
  get activitiesSupported(): boolean { return (this.ctx?.version ?? PROTOCOL_VERSION) >= 0x114 }
  get verbosity(): number { return this.settings.verbosity }

  frame(f: StderrFrame): void {
    const w = this.working ? this.out : new WireWriter(64)
    StderrFrameCodec.write(w, this.ctx, f)
    if (!this.working) { this.pending.push(w.finish()); return }
    this.scheduleFlush()
  }

  /** Serve the connection to its end. Resolves (never rejects) with how it ended. */
  async run(): Promise<ConnectionEnd> {
    try {
      await this.handshake()
    } catch (e) {
      await this.flush().catch(() => {})
      return { kind: 'closed', ops: 0, error: e }
    }
    try {
      for (;;) {
        // Requests usually arrive whole: decode without a round through the event loop.
        let op = this.in.tryDecode(readOp)
        // the client's next request, read from the socket without a turn of the event loop
        if (op === INCOMPLETE && this.in.pullNow()) op = this.in.tryDecode(readOp)
        if (op === INCOMPLETE) {
          if (!(await this.in.hasMore())) return { kind: 'eof', ops: this.ops }
          op = this.in.tryDecode(readOp)
          if (op === INCOMPLETE) op = await this.in.decode(readOp, 'op')
        }
        this.ops++
        try {
          // undefined: the op was answered without waiting (a whole request, a handler that
          // could answer at once) — no promise per op
          const rest = this.performOp(op)
          if (rest !== undefined) await rest
        } catch (e) {
          if (!(await this.reportError(e))) return { kind: 'closed', ops: this.ops, error: e }
        }
        const flushed = this.flush()
        if (flushed !== RESOLVED) await flushed
      }
    } catch (e) {
      // outside any op: EOF in the middle of an op number, or the socket failed
      return { kind: 'closed', ops: this.ops, error: e }
    } finally {
      this.abort.abort()
    }
  }

  /**
   * The error boundary. Returns true if the connection can go on.
   */
  private async reportError(e: unknown): Promise<boolean> {
    const errorAllowed = this.working
    const wire = toWireError(e)
    this.stopWork(wire)
    // A ProtocolError means the input can no longer be followed — unless it concerned the
    // contents of an upload that was then read to its end (dataInSync).
    const inSync = this.dataInSync ?? !(e instanceof ProtocolError)
    this.dataInSync = undefined
    let goOn = errorAllowed && e instanceof NixError && inSync
    if (!errorAllowed) {
      // C++ rethrows here and processConnection's outer handler sends the error once more
      this.stopWork(wire)
      goOn = false
    }
    await this.flush().catch(() => {})
    return goOn && this.writeFailed === undefined
  }

  private infoCached: ConnectionInfo | undefined

  /** The same object while nothing in it changed (one less allocation per op). */
  private info(): ConnectionInfo {
    const c = this.infoCached
    if (c && c.codec === this.ctx && c.settings === this.settings && c.clientVersion === this.clientVersion) return c
    return (this.infoCached = { codec: this.ctx, clientVersion: this.clientVersion, trusted: this.opts.trusted, settings: this.settings })
  }

  private async handshake(): Promise<void> {
    const ours = this.opts.protocolVersion ?? PROTOCOL_VERSION
    const pre: CodecContext = { version: ours, features: new Set(), storeDir: this.storeDir }
    this.ctx = pre
    await this.in.decode(r => ClientMagicCodec.read(r, pre), 'client magic')
    DaemonHelloCodec.write(this.out, pre, ours)
    await this.flush()
    this.clientVersion = await this.in.decode(r => VersionCodec.read(r, pre), 'client version')
    const neg = Math.min(this.clientVersion, ours)
    if (neg < MINIMUM_PROTOCOL_VERSION) throw new HandshakeError('the Nix client version is too old')
    let ctx: CodecContext = { version: neg, features: new Set(), storeDir: this.storeDir }
    if (neg >= 0x126) {
      const theirs = await this.in.decode(r => FeaturesCodec.read(r, ctx), 'client features')
      const offered = this.opts.features ?? []
      FeaturesCodec.write(this.out, ctx, offered)
      await this.flush()
      ctx = { ...ctx, features: intersectFeatures(theirs, offered) }
    }
    this.ctx = ctx
    await this.in.decode(r => ClientOptionsCodec.read(r, ctx), 'client options')
    const info: ClientHandshakeInfo = {
      daemonNixVersion: this.opts.daemonNixVersion ?? DEFAULT_DAEMON_NIX_VERSION,
      remoteTrustsUs: this.opts.trusted ? 'Trusted' : 'NotTrusted',
    }
    ClientHandshakeInfoCodec.write(this.out, ctx, info)
    // Startup messages (queued while no frame could be sent) go out now.
    this.startWork()
    try {
      await this.opts.onStartup?.(this.logger)
    } catch (e) {
      this.stopWork(toWireError(e))
      throw e
    }
    this.stopWork()
    await this.flush()
  }

  private startWork(): void {
    this.working = true
    if (this.pending.length === 0) return
    for (const p of this.pending) this.out.raw(p)
    this.pending = []
    this.scheduleFlush()
  }

  private stopWork(error?: WireError): void {
    this.working = false
    if (!error) { StderrFrameCodec.write(this.out, this.ctx, { kind: 'last' }); return }
    const e = this.ctx.version >= 0x11a ? error : { ...error, message: oldFormatErrorText(error) }
    StderrFrameCodec.write(this.out, this.ctx, { kind: 'error', error: e })
  }

  private scheduleFlush(): void {
    if (this.flushScheduled) return
    this.flushScheduled = true
    // Coalesce the frames of one tick into one write.
    setImmediate(() => { this.flushScheduled = false; this.flush().catch(() => {}) })
  }

  /** Write out everything buffered, in order. */
  flush(): Promise<void> {
    const sink = this.sink
    if (sink.tryWrite && sink.drain) {
      // The stream keeps writes in order itself; wait only under backpressure.
      if (this.writeFailed !== undefined) return Promise.reject(this.writeFailed)
      if (this.out.length === 0) return RESOLVED
      const bytes = this.out.finish()
      this.out.reset()
      let ok: boolean
      try { ok = sink.tryWrite(bytes) } catch (e) { this.writeFailed = e; this.abort.abort(e); return Promise.reject(e) }
      if (ok) return RESOLVED
      return sink.drain().catch(e => { this.writeFailed ??= e; this.abort.abort(e); throw e })
    }
    const next = this.flushing.then(async () => {
      if (this.writeFailed !== undefined) throw this.writeFailed
      if (this.out.length === 0) return
      const bytes = this.out.finish()
      this.out.reset()
      try { await this.sink.write(bytes) } catch (e) { this.writeFailed = e; this.abort.abort(e); throw e }
    })
    this.flushing = next.catch(() => {})
    return next
  }

  /**
   * One op, as far as it can go without waiting: undefined when it is done, else a promise for
   * the rest (a request not buffered whole, a precheck, an upload or download, or a handler that
   * has to wait). Errors are thrown (or rejected) to run()'s error boundary either way.
   */
  private performOp(op: number): Promise<void> | undefined {
    const def = opDef(op)
    const handler = def && (this.opts.handlers as Record<string, OpHandler<unknown, unknown> | undefined>)[def.name]
    if (!def || (!handler && def.name !== 'SetOptions')) throw new UnknownOpError(op)
    if (def.readsRequestAfterStartWork) this.startWork()
    const ctx = this.ctx
    const readReq = (r: WireReader): unknown => def.request.read(r, ctx)
    const req = this.in.tryDecode(readReq)
    if (req === INCOMPLETE) return this.in.decode(readReq, `${def.name} request`).then(r => this.afterRequest(def, handler, ctx, r))
    return this.afterRequest(def, handler, ctx, req)
  }

  private afterRequest(def: OpDef, handler: OpHandler<unknown, unknown> | undefined, ctx: CodecContext, req: unknown): Promise<void> | undefined {
    if (def.name === 'SetOptions') this.settings = req as ClientSettings
    if (handler?.precheck) {
      const checked = handler.precheck(req, this.info())
      if (checked instanceof Promise) return checked.then(() => this.runHandler(def, handler, ctx, req))
    }
    return this.runHandler(def, handler, ctx, req)
  }

  private runHandler(def: OpDef, handler: OpHandler<unknown, unknown> | undefined, ctx: CodecContext, req: unknown): Promise<void> | undefined {
    if (!this.working) this.startWork()
    const upload = this.makeUpload(def, req)
    if (upload !== undefined || def.download !== undefined) {
      let running: unknown
      try { running = handler?.run(req, this.io(upload, def)) } catch (e) { running = Promise.reject(e) }
      return this.finishOp(def, ctx, upload, running)
    }
    const reply = handler ? handler.run(req, this.io(undefined, def)) : undefined
    if (reply instanceof Promise) return reply.then(r => this.reply(def, ctx, r))
    this.reply(def, ctx, reply)
    return undefined
  }

  /** The rest of an op with an upload or a download: the handler's answer may be a promise; its thrown error too. */
  private async finishOp(def: OpDef, ctx: CodecContext, upload: Upload | undefined, running: unknown): Promise<void> {
    let reply: unknown
    try {
      reply = await running
    } catch (e) {
      // As C++ FramedSource's destructor: read the rest of the data so the next op is read from
      // the right place — also after the data's *contents* were rejected (a bad NAR inside
      // intact frames), so the error does not cost the connection.
      if (upload && !upload.finished && !upload.broken) await upload.drain().catch(() => undefined)
      this.dataInSync = upload ? upload.finished : undefined
      throw e
    }
    if (upload && !upload.finished) await upload.drain()

    if (def.download?.(ctx) === 'nar') {
      this.stopWork()
      await this.flush()
      for await (const chunk of reply as AsyncIterable<Uint8Array>) await this.sink.write(chunk)
      return
    }
    this.reply(def, ctx, reply)
  }

  private reply(def: OpDef, ctx: CodecContext, reply: unknown): void {
    this.stopWork()
    def.reply.write(this.out, ctx, reply as never)
  }

  private tunnel(): TunnelSource {
    return new TunnelSource(async n => {
      StderrFrameCodec.write(this.out, this.ctx, { kind: 'read', length: n })
      await this.flush()
      return (await this.in.decode(r => r.bytes({ max: Math.min(n, LIMITS.frame), what: 'STDERR_READ answer' }), 'STDERR_READ answer')).slice()
    })
  }

  private makeUpload(def: OpDef, req: unknown): Upload | undefined {
    switch (def.upload?.(this.ctx, req)) {
      case 'framed': return new FramedUpload(this.in)
      case 'nar': return NarUpload.from(this.in)
      case 'stderr-read': {
        if (def.name === 'ImportPaths') return undefined // the handler pulls through io.tunnel
        const t = this.tunnel()
        return new NarUpload(max => t.read(max), () => { throw new ProtocolError('the client sent data past the end of the archive', 'ERR_NAR_TRAILING') })
      }
      default: return undefined
    }
  }

  private io(upload: Upload | undefined, def: OpDef): OpIO {
    return {
      conn: this.info(),
      logger: this.logger,
      upload,
      tunnel: def.name === 'ImportPaths' ? this.tunnel() : undefined,
      writeData: async bytes => {
        StderrFrameCodec.write(this.out, this.ctx, { kind: 'write', data: bytes })
        await this.flush()
      },
      signal: this.abort.signal,
    }
  }
}

/**
 * A worker-protocol client (C++ `RemoteStore` / `WorkerProto::BasicClientConnection`): the
 * handshake, then every op as a typed async method, with the daemon's logger frames delivered
 * to a callback. It talks to any daemon (C++ nix-daemon 2.8 … 2.34, ours) over a Unix socket
 * or a stdio pair (`nix-daemon --stdio`). Calls are serialised: one op at a time.
 */
import { createConnection, type Socket } from 'node:net'
import type { Readable, Writable } from 'node:stream'
import {
  type BuildResult, type ContentAddress, type ContentAddressMethodWithAlgo, type DerivedPath, type KeyedBuildResult, type NixHash,
  type PathInfo, StoreDir, type StorePath, type UnkeyedPathInfo,
} from '../store-path/index.js'
import type { BuildMode, GCResults, MissingInfo, SubstitutablePathInfo } from '../store/types.js'
import type { BasicDerivation } from '../derivation/index.js'
import { ByteSource, WireWriter } from '../wire/index.js'
import {
  type ClientHandshakeInfo, ClientHandshakeInfoCodec, ClientMagicCodec, ClientOptionsCodec,
  type ClientSettings, type CodecContext, type CodecOpName, DaemonHelloCodec, DEFAULT_CLIENT_SETTINGS,
  AddMultipleCountCodec, AddMultipleItemCodec, FeaturesCodec, type GCRequest, type OpDef, type GCRoot, OPS, type QueryRealisationReply,
  type QueryRealisationRequest, type RegisterDrvOutputRequest, type ReplyOf, type RequestInput, type StderrFrame, StderrFrameCodec,
  type TrustedFlag, VersionCodec, type WireError,
} from './codec/index.js'
import { HandshakeError, RemoteError, UnsupportedByProtocolError } from './errors.js'
import { type ByteSink, readableSource, WritableSink } from './io.js'
import { NarUpload } from './uploads.js'
import { formatProtocolVersion, intersectFeatures, PROTOCOL_VERSION, type ProtocolVersion, protocolMajor } from './version.js'

export interface WorkerClientOptions {
  readonly storeDir?: StoreDir
  /** The version we announce (default 1.38). */
  readonly protocolVersion?: ProtocolVersion
  /** Features we offer at 1.38 (default none). */
  readonly features?: readonly string[]
  /** Logger frames from the daemon (STDERR_NEXT, activities, results). */
  readonly onLog?: (frame: StderrFrame) => void
}

/** Data for an op that uploads: bytes, or chunks (sync or async). */
export type UploadInput = Uint8Array | Iterable<Uint8Array> | AsyncIterable<Uint8Array>

export interface CallOptions {
  readonly upload?: UploadInput
  /** STDERR_WRITE data (ExportPath) and NarFromPath's NAR, in order. */
  readonly onData?: (chunk: Uint8Array) => void | Promise<void>
}

const FRAME = 64 * 1024
/** Nix ≥ 2.8 … 2.34 clients refuse daemons older than this (master: 1.18). */
const MINIMUM_DAEMON_VERSION = 0x10a

async function* chunksOf(input: UploadInput): AsyncGenerator<Uint8Array> {
  if (input instanceof Uint8Array) { yield input; return }
  if (Symbol.asyncIterator in input) { for await (const c of input) yield c; return }
  for (const c of input) yield c
}

export class WorkerClient {
  private readonly in: ByteSource
  private readonly sink: ByteSink
  private readonly opts: WorkerClientOptions
  private readonly closeFn: () => void
  private queue: Promise<unknown> = Promise.resolve()
  private ctx!: CodecContext
  daemonVersion = 0
  info: ClientHandshakeInfo = {}

  private constructor(src: AsyncIterable<Uint8Array>, sink: ByteSink, opts: WorkerClientOptions, close: () => void) {
    this.in = new ByteSource(src)
    this.sink = sink
    this.opts = opts
    this.closeFn = close
  }

  /** Connect to a daemon socket and do the handshake. */
  static async connect(path: string, opts: WorkerClientOptions = {}): Promise<WorkerClient> {
    const sock: Socket = createConnection(path)
    await new Promise<void>((resolve, reject) => { sock.once('connect', resolve); sock.once('error', reject) })
    return WorkerClient.fromStreams(sock, sock, opts, () => sock.destroy())
  }

  /** Talk over a stream pair, e.g. a child `nix-daemon --stdio`. */
  static async fromStreams(readable: Readable, writable: Writable, opts: WorkerClientOptions = {}, close?: () => void): Promise<WorkerClient> {
    const c = new WorkerClient(readableSource(readable), new WritableSink(writable), opts, close ?? (() => { writable.end() }))
    await c.handshake()
    return c
  }

  /** Over raw byte interfaces (tests: an in-memory pair). */
  static async over(src: AsyncIterable<Uint8Array>, sink: ByteSink, opts: WorkerClientOptions = {}, close: () => void = () => {}): Promise<WorkerClient> {
    const c = new WorkerClient(src, sink, opts, close)
    await c.handshake()
    return c
  }

  /** The negotiated version. */
  get version(): ProtocolVersion { return this.ctx.version }
  get features(): ReadonlySet<string> { return this.ctx.features }
  get codec(): CodecContext { return this.ctx }
  get daemonNixVersion(): string | undefined { return this.info.daemonNixVersion }
  get trusted(): TrustedFlag | undefined { return this.info.remoteTrustsUs }

  close(): void { this.closeFn() }

  private async handshake(): Promise<void> {
    const ours = this.opts.protocolVersion ?? PROTOCOL_VERSION
    const storeDir = this.opts.storeDir ?? new StoreDir()
    const pre: CodecContext = { version: ours, features: new Set(), storeDir }
    this.ctx = pre
    const w = new WireWriter()
    ClientMagicCodec.write(w, pre, undefined)
    await this.sink.write(w.finish())
    this.daemonVersion = await this.in.decode(r => DaemonHelloCodec.read(r, pre), 'daemon hello')
    if (protocolMajor(this.daemonVersion) !== protocolMajor(ours)) throw new HandshakeError('Nix daemon protocol version not supported')
    if (this.daemonVersion < MINIMUM_DAEMON_VERSION) throw new HandshakeError('the Nix daemon version is too old')
    const neg = Math.min(this.daemonVersion, ours)
    let ctx: CodecContext = { version: neg, features: new Set(), storeDir }
    w.reset()
    VersionCodec.write(w, ctx, ours)
    if (neg >= 0x126) {
      const offered = this.opts.features ?? []
      FeaturesCodec.write(w, ctx, offered)
      await this.sink.write(w.finish())
      w.reset()
      const theirs = await this.in.decode(r => FeaturesCodec.read(r, ctx), 'daemon features')
      ctx = { ...ctx, features: intersectFeatures(offered, theirs) }
    }
    ClientOptionsCodec.write(w, ctx, { reserveSpace: false })
    await this.sink.write(w.finish())
    this.ctx = ctx
    this.info = await this.in.decode(r => ClientHandshakeInfoCodec.read(r, ctx), 'handshake info')
    await this.readStderr(undefined, undefined)
  }

  /** Logger frames up to STDERR_LAST; STDERR_ERROR throws RemoteError. */
  private async readStderr(onData: CallOptions['onData'], pull: ((n: number) => Promise<Uint8Array>) | undefined): Promise<void> {
    for (;;) {
      const f = await this.in.decode(r => StderrFrameCodec.read(r, this.ctx), 'logger frame')
      switch (f.kind) {
        case 'last': return
        case 'error': throw remoteError(f.error)
        case 'write': await onData?.(f.data); break
        case 'read': {
          if (!pull) throw new HandshakeError('the daemon asked for data (STDERR_READ) where none is to be sent')
          await this.sink.write(new WireWriter().bytes(await pull(f.length)).finish())
          break
        }
        default: this.opts.onLog?.(f)
      }
    }
  }

  /**
   * Run one op: send the request (and its data), read logger frames, return the decoded reply.
   * Calls queue behind each other.
   */
  call<N extends CodecOpName>(name: N, req: RequestInput<N>, opts: CallOptions = {}): Promise<ReplyOf<N>> {
    const run = this.queue.then(() => this.perform(name, req, opts))
    this.queue = run.catch(() => {})
    return run
  }

  private async perform<N extends CodecOpName>(name: N, req: RequestInput<N>, opts: CallOptions): Promise<ReplyOf<N>> {
    const def = OPS[name] as unknown as OpDef<unknown, ReplyOf<N>, RequestInput<N>, unknown>
    const ctx = this.ctx
    if (ctx.version < (0x100 | def.since)) {
      throw new UnsupportedByProtocolError(`the daemon's protocol ${formatProtocolVersion(ctx.version)} is too old for ${name} (needs 1.${def.since})`)
    }
    const w = new WireWriter()
    w.u64(def.op)
    def.request.write(w, ctx, req)
    const kind = def.upload?.(ctx, req)
    if (kind !== undefined && opts.upload === undefined) throw new RangeError(`${name} needs data to upload`)

    let pull: ((n: number) => Promise<Uint8Array>) | undefined
    let uploading: Promise<void> | undefined
    let stop = false
    if (kind === 'framed') {
      await this.sink.write(w.finish())
      uploading = this.sendFramed(opts.upload!, () => stop)
    } else if (kind === 'nar') {
      for await (const c of chunksOf(opts.upload!)) w.raw(c)
      await this.sink.write(w.finish())
    } else {
      await this.sink.write(w.finish())
      if (kind === 'stderr-read') pull = this.puller(opts.upload!)
    }
    try {
      await this.readStderr(opts.onData, pull)
    } catch (e) {
      // the daemon gave up: stop sending and end the framed stream, as C++ clients do
      stop = true
      await uploading?.catch(() => {})
      throw e
    }
    await uploading
    const reply = await this.in.decode(r => def.reply.read(r, ctx), `${name} reply`)
    if (def.download?.(ctx) === 'nar') {
      const nar = NarUpload.from(this.in)
      for (let c = await nar.next(); c !== undefined; c = await nar.next()) if (c.length) await opts.onData?.(c)
    }
    return reply
  }

  private async sendFramed(input: UploadInput, stopped: () => boolean): Promise<void> {
    for await (const chunk of chunksOf(input)) {
      for (let o = 0; o < chunk.length && !stopped(); o += FRAME) {
        const part = chunk.subarray(o, o + FRAME)
        await this.sink.write(new WireWriter(16).u64(part.length).finish())
        await this.sink.write(part)
      }
      if (stopped()) break
    }
    await this.sink.write(new Uint8Array(8))
  }

  private puller(input: UploadInput): (n: number) => Promise<Uint8Array> {
    const it = chunksOf(input)[Symbol.asyncIterator]()
    let rest: Uint8Array = new Uint8Array(0)
    return async n => {
      while (rest.length === 0) {
        const r = await it.next()
        if (r.done) return new Uint8Array(0)
        rest = r.value
      }
      const out = rest.subarray(0, n)
      rest = rest.subarray(out.length)
      return out
    }
  }

  // ---- typed ops ---------------------------------------------------------------------------

  setOptions(settings: Partial<ClientSettings> = {}): Promise<undefined> {
    return this.call('SetOptions', { ...DEFAULT_CLIENT_SETTINGS, ...settings })
  }
  isValidPath(path: StorePath): Promise<boolean> { return this.call('IsValidPath', { path }) }
  hasSubstitutes(path: StorePath): Promise<boolean> { return this.call('HasSubstitutes', { path }) }
  queryPathHash(path: StorePath): Promise<NixHash> { return this.call('QueryPathHash', { path }) }
  queryReferences(path: StorePath): Promise<StorePath[]> { return this.call('QueryReferences', { path }) }
  queryReferrers(path: StorePath): Promise<StorePath[]> { return this.call('QueryReferrers', { path }) }
  queryDeriver(path: StorePath): Promise<StorePath | undefined> { return this.call('QueryDeriver', { path }) }
  queryPathInfo(path: StorePath): Promise<UnkeyedPathInfo | undefined> { return this.call('QueryPathInfo', { path }) }
  queryAllValidPaths(): Promise<StorePath[]> { return this.call('QueryAllValidPaths', {}) }
  queryValidPaths(paths: readonly StorePath[], substitute = false): Promise<StorePath[]> { return this.call('QueryValidPaths', { paths, substitute }) }
  querySubstitutablePaths(paths: readonly StorePath[]): Promise<StorePath[]> { return this.call('QuerySubstitutablePaths', { paths }) }
  querySubstitutablePathInfo(path: StorePath): Promise<Omit<SubstitutablePathInfo, 'path'> | undefined> { return this.call('QuerySubstitutablePathInfo', { path }) }
  querySubstitutablePathInfos(paths: ReadonlyMap<StorePath, ContentAddress | undefined>): Promise<SubstitutablePathInfo[]> {
    return this.call('QuerySubstitutablePathInfos', { paths })
  }
  queryValidDerivers(path: StorePath): Promise<StorePath[]> { return this.call('QueryValidDerivers', { path }) }
  queryDerivationOutputs(path: StorePath): Promise<StorePath[]> { return this.call('QueryDerivationOutputs', { path }) }
  queryDerivationOutputNames(path: StorePath): Promise<string[]> { return this.call('QueryDerivationOutputNames', { path }) }
  queryDerivationOutputMap(path: StorePath): Promise<Map<string, StorePath | undefined>> { return this.call('QueryDerivationOutputMap', { path }) }
  queryPathFromHashPart(hashPart: string): Promise<StorePath | undefined> { return this.call('QueryPathFromHashPart', { hashPart }) }
  queryMissing(targets: readonly DerivedPath[]): Promise<MissingInfo> { return this.call('QueryMissing', { targets }) }
  ensurePath(path: StorePath): Promise<undefined> { return this.call('EnsurePath', { path }) }
  addTempRoot(path: StorePath): Promise<undefined> { return this.call('AddTempRoot', { path }) }
  addIndirectRoot(path: string): Promise<undefined> { return this.call('AddIndirectRoot', { path }) }
  addPermRoot(path: StorePath, gcRoot: string): Promise<string> { return this.call('AddPermRoot', { path, gcRoot }) }
  syncWithGC(): Promise<undefined> { return this.call('SyncWithGC', {}) }
  findRoots(): Promise<GCRoot[]> { return this.call('FindRoots', {}) }
  collectGarbage(options: GCRequest): Promise<GCResults> { return this.call('CollectGarbage', options) }
  optimiseStore(): Promise<undefined> { return this.call('OptimiseStore', {}) }
  verifyStore(checkContents: boolean, repair = false): Promise<boolean> { return this.call('VerifyStore', { checkContents, repair }) }
  addSignatures(path: StorePath, sigs: readonly string[]): Promise<undefined> { return this.call('AddSignatures', { path, sigs }) }
  buildPaths(paths: readonly DerivedPath[], mode: BuildMode = 'normal'): Promise<undefined> { return this.call('BuildPaths', { paths, mode }) }
  buildPathsWithResults(paths: readonly DerivedPath[], mode: BuildMode = 'normal'): Promise<KeyedBuildResult[]> {
    return this.call('BuildPathsWithResults', { paths, mode })
  }
  buildDerivation(drvPath: StorePath, drv: BasicDerivation, mode: BuildMode = 'normal'): Promise<BuildResult> {
    return this.call('BuildDerivation', { drvPath, drv, mode })
  }
  registerDrvOutput(req: RegisterDrvOutputRequest): Promise<undefined> { return this.call('RegisterDrvOutput', req) }
  queryRealisation(req: QueryRealisationRequest): Promise<QueryRealisationReply> { return this.call('QueryRealisation', req) }
  submitOutput(req: RequestInput<'SubmitOutput'>): Promise<undefined> { return this.call('SubmitOutput', req) }

  /**
   * Add a dump to the store (AddToStore). From 1.25 any method; before, only NAR-method
   * paths (the old request) and text (AddTextToStore).
   */
  async addToStore(name: string, method: ContentAddressMethodWithAlgo, references: readonly StorePath[], dump: UploadInput, repair = false): Promise<PathInfo | StorePath> {
    if (this.version >= 0x119) {
      const r = await this.call('AddToStore', { kind: 'ca', name, method, references, repair }, { upload: dump })
      return r.kind === 'info' ? r.info : r.path
    }
    if (method.method === 'text') {
      const parts: Uint8Array[] = []
      for await (const c of chunksOf(dump)) parts.push(c)
      return this.call('AddTextToStore', { name, text: Buffer.concat(parts), references })
    }
    if (method.method !== 'nar') throw new UnsupportedByProtocolError(`adding a '${method.method}' path needs protocol 1.25`)
    const r = await this.call('AddToStore', { kind: 'legacy', name, fixed: method.algo !== 'sha256', recursive: 1, hashAlgo: method.algo }, { upload: dump })
    return r.kind === 'info' ? r.info : r.path
  }
  addTextToStore(name: string, text: Uint8Array, references: readonly StorePath[]): Promise<StorePath> {
    return this.call('AddTextToStore', { name, text, references })
  }
  /** Add a path with its NAR (framed from 1.23, pulled with STDERR_READ at 1.21–1.22, raw before). */
  addToStoreNar(info: PathInfo, nar: UploadInput, opts: { repair?: boolean; dontCheckSigs?: boolean } = {}): Promise<undefined> {
    return this.call('AddToStoreNar', { info, repair: opts.repair ?? false, dontCheckSigs: opts.dontCheckSigs ?? false }, { upload: nar })
  }
  /** Add many paths: `items` gives each path's info and NAR, in dependency order. */
  addMultipleToStore(items: Iterable<{ info: PathInfo; nar: Uint8Array }> | AsyncIterable<{ info: PathInfo; nar: Uint8Array }>, opts: { repair?: boolean; dontCheckSigs?: boolean; count: number }): Promise<undefined> {
    const ctx = this.ctx
    async function* payload(): AsyncGenerator<Uint8Array> {
      const w = new WireWriter()
      AddMultipleCountCodec.write(w, ctx, opts.count)
      yield w.finish()
      for await (const { info, nar } of items as AsyncIterable<{ info: PathInfo; nar: Uint8Array }>) {
        const h = new WireWriter()
        AddMultipleItemCodec.write(h, ctx, info)
        yield h.finish()
        yield nar
      }
    }
    return this.call('AddMultipleToStore', { repair: opts.repair ?? false, dontCheckSigs: opts.dontCheckSigs ?? false }, { upload: payload() })
  }
  addBuildLog(drvPath: StorePath, log: UploadInput): Promise<undefined> { return this.call('AddBuildLog', { drvPath }, { upload: log }) }
  /** The NAR of a path, streamed to `onChunk`. */
  async narFromPath(path: StorePath, onChunk: (chunk: Uint8Array) => void | Promise<void>): Promise<void> {
    await this.call('NarFromPath', { path }, { onData: onChunk })
  }
  /** Old export format (daemons before 2.32), streamed to `onChunk`. */
  async exportPath(path: StorePath, onChunk: (chunk: Uint8Array) => void | Promise<void>): Promise<void> {
    await this.call('ExportPath', { path, sign: false }, { onData: onChunk })
  }
  importPaths(exportStream: UploadInput): Promise<StorePath[]> { return this.call('ImportPaths', {}, { upload: exportStream }) }
}

function remoteError(e: WireError): RemoteError {
  return new RemoteError(e.message, { level: e.level, traces: e.traces, exitStatus: e.exitStatus })
}

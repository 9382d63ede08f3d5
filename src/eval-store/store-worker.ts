/**
 * The worker thread behind `BridgedEvalStore`: it opens the store the URL names — a daemon
 * through `WorkerClient` (`daemon`, `unix://…`, or `auto` when the socket exists) or the local
 * store through `openLocalStore` (`local`, `local?root=…`, a path, `auto` otherwise) — and
 * serves the evaluator's synchronous calls (sync-worker.ts) with its async API.
 */
import { existsSync, readFileSync } from 'node:fs'
import { workerData } from 'node:worker_threads'
import { nullLogger } from '../logger.js'
import { decodeNarTree } from '../nar/index.js'
import { loadSettings } from '../settings/index.js'
import { type ContentAddressMethodWithAlgo, type DerivedPath, isSuccess, parseDerivedPath, parseStoreReference, StoreDir, StorePath } from '../store-path/index.js'
import { openLocalStore } from '../store/index.js'
import type { OpContext } from '../store/types.js'
import { WorkerClient } from '../worker-protocol/client.js'
import type { TextToAdd } from './store.js'
import { type Handlers, serveSyncCalls } from './sync-worker.js'

export interface StoreWorkerData {
  readonly storeUrl: string
  readonly storeDir: string
  readonly env: Readonly<Record<string, string>>
  readonly isRoot: boolean
}

/** What the bridge needs from a store, in printed store paths and bytes. */
interface Backend {
  isValidPath(p: StorePath): Promise<boolean>
  references(p: StorePath): Promise<StorePath[] | undefined>
  nar(p: StorePath): Promise<Uint8Array>
  addToStore(name: string, method: ContentAddressMethodWithAlgo, refs: StorePath[], dump: Uint8Array[]): Promise<StorePath>
  /** Text files, in order (references first), each with a temporary root. */
  addTexts(items: ReadonlyArray<{ name: string; references: StorePath[]; text: Uint8Array }>): Promise<StorePath[]>
  addTempRoot(p: StorePath): Promise<void>
  buildPaths(targets: DerivedPath[]): Promise<void>
  close(): Promise<void>
}

const concat = (parts: Uint8Array[]): Uint8Array => Buffer.concat(parts)

async function daemonBackend(socket: string, storeDir: StoreDir): Promise<Backend> {
  const c = await WorkerClient.connect(socket, { storeDir })
  return {
    isValidPath: p => c.isValidPath(p),
    references: async p => (await c.queryPathInfo(p))?.references.slice(),
    nar: async p => {
      const parts: Uint8Array[] = []
      await c.narFromPath(p, chunk => { parts.push(new Uint8Array(chunk)) })
      return concat(parts)
    },
    addToStore: async (name, method, refs, dump) => {
      const r = await c.addToStore(name, method, refs, dump)
      return r instanceof StorePath ? r : r.path
    },
    addTempRoot: async p => { await c.addTempRoot(p) },
    addTexts: async items => {
      const out: StorePath[] = []
      for (const it of items) {
        const r = await c.addToStore(it.name, { method: 'text', algo: 'sha256' }, it.references, [it.text])
        const p = r instanceof StorePath ? r : r.path
        await c.addTempRoot(p)
        out.push(p)
      }
      return out
    },
    buildPaths: async targets => { await c.buildPaths(targets) },
    close: async () => { c.close() },
  }
}

async function localBackend(d: StoreWorkerData, url: string): Promise<Backend> {
  const loaded = loadSettings({
    env: d.env,
    isRoot: d.isRoot,
    readFile: p => { try { return readFileSync(p, 'utf8') } catch { return undefined } },
  }, [['store', url]])
  const store = await openLocalStore({ locations: loaded.locations, settings: loaded.settings })
  const ctx: OpContext = {
    trusted: true,
    logger: nullLogger,
    clientId: `eval-${process.pid}`,
    settings: { keepFailed: false, keepGoing: false, tryFallback: false, maxBuildJobs: 1, maxSilentTime: 0, buildCores: 0, useSubstitutes: false, overrides: new Map() },
  }
  async function* chunks(parts: Uint8Array[]): AsyncGenerator<Uint8Array> { for (const p of parts) yield p }
  return {
    isValidPath: p => store.isValidPath(p),
    references: async p => (await store.queryPathInfo(p))?.references.slice(),
    nar: async p => {
      const parts: Uint8Array[] = []
      for await (const c of store.narFromPath(p)) parts.push(c)
      return concat(parts)
    },
    addToStore: async (name, method, refs, dump) => (await store.addToStore(ctx, name, method, refs, chunks(dump), false)).path,
    addTempRoot: p => store.addTempRoot(ctx, p),
    addTexts: items => store.addTextsToStore(ctx, items.map(it => ({ name: it.name, text: it.text, references: it.references }))),
    buildPaths: async targets => {
      for (const r of await store.buildPaths(ctx, targets, 'normal')) {
        if (!isSuccess(r.status)) throw new Error(r.errorMsg)
      }
    },
    close: () => store.close(),
  }
}

function socketPath(d: StoreWorkerData): string {
  return d.env['NIX_DAEMON_SOCKET_PATH'] ?? `${d.env['NIX_STATE_DIR'] ?? '/nix/var/nix'}/daemon-socket/socket`
}

async function open(d: StoreWorkerData): Promise<Backend> {
  const storeDir = new StoreDir(d.storeDir)
  const url = d.storeUrl === '' ? 'auto' : d.storeUrl
  const v = parseStoreReference(url).variant
  if (v.kind === 'daemon') return daemonBackend(socketPath(d), storeDir)
  if (v.kind === 'specified' && v.scheme === 'unix') return daemonBackend(v.authority === '' ? socketPath(d) : v.authority, storeDir)
  if (v.kind === 'auto' && existsSync(socketPath(d))) return daemonBackend(socketPath(d), storeDir)
  if (v.kind === 'auto' || v.kind === 'local' || (v.kind === 'specified' && v.scheme === 'local')) return localBackend(d, url)
  throw new Error(`don't know how to open the Nix store '${url}'`)
}

const data = (workerData as { data: StoreWorkerData }).data
const storeDir = new StoreDir(data.storeDir)
let backend: Promise<Backend> | undefined
const get = (): Promise<Backend> => (backend ??= open(data))
const sp = (p: string): StorePath => storeDir.parse(p)

const handlers: Handlers = {
  open: async () => { await get(); return true },
  isValidPath: async (p: string) => (await get()).isValidPath(sp(p)),
  references: async (p: string) => {
    const r = await (await get()).references(sp(p))
    return r === undefined ? null : r.map(x => storeDir.print(x))
  },
  /** The contents of a store path that is a regular file (a `.drv`). */
  readFile: async (p: string) => {
    const node = decodeNarTree(await (await get()).nar(sp(p)))
    if (node.kind !== 'regular') throw new Error(`'${p}' is not a regular file`)
    return node.contents
  },
  addToStore: async (name: string, method: 'text' | 'nar' | 'flat', refs: string[], dump: Uint8Array[]) => {
    const b = await get()
    const path = await b.addToStore(name, { method, algo: 'sha256' }, refs.map(sp), dump)
    await b.addTempRoot(path)
    return storeDir.print(path)
  },
  /** Texts from `BridgedEvalStore` (posted in batches; the paths were computed by the evaluator). */
  addTexts: async (items: TextToAdd[]) => {
    const added = await (await get()).addTexts(items.map(it => ({ name: it.name, references: it.references.map(sp), text: it.contents })))
    for (let i = 0; i < items.length; i++) {
      const got = storeDir.print(added[i]!)
      if (got !== items[i]!.path) throw new Error(`the store added '${got}' where the evaluator computed '${items[i]!.path}'`)
    }
    return true
  },
  buildPaths: async (targets: string[]) => { await (await get()).buildPaths(targets.map(t => parseDerivedPath(storeDir, t))) },
  close: async () => { if (backend) await (await backend).close() },
}
serveSyncCalls(workerData, handlers)

/**
 * The trust probe: run as an unprivileged user (the daemon judges the socket peer's uid), it
 * sends each restricted operation on its own connection with our WorkerClient and prints one
 * JSON object: probe name → outcome. trust.test.ts runs it against tsnix and against C++
 * nix-daemon and compares.
 *
 *   node trust-probe.js SOCKET INPUTS_DIR PROTOCOL_MINOR
 *
 * An outcome is `ok` (with a summary of the reply), `error` (the message without colours,
 * and whether the connection still serves a query afterwards) or `refused` (no handshake).
 */
import { readFileSync } from 'node:fs'
import { pathToFileURL } from 'node:url'
import { narOfFile } from '../../support/memory-store.js'
import { SecretKey, signPathInfo } from '../../../src/signing/index.js'
import { encodeNix32, makeFixedOutputPath, NixHash, type PathInfo, StoreDir, StorePath } from '../../../src/store-path/index.js'
import { WorkerClient } from '../../../src/worker-protocol/index.js'
import type { BasicDerivation } from '../../../src/derivation/index.js'

const sd = new StoreDir()
const enc = new TextEncoder()

export type Outcome =
  | { result: 'ok'; value?: unknown }
  | { result: 'error'; message: string; connection?: 'kept' | 'closed' }
  | { result: 'refused'; message: string }

/** C++ messages carry ANSI colours and the client prefixes `error: `; compare the words. */
export function plainMessage(m: string): string {
  // eslint-disable-next-line no-control-regex
  return m.replace(/\x1b\[[0-9;]*m/g, '').replace(/^error: /, '').trim()
}

interface Probe {
  name: string
  /** Only meaningful from this protocol minor on. */
  since?: number
  /** After an error, check with IsValidPath whether the connection is still in sync. */
  followUp?: boolean
  run(c: WorkerClient, logs: string[]): Promise<unknown>
}

function info(path: StorePath, nar: Uint8Array, extra: Partial<PathInfo> = {}): PathInfo {
  return { path, deriver: undefined, narHash: NixHash.of('sha256', nar), references: [], registrationTime: 0, narSize: nar.length, ultimate: false, sigs: [], ca: undefined, ...extra }
}

/** An input-addressed path (no content address), unsigned. */
function iaPath(tag: string): { info: PathInfo; nar: Uint8Array } {
  const nar = narOfFile(enc.encode(`probe ${tag}\n`))
  const path = StorePath.fromBaseName(`${encodeNix32(NixHash.of('sha256', `probe ${tag}`).digest.slice(0, 20))}-probe-${tag}`)
  return { info: info(path, nar), nar }
}

function signed(x: { info: PathInfo; nar: Uint8Array }, key: SecretKey): { info: PathInfo; nar: Uint8Array } {
  return { ...x, info: { ...x.info, sigs: [signPathInfo(sd, x.info, key)] } }
}

function caPath(tag: string): { info: PathInfo; nar: Uint8Array } {
  const nar = narOfFile(enc.encode(`content-addressed ${tag}\n`))
  const h = NixHash.of('sha256', nar)
  const path = makeFixedOutputPath(sd, `probe-ca-${tag}`, 'nar', h)
  return { info: info(path, nar, { ca: { method: 'nar', hash: h } }), nar }
}

const summary = (i: { ultimate: boolean; sigs: readonly string[] } | undefined) => i && { ultimate: i.ultimate, sigs: i.sigs.length }

export function probes(inputs: string): Probe[] {
  const key = SecretKey.parse(readFileSync(`${inputs}/key.sec`, 'utf8').trim())
  const existing = StorePath.fromBaseName(readFileSync(`${inputs}/existing-path`, 'utf8').trim().slice(sd.path.length + 1))
  const drv: BasicDerivation = {
    name: 'probe-ia', outputs: new Map([['out', { kind: 'inputAddressed', path: StorePath.fromBaseName('00000000000000000000000000000000-probe-ia') }]]),
    inputSrcs: [], platform: 'x86_64-linux', builder: '/bin/sh', args: ['-c', 'echo > $out'], env: new Map([['out', '/nix/store/00000000000000000000000000000000-probe-ia']]),
  }
  return [
    { name: 'handshake', run: async c => ({ trusted: c.trusted ?? null }) },
    { name: 'QueryPathInfo (allowed)', run: async c => summary(await c.queryPathInfo(existing)) },
    { name: 'AddToStoreNar unsigned, dontCheckSigs', followUp: true, run: c => { const x = iaPath('unsigned'); return c.addToStoreNar(x.info, x.nar, { dontCheckSigs: true }) } },
    {
      name: 'AddToStoreNar signed by a trusted key, ultimate claimed', followUp: true, run: async c => {
        const x = signed(iaPath('signed'), key)
        await c.addToStoreNar({ ...x.info, ultimate: true }, x.nar, { dontCheckSigs: false })
        return summary(await c.queryPathInfo(x.info.path))
      },
    },
    { name: 'AddToStoreNar content-addressed, unsigned', followUp: true, run: async c => { const x = caPath('nar'); await c.addToStoreNar(x.info, x.nar, {}); return summary(await c.queryPathInfo(x.info.path)) } },
    { name: 'AddToStoreNar repair of a valid signed path', followUp: true, run: async c => { const x = signed(iaPath('signed'), key); await c.addToStoreNar(x.info, x.nar, { repair: true }); return 'done' } },
    { name: 'AddMultipleToStore unsigned, dontCheckSigs', since: 32, followUp: true, run: c => { const x = iaPath('multi'); return c.addMultipleToStore([x], { dontCheckSigs: true, count: 1 }) } },
    { name: 'AddMultipleToStore signed', since: 32, followUp: true, run: async c => { const x = signed(iaPath('multi-signed'), key); await c.addMultipleToStore([x], { count: 1 }); return summary(await c.queryPathInfo(x.info.path)) } },
    { name: 'AddMultipleToStore repair', since: 32, followUp: true, run: async c => { const x = signed(iaPath('multi-signed'), key); await c.addMultipleToStore([x], { count: 1, repair: true }); return 'done' } },
    { name: 'AddToStore (op 7) with repair', since: 25, followUp: true, run: async c => { const p = await c.addToStore('probe-add', { method: 'nar', algo: 'sha256' }, [], narOfFile(enc.encode('op 7\n')), true); return p instanceof StorePath ? sd.print(p) : sd.print(p.path) } },
    { name: 'VerifyStore repair', followUp: true, run: c => c.verifyStore(false, true) },
    { name: 'VerifyStore without repair', followUp: true, run: c => c.verifyStore(false, false) },
    { name: 'BuildPaths repair', followUp: true, run: c => c.buildPaths([{ kind: 'opaque', path: existing }], 'repair') },
    { name: 'BuildPathsWithResults repair', since: 34, followUp: true, run: c => c.buildPathsWithResults([{ kind: 'opaque', path: existing }], 'repair') },
    { name: 'BuildPaths without repair (valid path)', followUp: true, run: c => c.buildPaths([{ kind: 'opaque', path: existing }], 'normal') },
    { name: 'BuildDerivation of an input-addressed derivation', followUp: true, run: c => c.buildDerivation(StorePath.fromBaseName('00000000000000000000000000000000-probe-ia.drv'), drv) },
    {
      name: 'SetOptions with restricted settings', followUp: true, run: async (c, logs) => {
        const overrides = new Map([
          ['sandbox', 'false'], ['timeout', '9'], ['max-silent-time', '3'], ['builders', ''], ['build-poll-interval', '2'],
          ['connect-timeout', '4'], ['substituters', 'https://cache.example.org'], ['post-build-hook', '/bin/true'], ['repeat', '1'],
          ['allowed-uris', 'https://x'],
        ])
        await c.setOptions({ overrides })
        return logs.slice().sort()
      },
    },
    { name: 'AddBuildLog', since: 32, run: c => c.addBuildLog(StorePath.fromBaseName('00000000000000000000000000000000-probe.drv'), enc.encode('a log\n')) },
    { name: 'AddPermRoot', since: 36, followUp: true, run: c => c.addPermRoot(existing, `${inputs}/perm-root`) },
    { name: 'AddSignatures', followUp: true, run: async c => { await c.addSignatures(existing, [signPathInfo(sd, { ...(await c.queryPathInfo(existing))!, path: existing }, key)]); return summary(await c.queryPathInfo(existing)) } },
    {
      name: 'FindRoots (censored)', followUp: true, run: async c => {
        await c.addTempRoot(existing)
        return (await c.findRoots()).map(r => `${r.link} -> ${sd.print(r.target)}`).sort()
      },
    },
    { name: 'CollectGarbage ignoreLiveness', followUp: true, run: c => c.collectGarbage({ action: 'returnDead', pathsToDelete: { kind: 'specific', paths: [], deleteReferrers: false }, ignoreLiveness: true, maxFreed: 0xffff_ffff_ffff_ffffn }) },
    { name: 'CollectGarbage ReturnDead (allowed)', followUp: true, run: async c => (await c.collectGarbage({ action: 'returnDead', pathsToDelete: { kind: 'specific', paths: [], deleteReferrers: false }, ignoreLiveness: false, maxFreed: 0xffff_ffff_ffff_ffffn })).paths.length > 0 },
  ]
}

async function runProbe(p: Probe, socket: string, minor: number): Promise<Outcome> {
  const logs: string[] = []
  let c: WorkerClient
  try {
    c = await WorkerClient.connect(socket, { protocolVersion: 0x100 | minor, onLog: f => { if (f.kind === 'next') logs.push(plainMessage(f.message)) } })
  } catch (e) {
    return { result: 'refused', message: plainMessage((e as Error).message) }
  }
  try {
    const value = await withTimeout(p.run(c, logs), 20_000)
    return { result: 'ok', ...(value !== undefined ? { value } : {}) }
  } catch (e) {
    const out: Outcome = { result: 'error', message: plainMessage((e as Error).message) }
    if (p.followUp) {
      try { await withTimeout(c.isValidPath(StorePath.fromBaseName('00000000000000000000000000000000-x')), 5000); out.connection = 'kept' } catch { out.connection = 'closed' }
    }
    return out
  } finally {
    c.close()
  }
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms)
    p.then(v => { clearTimeout(t); resolve(v) }, e => { clearTimeout(t); reject(e) })
  })
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const [socket, inputs, minorArg] = process.argv.slice(2)
  const minor = Number(minorArg ?? '38')
  const out: Record<string, Outcome> = {}
  for (const p of probes(inputs!)) if (!p.since || minor >= p.since) out[p.name] = await runProbe(p, socket!, minor)
  process.stdout.write(JSON.stringify(out, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)))
}

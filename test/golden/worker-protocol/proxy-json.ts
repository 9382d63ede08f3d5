/**
 * Our transcript records rendered in the JSON shape of `shared/tools/wire-proxy/nixwire.py`
 * (the `ops.jsonl` beside every capture), so a capture's decoding by our codecs can be compared
 * with the independent Python decoder's, field by field.
 */
import {
  type BuildResult, type DerivedPath, type PathInfo, printContentAddress, printContentAddressMethodWithAlgo, printDerivedPath, printDrvOutput,
  type StoreDir, type UnkeyedPathInfo,
} from '../../../src/store-path/index.js'
import {
  ACTIVITY_TYPE_NAMES, BUILD_STATUS_NAMES, formatProtocolVersion, type HandshakeRecord, type LoggerField, type OpRecord, realisationToJson,
  RESULT_TYPE_NAMES, type StderrFrame, type WireError, writeBasicDerivation, codecContext,
} from '../../../src/worker-protocol/index.js'
import { WireReader, WireWriter } from '../../../src/wire/index.js'
const n = (b: boolean): number => (b ? 1 : 0)

function field(f: LoggerField): unknown { return typeof f === 'bigint' ? Number(f) : f }

export function stderrJson(frames: readonly StderrFrame[]): unknown[] {
  return frames.map(f => {
    switch (f.kind) {
      case 'next': return { k: 'NEXT', msg: f.message }
      case 'read': return { k: 'READ', want: f.length }
      case 'write': return { k: 'WRITE', len: f.data.length }
      case 'startActivity': return { k: 'START', id: Number(f.id), lvl: f.level, type: ACTIVITY_TYPE_NAMES[f.type] ?? f.type, text: f.text, fields: f.fields.map(field), parent: Number(f.parent) }
      case 'stopActivity': return { k: 'STOP', id: Number(f.id) }
      case 'result': return { k: 'RESULT', id: Number(f.id), type: RESULT_TYPE_NAMES[f.type] ?? f.type, fields: f.fields.map(field) }
      default: return { k: f.kind }
    }
  })
}

export function errorJson(e: WireError, version: number): unknown {
  if (version < 0x11a) return { msg: e.message, status: e.exitStatus }
  return { type: 'Error', level: e.level, name: 'Error', msg: e.message, havePos: 0, traces: [...e.traces] }
}

export function handshakeJson(h: HandshakeRecord): Record<string, unknown> {
  const o: Record<string, unknown> = {
    kind: 'handshake',
    clientVersion: formatProtocolVersion(h.clientVersion),
    daemonVersion: formatProtocolVersion(h.daemonVersion),
    negotiated: formatProtocolVersion(h.negotiated),
  }
  if (h.clientFeatures) Object.assign(o, { clientFeatures: h.clientFeatures, daemonFeatures: h.daemonFeatures, features: [...h.features].sort() })
  if (h.negotiated >= 0x10e) {
    o['cpuAffinityFlag'] = n(h.options.cpuAffinity !== undefined)
    if (h.options.cpuAffinity !== undefined) o['cpuAffinity'] = h.options.cpuAffinity
  }
  if (h.negotiated >= 0x10b) o['reserveSpace'] = n(h.options.reserveSpace)
  if (h.negotiated >= 0x121) o['daemonNixVersion'] = h.info.daemonNixVersion
  if (h.negotiated >= 0x123) o['trusted'] = h.info.remoteTrustsUs === undefined ? 'unknown' : h.info.remoteTrustsUs === 'Trusted' ? 'trusted' : 'not-trusted'
  o['stderr'] = stderrJson(h.stderr)
  if (h.error) o['error'] = errorJson(h.error, h.negotiated)
  o['c2dEnd'] = h.c2dEnd
  o['d2cEnd'] = h.d2cEnd
  return o
}

function unkeyed(i: UnkeyedPathInfo, sd: StoreDir, v16 = true): Record<string, unknown> {
  const o: Record<string, unknown> = {
    deriver: i.deriver ? sd.print(i.deriver) : '',
    narHash: i.narHash.toBase16(),
    references: i.references.map(p => sd.print(p)),
    registrationTime: i.registrationTime,
    narSize: i.narSize,
  }
  if (v16) Object.assign(o, { ultimate: n(i.ultimate), sigs: [...i.sigs], ca: i.ca ? printContentAddress(i.ca) : '' })
  return o
}
const keyed = (i: PathInfo, sd: StoreDir, v16 = true): Record<string, unknown> => ({ path: sd.print(i.path), ...unkeyed(i, sd, v16) })


function buildResultJson(r: BuildResult, version: number): Record<string, unknown> {
  const o: Record<string, unknown> = { status: BUILD_STATUS_NAMES[r.status], errorMsg: r.errorMsg }
  if (version >= 0x11d) Object.assign(o, { timesBuilt: r.timesBuilt, isNonDeterministic: n(r.isNonDeterministic), startTime: r.startTime, stopTime: r.stopTime })
  if (version >= 0x125) Object.assign(o, { cpuUser: r.cpuUser ?? null, cpuSystem: r.cpuSystem ?? null })
  if (version >= 0x11c) {
    const bo: Record<string, string> = {}
    for (const out of r.builtOutputs.values()) bo[printDrvOutput(out.id)] = realisationToJson(out)
    o['builtOutputs'] = bo
  }
  return o
}

type AnyReq = Record<string, any> // eslint-disable-line @typescript-eslint/no-explicit-any

export function requestJson(rec: OpRecord, version: number, sd: StoreDir): Record<string, unknown> {
  const q = rec.request as AnyReq
  const dp = (ps: readonly DerivedPath[]) => ps.map(p => derivedPathToStringAt(p, version, sd))
  const path = (p: { baseName: string } | undefined) => (p ? sd.print(p as never) : '')
  const up = rec.upload
  switch (rec.name) {
    case 'SetOptions': {
      const s = q
      return {
        settings: {
          keepFailed: n(s['keepFailed']), keepGoing: n(s['keepGoing']), tryFallback: n(s['tryFallback']), verbosity: s['verbosity'],
          maxBuildJobs: s['maxBuildJobs'], maxSilentTime: s['maxSilentTime'], 'useBuildHook(obsolete)': n(s['useBuildHook']),
          verboseBuild: s['verboseBuild'] ? 0 : 7, 'logType(obsolete)': s['logType'], 'printBuildTrace(obsolete)': s['printBuildTrace'],
          buildCores: s['buildCores'], useSubstitutes: n(s['useSubstitutes']),
        },
        overrides: Object.fromEntries(s['overrides']),
      }
    }
    case 'AddToStore':
      if (q['kind'] === 'ca') {
        const f = up as { frames: number; bytes: number; payload: Uint8Array }
        const head = new TextDecoder().decode(f.payload.subarray(8, 21))
        return { name: q['name'], camStr: printContentAddressMethodWithAlgo(q['method']), refs: q['references'].map(path), repair: n(q['repair']), dump: { framed: true, frames: f.frames, bytes: f.bytes, isNar: head === 'nix-archive-1' } }
      }
      return { baseName: q['name'], fixed: n(q['fixed']), recursive: q['recursive'], hashAlgo: q['hashAlgo'] }
    case 'BuildPaths': case 'BuildPathsWithResults':
      return { paths: dp(q['paths']), buildMode: ['normal', 'repair', 'check'].indexOf(q['mode']) }
    case 'QueryMissing': return { targets: dp(q['targets']) }
    case 'CollectGarbage': {
      const p = q['pathsToDelete']
      return {
        action: (q['action'] as string)[0]!.toUpperCase() + (q['action'] as string).slice(1), pathsToDelete: p.kind === 'specific' ? p.paths.map(path) : 'WholeStore',
        ignoreLiveness: n(q['ignoreLiveness']), maxFreed: Number(q['maxFreed']), obsolete: [0, 0, 0],
      }
    }
    case 'QueryValidPaths': return version >= 0x11b ? { paths: q['paths'].map(path), substitute: n(q['substitute']) } : { paths: q['paths'].map(path) }
    case 'QuerySubstitutablePaths': return { paths: q['paths'].map(path) }
    case 'VerifyStore': return { checkContents: n(q['checkContents']), repair: n(q['repair']) }
    case 'AddToStoreNar': {
      const f = up as { frames: number; bytes: number }
      return { info: keyed(q['info'], sd), repair: n(q['repair']), dontCheckSigs: n(q['dontCheckSigs']), nar: { framed: true, frames: f.frames, bytes: f.bytes } }
    }
    case 'AddMultipleToStore': {
      const f = up as { frames: number; bytes: number }
      return {
        repair: n(q['repair']), dontCheckSigs: n(q['dontCheckSigs']), count: rec.items!.length,
        items: rec.items!.map(({ info, nar }) => ({ path: sd.print(info.path), narSize: info.narSize, refs: info.references.length, ca: info.ca ? printContentAddress(info.ca) : '', deriver: path(info.deriver), narStats: nar.stats })),
        frames: f.frames, bytes: f.bytes,
      }
    }
    case 'AddBuildLog': return { drvBaseName: q['drvPath'].baseName, logBytes: (up as { bytes: number }).bytes }
    case 'BuildDerivation': {
      const d = q['drv']
      const triple = (name: string, o: AnyReq) => {
        const w = new WireWriter()
        writeBasicDerivation(w, codecContext({ version }), { ...d, outputs: new Map([[name, o]]), inputSrcs: [], args: [], env: new Map(), structuredAttrs: undefined })
        const r = new WireReader(w.finish())
        r.u64(); r.string()
        return { path: r.string(), hashAlgo: r.string(), hash: r.string() }
      }
      return {
        drvPath: path(q['drvPath']),
        drv: {
          outputs: Object.fromEntries([...d.outputs].map(([k, o]: [string, AnyReq]) => [k, triple(k, o)])),
          inputSrcs: d.inputSrcs.map(path), platform: d.platform, builder: d.builder, args: d.args, env: Object.fromEntries(d.env),
        },
        buildMode: ['normal', 'repair', 'check'].indexOf(q['mode']),
      }
    }
    case 'QueryRealisation': return { drvOutput: printDrvOutput(q['id']) }
    default:
      if ('path' in q) return { path: typeof q['path'] === 'string' ? q['path'] : path(q['path']) }
      return {}
  }
}

function derivedPathToStringAt(p: DerivedPath, version: number, sd: StoreDir): string {
  if (version < 0x11e && p.kind === 'built' && p.outputs.kind === 'all') return sd.print(p.drvPath)
  return printDerivedPath(sd, p)
}

export function replyJson(rec: OpRecord, version: number, sd: StoreDir): Record<string, unknown> {
  const v = rec.reply as AnyReq
  const path = (p: { baseName: string } | undefined) => (p ? sd.print(p as never) : '')
  switch (rec.name) {
    case 'IsValidPath': case 'HasSubstitutes': return { result: n(rec.reply as boolean) }
    case 'VerifyStore': return { errors: n(rec.reply as boolean) }
    case 'QueryReferrers': case 'QueryValidPaths': case 'QuerySubstitutablePaths': case 'QueryAllValidPaths': case 'QueryDerivationOutputs': case 'QueryValidDerivers':
      return { paths: (rec.reply as []).map(path) }
    case 'AddToStore': return v['kind'] === 'info' ? { info: keyed(v['info'], sd) } : { path: path(v['path']) }
    case 'QueryPathInfo': return version >= 0x111 ? (v ? { valid: 1, info: unkeyed(v as never, sd, version >= 0x110) } : { valid: 0 }) : { info: unkeyed(v as never, sd, version >= 0x110) }
    case 'EnsurePath': case 'AddTempRoot': case 'AddIndirectRoot': case 'BuildPaths': case 'OptimiseStore': case 'AddSignatures': case 'AddBuildLog': case 'SyncWithGC':
      return { ack: 1 }
    case 'CollectGarbage': return { paths: [...v['paths']], bytesFreed: Number(v['bytesFreed']), obsolete: 0 }
    case 'QueryMissing': return { willBuild: v['willBuild'].map(path), willSubstitute: v['willSubstitute'].map(path), unknown: v['unknown'].map(path), downloadSize: Number(v['downloadSize']), narSize: Number(v['narSize']) }
    case 'QueryDerivationOutputMap': return { outputs: Object.fromEntries([...(rec.reply as Map<string, never>)].map(([k, p]) => [k, path(p)])) }
    case 'BuildPathsWithResults': return { results: (rec.reply as AnyReq[]).map(r => ({ path: derivedPathToStringAt(r['path'], version, sd), result: buildResultJson(r as never, version) })) }
    case 'BuildDerivation': return { buildResult: buildResultJson(v as never, version) }
    case 'NarFromPath': return { nar: rec.download!.stats, narBytes: rec.download!.bytes }
    case 'QueryRealisation': return v['kind'] === 'realisations' ? { realisationsJSON: v['realisations'].map((r: never) => realisationToJson(r)) } : { outPaths: v['paths'].map(path) }
    default: return {}
  }
}

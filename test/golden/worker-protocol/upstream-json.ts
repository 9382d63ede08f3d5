/**
 * Our decoded values rendered as upstream's characterisation-test JSON (the `.json` beside each
 * `.bin` in NixOS/nix src/libstore-tests/data), so the two can be compared. Two dialects:
 * tag 2.34.8 and master (path info `version` 3, signatures as `{keyName, sig}` objects).
 */
import {
  type BuildResult, type ContentAddress, type DerivedPath, isSuccess, type KeyedBuildResult, type PathInfo, printDrvOutput, type Realisation,
  type StorePath, type UnkeyedPathInfo,
} from '../../../src/store-path/index.js'
import {
  BUILD_STATUS_NAMES, type DrvOutputByPath, type KeyedRealisation, type UnkeyedRealisation, ZERO_DRV_HASH,
} from '../../../src/worker-protocol/index.js'

export type Dialect = '2.34' | 'master'

export function sig(s: string, d: Dialect): unknown {
  if (d === '2.34') return s
  const i = s.indexOf(':')
  return { keyName: s.slice(0, i), sig: s.slice(i + 1) }
}

export function storePath(p: StorePath | undefined): string | null { return p === undefined ? null : p.baseName }

export function contentAddress(ca: ContentAddress | undefined): unknown {
  return ca === undefined ? null : { hash: ca.hash.toSRI(), method: ca.method }
}

export function derivedPath(p: DerivedPath): unknown {
  if (p.kind === 'opaque') return p.path.baseName
  return { drvPath: p.drvPath.baseName, outputs: p.outputs.kind === 'all' ? ['*'] : [...p.outputs.names] }
}

export function realisation(r: Realisation, d: Dialect): unknown {
  return {
    dependentRealisations: Object.fromEntries([...r.dependentRealisations].map(([k, v]) => [k, v.baseName])),
    id: printDrvOutput(r.id),
    outPath: r.outPath.baseName,
    signatures: r.signatures.map(s => sig(s, d)),
  }
}

export function unkeyedRealisation(r: UnkeyedRealisation, d: Dialect): unknown {
  return { outPath: r.outPath.baseName, signatures: r.signatures.map(s => sig(s, d)) }
}

export function drvOutputByPath(o: DrvOutputByPath): unknown { return { drvPath: o.drvPath.baseName, outputName: o.outputName } }

export function keyedRealisation(r: KeyedRealisation, d: Dialect): unknown {
  return { key: drvOutputByPath(r.key), value: unkeyedRealisation(r.value, d) }
}

function builtOutput(o: Realisation, d: Dialect): unknown {
  // 2.34 keeps the whole realisation (with its id); master keeps only the unkeyed part (its
  // wire form for old clients carries a zero hash).
  if (o.id.drvHash === ZERO_DRV_HASH) return unkeyedRealisation(o, d)
  return realisation(o, d)
}

export function buildResult(r: BuildResult, d: Dialect): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  if (isSuccess(r.status)) {
    out['builtOutputs'] = Object.fromEntries([...r.builtOutputs].map(([k, v]) => [k, builtOutput(v, d)]))
  } else {
    out['errorMsg'] = r.errorMsg
    out['isNonDeterministic'] = r.isNonDeterministic
  }
  if (r.cpuSystem !== undefined) out['cpuSystem'] = r.cpuSystem
  if (r.cpuUser !== undefined) out['cpuUser'] = r.cpuUser
  Object.assign(out, { startTime: r.startTime, status: BUILD_STATUS_NAMES[r.status], stopTime: r.stopTime, success: isSuccess(r.status), timesBuilt: r.timesBuilt })
  return out
}

export function keyedBuildResult(r: KeyedBuildResult, d: Dialect): unknown {
  return { ...buildResult(r, d), path: derivedPath(r.path) }
}

export function unkeyedPathInfo(i: UnkeyedPathInfo, d: Dialect): Record<string, unknown> {
  return {
    ca: contentAddress(i.ca),
    deriver: storePath(i.deriver),
    narHash: i.narHash.toSRI(),
    narSize: i.narSize,
    references: i.references.map(p => p.baseName),
    registrationTime: i.registrationTime,
    signatures: i.sigs.map(s => sig(s, d)),
    storeDir: '/nix/store',
    ultimate: i.ultimate,
    version: d === '2.34' ? 2 : 3,
  }
}

export function pathInfo(i: PathInfo, d: Dialect): unknown {
  return { ...unkeyedPathInfo(i, d), path: i.path.baseName }
}

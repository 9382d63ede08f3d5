/**
 * The JSON forms of path info and narinfo in Nix 2.34 (C++ `UnkeyedValidPathInfo::toJSON` /
 * `fromJSON`, `UnkeyedNarInfo::toJSON` / `fromJSON`; `nix path-info --json --json-format N`):
 *
 *   version 1: narHash SRI, references and deriver as full paths, ca as a string
 *   version 2: narHash SRI, references and deriver as base names, ca as {hash, method}
 *
 * Both carry `storeDir` (optional in version 1, where it comes from the caller). "Impure" fields
 * (deriver, registrationTime, ultimate, signatures, and the narinfo download fields) are printed
 * only on request. Objects are built with keys in sorted order, as nlohmann::json prints them.
 */
import {
  type ContentAddress, contentAddressFromJSON, contentAddressToJSON, NixHash, parseContentAddress, printContentAddress, sortedReferences,
  StoreDir, StorePath, type UnkeyedPathInfo,
} from '../store-path/index.js'
import { BadPathInfoJsonError } from './errors.js'
import type { NarInfo } from './narinfo.js'

export type PathInfoJsonVersion = 1 | 2

export interface PathInfoJsonOptions {
  version: PathInfoJsonVersion
  /** Include deriver, registrationTime, ultimate and signatures (and narinfo download fields). */
  includeImpureInfo: boolean
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json }

/** Order keys as nlohmann::json (std::map) prints them. */
function sorted(o: Record<string, Json>): { [k: string]: Json } {
  const out: { [k: string]: Json } = {}
  for (const k of Object.keys(o).sort()) out[k] = o[k]!
  return out
}

/** Path info (without its own path) as JSON. */
export function pathInfoToJSON(info: UnkeyedPathInfo, storeDir: StoreDir, opts: PathInfoJsonOptions): { [k: string]: Json } {
  const v1 = opts.version === 1
  const o: Record<string, Json> = {
    version: opts.version,
    storeDir: storeDir.path,
    narHash: info.narHash.toSRI(),
    narSize: info.narSize,
    references: sortedReferences(info.references).map(r => (v1 ? storeDir.print(r) : r.baseName)),
    ca: info.ca ? (v1 ? printContentAddress(info.ca) : contentAddressToJSON(info.ca)) : null,
  }
  if (opts.includeImpureInfo) {
    o['deriver'] = info.deriver ? (v1 ? storeDir.print(info.deriver) : info.deriver.baseName) : null
    o['registrationTime'] = info.registrationTime ? info.registrationTime : null
    o['ultimate'] = info.ultimate
    o['signatures'] = [...new Set(info.sigs)].sort()
  }
  return sorted(o)
}

/** Narinfo as JSON: path info plus url, compression, downloadHash, downloadSize when set. */
export function narInfoToJSON(info: Omit<NarInfo, 'path'>, storeDir: StoreDir, opts: PathInfoJsonOptions): { [k: string]: Json } {
  const o: Record<string, Json> = pathInfoToJSON(info, storeDir, opts)
  if (opts.includeImpureInfo) {
    if (info.url !== '') o['url'] = info.url
    if (info.compression !== '') o['compression'] = info.compression
    if (info.fileHash) o['downloadHash'] = info.fileHash.toSRI()
    if (info.fileSize) o['downloadSize'] = info.fileSize
  }
  return sorted(o)
}

function describe(j: unknown): string {
  const s = JSON.stringify(j) ?? String(j)
  return s.length > 80 ? s.slice(0, 80) + '…' : s
}

function typeName(j: unknown): string {
  return j === null ? 'null' : Array.isArray(j) ? 'array' : typeof j === 'number' ? 'number' : typeof j
}

function expect<T>(j: unknown, type: string, ok: (j: unknown) => j is T): T {
  if (!ok(j)) throw new BadPathInfoJsonError(`Expected JSON value to be of type '${type}' but it is of type '${typeName(j)}': ${describe(j)}`)
  return j
}
const isObject = (j: unknown): j is Record<string, unknown> => typeof j === 'object' && j !== null && !Array.isArray(j)
const isString = (j: unknown): j is string => typeof j === 'string'
const isArray = (j: unknown): j is unknown[] => Array.isArray(j)
const isBool = (j: unknown): j is boolean => typeof j === 'boolean'
const isUnsigned = (j: unknown): j is number => typeof j === 'number' && Number.isSafeInteger(j) && j >= 0
const isInteger = (j: unknown): j is number => typeof j === 'number' && Number.isSafeInteger(j)

function valueAt(o: Record<string, unknown>, key: string): unknown {
  if (!(key in o)) throw new BadPathInfoJsonError(`Expected JSON object to contain key '${key}' but it doesn't: ${describe(o)}`)
  return o[key]
}

function withTrace<T>(key: string, f: () => T): T {
  try { return f() } catch (e) {
    if (e instanceof Error) e.message = `${e.message} (while reading key '${key}')`
    throw e
  }
}

export interface ParsedPathInfoJson {
  info: UnkeyedPathInfo
  /** The store directory the JSON names (or the caller's, for version 1 without one). */
  storeDir: StoreDir
  version: PathInfoJsonVersion
}

/**
 * Parse path-info JSON of version 1 or 2 (no `version` means 1). `storeDir` is needed for
 * version 1 JSON that lacks its own `storeDir`.
 */
export function pathInfoFromJSON(json: unknown, storeDir?: StoreDir): ParsedPathInfoJson {
  const o = expect(json, 'object', isObject)
  let version: PathInfoJsonVersion = 1
  if ('version' in o) {
    const v = expect(o['version'], 'unsigned integer', isUnsigned)
    if (v !== 1 && v !== 2) throw new BadPathInfoJsonError(`unsupported path info JSON format version ${v}; supported versions are 1 and 2`)
    version = v
  }
  const v1 = version === 1
  let dir: StoreDir
  if ('storeDir' in o) dir = new StoreDir(expect(o['storeDir'], 'string', isString))
  else if (v1 && storeDir) dir = storeDir
  else if (v1) throw new BadPathInfoJsonError("'storeDir' field is needed to read path info JSON format version 1 without a store")
  else throw new BadPathInfoJsonError("'storeDir' field is required in path info JSON format version 2")

  const path = (j: unknown): StorePath => {
    const s = expect(j, 'string', isString)
    return v1 ? dir.parse(s) : StorePath.fromBaseName(s)
  }
  const narHash = NixHash.parseSRI(expect(valueAt(o, 'narHash'), 'string', isString))
  const narSize = expect(valueAt(o, 'narSize'), 'unsigned integer', isUnsigned)
  const references = withTrace('references', () => sortedReferences(expect(valueAt(o, 'references'), 'array', isArray).map(path)))
  const ca = withTrace('ca', (): ContentAddress | undefined => {
    const raw = valueAt(o, 'ca')
    if (raw === null) return undefined
    return v1 ? parseContentAddress(expect(raw, 'string', isString)) : contentAddressFromJSON(raw)
  })
  const deriver = o['deriver'] === undefined || o['deriver'] === null ? undefined : path(o['deriver'])
  const registrationTime = o['registrationTime'] === undefined || o['registrationTime'] === null ? 0 : expect(o['registrationTime'], 'integer', isInteger)
  const ultimate = o['ultimate'] === undefined ? false : expect(o['ultimate'], 'boolean', isBool)
  const sigs = o['signatures'] === undefined ? [] : expect(o['signatures'], 'array', isArray).map(s => expect(s, 'string', isString))
  return {
    info: { deriver, narHash, references, registrationTime, narSize, ultimate, sigs: [...new Set(sigs)].sort(), ca },
    storeDir: dir,
    version,
  }
}

/** Parse narinfo JSON: path info plus the optional url, compression, downloadHash, downloadSize. */
export function narInfoFromJSON(json: unknown, storeDir?: StoreDir): ParsedPathInfoJson & { info: Omit<NarInfo, 'path'> } {
  const base = pathInfoFromJSON(json, storeDir)
  const o = json as Record<string, unknown>
  const info: Omit<NarInfo, 'path'> = {
    ...base.info,
    url: o['url'] === undefined ? '' : expect(o['url'], 'string', isString),
    compression: o['compression'] === undefined ? '' : expect(o['compression'], 'string', isString),
    fileHash: o['downloadHash'] === undefined ? undefined : NixHash.fromJSON(o['downloadHash']),
    fileSize: o['downloadSize'] === undefined ? 0 : expect(o['downloadSize'], 'unsigned integer', isUnsigned),
  }
  return { ...base, info }
}

/** Attach a path to unkeyed info. */
export function withPath<T extends object>(path: StorePath, info: T): T & { path: StorePath } {
  return { ...info, path }
}


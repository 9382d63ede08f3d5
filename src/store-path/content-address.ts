/**
 * Content addresses (C++ `ContentAddress`, `ContentAddressMethod`; libstore/content-address.cc):
 *
 *   text:sha256:<nix32>       text method (`.drv` files, `builtins.toFile`)
 *   fixed:<algo>:<nix32>      flat file hash
 *   fixed:r:<algo>:<nix32>    NAR (recursive) hash
 *   fixed:git:<algo>:<nix32>  git tree/blob hash (experimental in Nix)
 *
 * the method-with-algorithm strings of AddToStore (`text:sha256`, `fixed:r:sha256` …), the
 * legacy prefixes of derivation outputs (`r:sha256`, `git:sha1`, `text:sha256`), and the
 * JSON forms of Nix 2.34 (`{"hash": "<SRI>", "method": "nar"}`).
 */
import { BadContentAddressError } from './errors.js'
import { type HashAlgo, NixHash, parseHashAlgo } from './hash.js'
import { fileIngestionPrefix, makeFixedOutputPath, makeTextPath } from './make-store-path.js'
import type { StoreDir, StorePath } from './store-path.js'

export type ContentAddressMethod = 'text' | 'flat' | 'nar' | 'git'

export interface ContentAddress {
  readonly method: ContentAddressMethod
  readonly hash: NixHash
}

/** A method with its algorithm, as AddToStore sends it (`camStr`) and derivations declare it. */
export interface ContentAddressMethodWithAlgo {
  readonly method: ContentAddressMethod
  readonly algo: HashAlgo
}

/** `text`, `flat`, `nar` or `git`, the JSON names (C++ `ContentAddressMethod::parse`). */
export function parseContentAddressMethod(s: string): ContentAddressMethod {
  if (s === 'text' || s === 'flat' || s === 'nar' || s === 'git') return s
  throw new BadContentAddressError(`Unknown file ingestion method '${s}', expect \`flat\`, \`nar\`, or \`git\``)
}

/**
 * Strip a legacy method prefix (`r:`, `git:`, `text:`, or none for flat) from e.g. a derivation
 * output's `hashAlgo` field (C++ `ContentAddressMethod::parsePrefix`).
 */
export function parseMethodPrefix(s: string): { method: ContentAddressMethod; rest: string } {
  if (s.startsWith('r:')) return { method: 'nar', rest: s.slice(2) }
  if (s.startsWith('git:')) return { method: 'git', rest: s.slice(4) }
  if (s.startsWith('text:')) return { method: 'text', rest: s.slice(5) }
  return { method: 'flat', rest: s }
}

/** The legacy prefix: `text:`, ``, `r:` or `git:` (C++ `ContentAddressMethod::renderPrefix`). */
export function renderMethodPrefix(method: ContentAddressMethod): string {
  return method === 'text' ? 'text:' : fileIngestionPrefix(method)
}

/** Legacy `r:sha256`-style method and algorithm, as derivation outputs carry it (C++ `printMethodAlgo`). */
export function printMethodAlgo(m: ContentAddressMethodWithAlgo): string {
  return renderMethodPrefix(m.method) + m.algo
}

/** `text:` or `fixed:<prefix>` (C++ `renderPrefixModern`). */
function modernPrefix(method: ContentAddressMethod): string {
  return method === 'text' ? 'text:' : 'fixed:' + fileIngestionPrefix(method)
}

/** Parse `text:<algo>:…` / `fixed:[r:|git:]<algo>:…` up to the digest (C++ `parseContentAddressMethodPrefix`). */
function parseModernPrefix(whole: string): { method: ContentAddressMethod; algo: HashAlgo; rest: string } {
  const colon = whole.indexOf(':')
  if (colon < 0) throw new BadContentAddressError(`not a content address because it is not in the form '<prefix>:<rest>': ${whole}`)
  const prefix = whole.slice(0, colon)
  let rest = whole.slice(colon + 1)
  let method: ContentAddressMethod
  if (prefix === 'text') method = 'text'
  else if (prefix === 'fixed') {
    method = 'flat'
    if (rest.startsWith('r:')) { method = 'nar'; rest = rest.slice(2) } else if (rest.startsWith('git:')) { method = 'git'; rest = rest.slice(4) }
  } else throw new BadContentAddressError(`content address prefix '${prefix}' is unrecognized. Recogonized prefixes are 'text' or 'fixed'`)
  const c = rest.indexOf(':')
  if (c < 0) throw new BadContentAddressError(`content address hash must be in form '<algo>:<hash>', but found: ${whole}`)
  return { method, algo: parseHashAlgo(rest.slice(0, c)), rest: rest.slice(c + 1) }
}

/** Parse `text:sha256:…` / `fixed:[r:|git:]algo:…` (C++ `ContentAddress::parse`). */
export function parseContentAddress(s: string): ContentAddress {
  const { method, algo, rest } = parseModernPrefix(s)
  return { method, hash: NixHash.parseDigest(rest, algo) }
}

/** An empty string is "no content address" (C++ `ContentAddress::parseOpt`, used by narinfo and the wire). */
export function parseContentAddressOpt(s: string): ContentAddress | undefined {
  return s === '' ? undefined : parseContentAddress(s)
}

/** `fixed:r:sha256:<nix32>` etc. (C++ `ContentAddress::render`). */
export function printContentAddress(ca: ContentAddress): string {
  return modernPrefix(ca.method) + ca.hash.format('nix32', true)
}

/** Parse `text:sha256`, `fixed:r:sha256`, `fixed:sha1` … (C++ `ContentAddressMethod::parseWithAlgo`). */
export function parseContentAddressMethodWithAlgo(s: string): ContentAddressMethodWithAlgo {
  const { method, algo } = parseModernPrefix(s + ':')
  return { method, algo }
}

/** `fixed:r:sha256` etc. (C++ `ContentAddressMethod::renderWithAlgo`). */
export function printContentAddressMethodWithAlgo(m: ContentAddressMethodWithAlgo): string {
  return modernPrefix(m.method) + m.algo
}

export function contentAddressEquals(a: ContentAddress, b: ContentAddress): boolean {
  return a.method === b.method && a.hash.equals(b.hash)
}

/** Nix 2.34 JSON: `{"hash": "<SRI>", "method": "text" | "flat" | "nar" | "git"}` (keys sorted as nlohmann prints them). */
export function contentAddressToJSON(ca: ContentAddress): { hash: string; method: ContentAddressMethod } {
  return { hash: ca.hash.toSRI(), method: ca.method }
}

export function contentAddressFromJSON(j: unknown): ContentAddress {
  if (typeof j !== 'object' || j === null || Array.isArray(j)) throw new BadContentAddressError(`expected a content address object, got ${JSON.stringify(j)?.slice(0, 80)}`)
  const o = j as Record<string, unknown>
  if (!('method' in o)) throw new BadContentAddressError(`Expected JSON object to contain key 'method' but it doesn't: ${JSON.stringify(j).slice(0, 80)}`)
  if (!('hash' in o)) throw new BadContentAddressError(`Expected JSON object to contain key 'hash' but it doesn't: ${JSON.stringify(j).slice(0, 80)}`)
  if (typeof o['method'] !== 'string') throw new BadContentAddressError(`expected content address method to be a string, got ${JSON.stringify(o['method'])}`)
  return { method: parseContentAddressMethod(o['method']), hash: NixHash.fromJSON(o['hash']) }
}

/**
 * The store path a content-addressed object gets (C++ `makeFixedOutputPathFromCA` after
 * `ContentAddressWithReferences::fromParts`). Text paths may have references but no
 * self-reference; flat and git paths have neither; NAR SHA-256 paths may have both.
 */
export function storePathForContentAddress(
  storeDir: StoreDir,
  name: string,
  ca: ContentAddress,
  references: Iterable<StorePath> = [],
  hasSelfReference = false,
): StorePath {
  if (ca.method === 'text') {
    if (hasSelfReference) throw new BadContentAddressError('self-reference not allowed with text hashing')
    return makeTextPath(storeDir, name, ca.hash, references)
  }
  return makeFixedOutputPath(storeDir, name, ca.method, ca.hash, references, hasSelfReference)
}

/**
 * Content addresses (C++ `ContentAddress`, `ContentAddressMethod`):
 *
 *   text:sha256:<nix32>       text method (`.drv` files, `builtins.toFile`)
 *   fixed:<algo>:<nix32>      flat file hash
 *   fixed:r:<algo>:<nix32>    NAR (recursive) hash
 *   fixed:git:<algo>:<nix32>  git tree/blob hash (experimental in Nix)
 *
 * and the method-with-algorithm strings of AddToStore (`text:sha256`, `fixed:r:sha256` …).
 */
import { BadHashError } from './errors.js'
import { NixError } from '../errors.js'
import { type HashAlgo, NixHash, parseHashAlgo } from './hash.js'
import { makeFixedOutputPath, makeTextPath } from './make-store-path.js'
import type { StoreDir, StorePath } from './store-path.js'

export type ContentAddressMethod = 'text' | 'flat' | 'nar' | 'git'

export interface ContentAddress {
  readonly method: ContentAddressMethod
  readonly hash: NixHash
}

export class BadContentAddressError extends NixError {
  constructor(message: string) { super('ERR_BAD_CONTENT_ADDRESS', message) }
}

const METHOD_PREFIX: Readonly<Record<ContentAddressMethod, string>> = {
  text: 'text:',
  flat: 'fixed:',
  nar: 'fixed:r:',
  git: 'fixed:git:',
}

/** Split `text:…`, `fixed:r:…`, `fixed:git:…`, `fixed:…` into method and the rest. */
function splitMethod(s: string): { method: ContentAddressMethod; rest: string } {
  if (s.startsWith('text:')) return { method: 'text', rest: s.slice(5) }
  if (s.startsWith('fixed:r:')) return { method: 'nar', rest: s.slice(8) }
  if (s.startsWith('fixed:git:')) return { method: 'git', rest: s.slice(10) }
  if (s.startsWith('fixed:')) return { method: 'flat', rest: s.slice(6) }
  throw new BadContentAddressError(`content address prefix '${s.split(':')[0]}' is unrecognized. Recogonized prefixes are 'text' or 'fixed'`)
}

/** Parse `text:sha256:…` / `fixed:[r:|git:]algo:…`. */
export function parseContentAddress(s: string): ContentAddress {
  const { method, rest } = splitMethod(s)
  const colon = rest.indexOf(':')
  if (colon < 0) throw new BadContentAddressError(`content address '${s}' lacks a hash algorithm`)
  const algo = parseHashAlgo(rest.slice(0, colon))
  if (method === 'text' && algo !== 'sha256') throw new BadContentAddressError(`text content address hash should use sha256, but instead uses ${algo}`)
  try {
    return { method, hash: NixHash.parseDigest(rest.slice(colon + 1), algo) }
  } catch (e) {
    if (e instanceof BadHashError) throw new BadContentAddressError(`invalid content address '${s}': ${e.message}`)
    throw e
  }
}

export function printContentAddress(ca: ContentAddress): string {
  return METHOD_PREFIX[ca.method] + ca.hash.format('nix32', true)
}

/** A method with its algorithm, as AddToStore sends it (`camStr`). */
export interface ContentAddressMethodWithAlgo {
  readonly method: ContentAddressMethod
  readonly algo: HashAlgo
}

export function parseContentAddressMethodWithAlgo(s: string): ContentAddressMethodWithAlgo {
  const { method, rest } = splitMethod(s)
  const algo = parseHashAlgo(rest)
  if (method === 'text' && algo !== 'sha256') throw new BadContentAddressError(`text content address hash should use sha256, but instead uses ${algo}`)
  return { method, algo }
}

export function printContentAddressMethodWithAlgo(m: ContentAddressMethodWithAlgo): string {
  return METHOD_PREFIX[m.method] + m.algo
}

/**
 * The store path a content-addressed object gets (C++ `makeFixedOutputPathFromCA`).
 * Text paths may have references but no self-reference; flat paths have neither.
 */
export function storePathForContentAddress(
  storeDir: StoreDir,
  name: string,
  ca: ContentAddress,
  references: Iterable<StorePath> = [],
  hasSelfReference = false,
): StorePath {
  switch (ca.method) {
    case 'text':
      if (hasSelfReference) throw new BadContentAddressError('text paths cannot refer to themselves')
      return makeTextPath(storeDir, name, ca.hash, references)
    case 'flat':
    case 'nar':
      return makeFixedOutputPath(storeDir, name, ca.method, ca.hash, references, hasSelfReference)
    case 'git':
      if (ca.hash.algo !== 'sha1' && ca.hash.algo !== 'sha256') throw new BadContentAddressError('git file ingestion must use sha1 or sha256')
      return makeFixedOutputPath(storeDir, name, 'git', ca.hash, references, hasSelfReference)
  }
}

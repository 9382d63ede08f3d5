/**
 * Store path computation (C++ `StoreDirConfig::makeStorePath` and friends, store-dir-config.cc):
 *
 *   path = storeDir/nix32(compress20(sha256("<type>:<algo>:<hex inner>:<storeDir>:<name>")))-name
 *
 * where `type` carries the references for text and source paths.
 */
import { BadStorePathInputsError } from './errors.js'
import { compressHash, NixHash, sha256 } from './hash.js'
import { encodeNix32 } from './nixbase32.js'
import { StoreDir, StorePath } from './store-path.js'

/** The general form: `type` such as `text:<refs>`, `source:<refs>`, `output:out`. */
export function makeStorePath(storeDir: StoreDir, type: string, inner: NixHash, name: string): StorePath {
  const s = `${type}:${inner.algo}:${inner.toBase16()}:${storeDir.path}:`
  // A string is hashed as UTF-8; a binary-string name (see StoreDir.binaryNames) as its bytes.
  const digest = storeDir.binaryNames && hasNonAscii(name)
    ? sha256(Buffer.concat([Buffer.from(s, 'utf8'), Buffer.from(name, 'latin1')]))
    : sha256(s + name)
  return StorePath.fromParts(encodeNix32(compressHash(digest, 20)), name)
}

const NON_ASCII = /[^\x00-\x7f]/
/** Whether `s` has a character outside ASCII (text and binary strings agree on the rest). */
export function hasNonAscii(s: string): boolean { return NON_ASCII.test(s) }

/** Distinct references in C++ `StorePathSet` order (by base name). */
export function sortedReferences(references: Iterable<StorePath>): StorePath[] {
  const byName = new Map<string, StorePath>()
  for (const r of references) byName.set(r.baseName, r)
  return [...byName.values()].sort(StorePath.compare)
}

/** `type` plus `:<ref>` for each reference in order, plus `:self` (C++ `makeType`). */
export function makeType(storeDir: StoreDir, type: string, references: Iterable<StorePath>, hasSelfReference = false): string {
  let s = type
  for (const r of sortedReferences(references)) s += ':' + storeDir.print(r)
  if (hasSelfReference) s += ':self'
  return s
}

/** A `text:` path (`builtins.toFile`, `.drv` files): the hash is SHA-256 of the contents. */
export function makeTextPath(storeDir: StoreDir, name: string, contentHash: NixHash, references: Iterable<StorePath> = []): StorePath {
  if (contentHash.algo !== 'sha256') throw new BadStorePathInputsError(`when adding text-hashed data called '${name}', only SHA-256 is supported but '${contentHash.algo}' was given`)
  return makeStorePath(storeDir, makeType(storeDir, 'text', references), contentHash, name)
}

/** How a file system object was hashed for its content address (C++ `FileIngestionMethod`). */
export type FileIngestionMethod = 'flat' | 'nar' | 'git'

/** The `r:` / `git:` / empty prefix of a file ingestion method (C++ `makeFileIngestionPrefix`). */
export function fileIngestionPrefix(method: FileIngestionMethod): string {
  return method === 'nar' ? 'r:' : method === 'git' ? 'git:' : ''
}

/**
 * A fixed-output path (C++ `makeFixedOutputPath`): NAR-hashed SHA-256 is a `source:` path (with
 * references and self-reference); anything else goes through `fixed:out:<prefix><algo:hex>:` and
 * may have no references.
 */
export function makeFixedOutputPath(
  storeDir: StoreDir,
  name: string,
  method: FileIngestionMethod,
  hash: NixHash,
  references: Iterable<StorePath> = [],
  hasSelfReference = false,
): StorePath {
  if (method === 'git' && hash.algo !== 'sha1' && hash.algo !== 'sha256')
    throw new BadStorePathInputsError(`Git file ingestion must use SHA-1 or SHA-256 hash, but instead using: ${hash.algo}`)
  if (hash.algo === 'sha256' && method === 'nar') {
    return makeStorePath(storeDir, makeType(storeDir, 'source', references, hasSelfReference), hash, name)
  }
  const refs = [...references]
  if (refs.length > 0 || hasSelfReference)
    throw new BadStorePathInputsError(`fixed output derivation '${name}' is not allowed to refer to other store paths.\nYou may need to use the 'unsafeDiscardReferences' derivation attribute, see the manual for more details.`)
  const inner = NixHash.of('sha256', `fixed:out:${fileIngestionPrefix(method)}${hash.algo}:${hash.toBase16()}:`)
  return makeStorePath(storeDir, 'output:out', inner, name)
}

/** The name of a derivation output's path: `name` for `out`, else `name-output`. */
export function outputPathName(drvName: string, outputName: string): string {
  return outputName === 'out' ? drvName : `${drvName}-${outputName}`
}

/** An input-addressed output path from the derivation's hash modulo (C++ `makeOutputPath`). */
export function makeOutputPath(storeDir: StoreDir, outputName: string, hashModulo: NixHash, drvName: string): StorePath {
  return makeStorePath(storeDir, 'output:' + outputName, hashModulo, outputPathName(drvName, outputName))
}

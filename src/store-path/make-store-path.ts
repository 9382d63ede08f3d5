/**
 * Store path computation (C++ `StoreDirConfig::makeStorePath` and friends):
 *
 *   path = storeDir/nix32(compress20(sha256("<type>:sha256:<hex inner>:<storeDir>:<name>")))-name
 *
 * where `type` carries the references for text and source paths.
 */
import { compressHash, NixHash, sha256 } from './hash.js'
import { encodeNix32 } from './nixbase32.js'
import { StoreDir, StorePath } from './store-path.js'

/** The general form: `type` such as `text:<refs>`, `source:<refs>`, `output:out`. */
export function makeStorePath(storeDir: StoreDir, type: string, inner: NixHash, name: string): StorePath {
  const s = `${type}:${inner.algo}:${inner.toBase16()}:${storeDir.path}:${name}`
  return StorePath.fromParts(encodeNix32(compressHash(sha256(s), 20)), name)
}

/** `type` plus `:<ref>` for each reference in order, plus `:self` (C++ `makeType`). */
export function makeType(storeDir: StoreDir, type: string, references: Iterable<StorePath>, hasSelfReference = false): string {
  let s = type
  const refs = [...references].map(r => storeDir.print(r)).sort()
  for (const r of refs) s += ':' + r
  if (hasSelfReference) s += ':self'
  return s
}

/** A `text:` path (`builtins.toFile`, `.drv` files): the hash is SHA-256 of the contents. */
export function makeTextPath(storeDir: StoreDir, name: string, contentHash: NixHash, references: Iterable<StorePath> = []): StorePath {
  if (contentHash.algo !== 'sha256') throw new Error('text paths need a sha256 hash')
  return makeStorePath(storeDir, makeType(storeDir, 'text', references), contentHash, name)
}

/**
 * A fixed-output path (C++ `makeFixedOutputPath`): recursive SHA-256 is a `source:` path (with
 * references and self-reference); anything else goes through `fixed:out:[r:|git:]<algo:hex>:`
 * (git hashes too, in C++ 2.34: checked against `nix derivation add`).
 */
export function makeFixedOutputPath(
  storeDir: StoreDir,
  name: string,
  method: 'flat' | 'nar' | 'git',
  hash: NixHash,
  references: Iterable<StorePath> = [],
  hasSelfReference = false,
): StorePath {
  if (hash.algo === 'sha256' && method === 'nar') {
    return makeStorePath(storeDir, makeType(storeDir, 'source', references, hasSelfReference), hash, name)
  }
  const refs = [...references]
  if (refs.length > 0 || hasSelfReference) throw new Error('fixed-output paths other than recursive sha256 cannot have references')
  const prefix = method === 'nar' ? 'r:' : method === 'git' ? 'git:' : ''
  const inner = NixHash.of('sha256', `fixed:out:${prefix}${hash.algo}:${hash.toBase16()}:`)
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

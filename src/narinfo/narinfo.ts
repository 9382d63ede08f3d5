/**
 * `.narinfo` files of binary caches (C++ `NarInfo`, libstore/nar-info.cc):
 *
 *   StorePath: /nix/store/<hash>-<name>
 *   URL: nar/<filehash>.nar.xz
 *   Compression: xz
 *   FileHash: sha256:<nix32>
 *   FileSize: 4029176
 *   NarHash: sha256:<nix32>
 *   NarSize: 34878
 *   References: <base name> <base name> …
 *   Deriver: <base name>
 *   Sig: <key name>:<base64>
 *   CA: fixed:r:sha256:<nix32>
 *
 * Parsing is as lenient as C++'s: unknown keys are skipped, the value starts two bytes after the
 * colon, a missing Compression means bzip2.
 */
import {
  BadHashError, NixHash, type PathInfo, parseContentAddressOpt, printContentAddress, sortedReferences, type StoreDir, StorePath,
} from '../store-path/index.js'
import { NarInfoCorruptError } from './errors.js'

/** A PathInfo plus where and how its NAR is stored in a binary cache. */
export interface NarInfo extends PathInfo {
  readonly url: string
  /** `xz`, `bzip2`, `zstd`, `none` … */
  readonly compression: string
  /** Hash and size of the compressed file (`FileHash`/`FileSize`). */
  readonly fileHash: NixHash | undefined
  readonly fileSize: number
}

function parseCount(s: string): number | undefined {
  if (!/^\d+$/.test(s)) return undefined
  const n = Number(s)
  return Number.isSafeInteger(n) ? n : undefined
}

/** Parse a `.narinfo` (`whence` names it in errors, as C++ does). */
export function parseNarInfo(text: string, storeDir: StoreDir, whence = ''): NarInfo {
  let line = 1
  const corrupt = (reason: string) => new NarInfoCorruptError(`NAR info file '${whence}' is corrupt: ${reason}${line > 0 ? ` at line ${line}` : ''}`)
  const hashField = (v: string) => {
    try { return NixHash.parsePrefixed(v) } catch (e) {
      if (e instanceof BadHashError) throw corrupt('bad hash')
      throw e
    }
  }
  let path: StorePath | undefined
  let narHash: NixHash | undefined
  let url = ''
  let compression = ''
  let fileHash: NixHash | undefined
  let fileSize = 0
  let narSize = 0
  let references: StorePath[] = []
  let deriver: StorePath | undefined
  const sigs = new Set<string>()
  let ca: PathInfo['ca']

  let pos = 0
  while (pos < text.length) {
    const colon = text.indexOf(':', pos)
    if (colon < 0) throw corrupt("expecting ':'")
    const name = text.slice(pos, colon)
    const eol = text.indexOf('\n', colon + 2)
    if (eol < 0) throw corrupt("expecting '\\n'")
    const value = text.slice(colon + 2, eol)
    switch (name) {
      case 'StorePath': path = storeDir.parse(value); break
      case 'URL': url = value; break
      case 'Compression': compression = value; break
      case 'FileHash': fileHash = hashField(value); break
      case 'FileSize': {
        const n = parseCount(value)
        if (n === undefined) throw corrupt('invalid FileSize')
        fileSize = n
        break
      }
      case 'NarHash': narHash = hashField(value); break
      case 'NarSize': {
        const n = parseCount(value)
        if (n === undefined) throw corrupt('invalid NarSize')
        narSize = n
        break
      }
      case 'References':
        if (references.length > 0) throw corrupt('extra References')
        references = sortedReferences(value.split(' ').filter(r => r !== '').map(r => StorePath.fromBaseName(r)))
        break
      case 'Deriver': if (value !== 'unknown-deriver') deriver = StorePath.fromBaseName(value); break
      case 'Sig': sigs.add(value); break
      case 'CA':
        if (ca) throw corrupt('extra CA')
        ca = parseContentAddressOpt(value)
        break
    }
    pos = eol + 1
    line++
  }
  if (compression === '') compression = 'bzip2'
  line = 0
  if (!path) throw corrupt('StorePath missing')
  if (!narHash) throw corrupt('NarHash missing')
  if (url === '') throw corrupt('URL missing')
  if (narSize === 0) throw corrupt('NarSize missing or zero')
  return {
    path, deriver, narHash, references, registrationTime: 0, narSize, ultimate: false, sigs: [...sigs].sort(), ca,
    url, compression, fileHash, fileSize,
  }
}

/** Print a `.narinfo` (C++ `NarInfo::to_string`); FileHash/FileSize only when known. */
export function printNarInfo(info: NarInfo, storeDir: StoreDir): string {
  let s = `StorePath: ${storeDir.print(info.path)}\n`
  s += `URL: ${info.url}\n`
  s += `Compression: ${info.compression === '' ? 'bzip2' : info.compression}\n`
  if (info.fileHash) {
    s += `FileHash: ${info.fileHash.format('nix32', true)}\n`
    s += `FileSize: ${info.fileSize}\n`
  }
  s += `NarHash: ${info.narHash.format('nix32', true)}\n`
  s += `NarSize: ${info.narSize}\n`
  s += `References: ${sortedReferences(info.references).map(r => r.baseName).join(' ')}\n`
  if (info.deriver) s += `Deriver: ${info.deriver.baseName}\n`
  for (const sig of [...new Set(info.sigs)].sort()) s += `Sig: ${sig}\n`
  if (info.ca) s += `CA: ${printContentAddress(info.ca)}\n`
  return s
}

/**
 * PathInfo ⇄ `ValidPaths` columns, exactly as C++ Nix writes and reads them
 * (`LocalStore::addValidPath`, `updatePathInfo`, `queryPathInfoInternal`; docs/store.md §2.3):
 *
 *   path              full printed store path
 *   hash              `sha256:<base16>`                 read back with any prefixed form
 *   registrationTime  seconds; 0 in the info means "now"
 *   deriver           full printed path, or NULL
 *   narSize           integer, NULL when 0               NULL reads back as 0
 *   ultimate          1, or NULL when false              anything but 1 reads as false
 *   sigs              space-separated, sorted, unique; NULL when none
 *   ca                `text:sha256:…` / `fixed:[r:]algo:…` (nix32), or NULL
 *
 * Pure: no database here.
 */
import {
  type ContentAddress,
  NixHash,
  type PathInfo,
  parseContentAddress,
  printContentAddress,
  type StoreDir,
  StorePath,
  storePathForContentAddress,
} from '../store-path/index.js'
import { BadPathInfoError, CorruptPathInfoError, NotContentAddressedError } from './errors.js'

/** The columns of a `ValidPaths` row other than `id`. */
export interface ValidPathColumns {
  path: string
  hash: string
  registrationTime: number
  deriver: string | null
  narSize: number | null
  ultimate: number | null
  sigs: string | null
  ca: string | null
}

/** What a driver hands back: PostgreSQL returns int8 as strings, SQLite may give bigints. */
export type DbInt = number | string | bigint
export interface ValidPathRow {
  id: DbInt
  hash: string
  registrationTime: DbInt
  deriver: string | null
  narSize: DbInt | null
  ultimate: DbInt | null
  sigs: string | null
  ca: string | null
}

export function toInt(v: DbInt): number {
  return typeof v === 'number' ? v : Number(v)
}

/** Sigs as C++ keeps them: a `std::set<std::string>`, so sorted and unique. */
export function normaliseSigs(sigs: Iterable<string>): string[] {
  return [...new Set(sigs)].sort()
}

export function encodeSigs(sigs: Iterable<string>): string | null {
  const s = normaliseSigs(sigs)
  for (const sig of s) {
    if (sig.length === 0 || /\s/.test(sig)) throw new BadPathInfoError(`signature must be non-empty without whitespace, got ${JSON.stringify(sig.slice(0, 80))}`)
  }
  return s.length === 0 ? null : s.join(' ')
}

/** C++ `tokenizeString<StringSet>(s, " ")`: empty tokens dropped, then sorted and unique. */
export function decodeSigs(s: string | null): string[] {
  if (s === null || s === '') return []
  return normaliseSigs(s.split(' ').filter(x => x.length > 0))
}

/** Check what C++ asserts or rejects before writing a row. */
export function checkRegistrable(storeDir: StoreDir, info: PathInfo): void {
  if (info.narHash.algo !== 'sha256') {
    throw new BadPathInfoError(`NAR hash of '${storeDir.print(info.path)}' must be sha256, got ${info.narHash.algo}`)
  }
  if (!Number.isSafeInteger(info.narSize) || info.narSize < 0) {
    throw new BadPathInfoError(`NAR size of '${storeDir.print(info.path)}' must be a non-negative integer, got ${info.narSize}`)
  }
  if (!Number.isSafeInteger(info.registrationTime) || info.registrationTime < 0) {
    throw new BadPathInfoError(`registration time of '${storeDir.print(info.path)}' must be a non-negative integer, got ${info.registrationTime}`)
  }
}

/**
 * C++ `ValidPathInfo::isContentAddressed`: a path that claims a content address must be the
 * path that address produces (self-references count as `hasSelfReference`).
 */
export function checkContentAddressed(storeDir: StoreDir, info: PathInfo): void {
  const ca = info.ca
  if (!ca) return
  const others = info.references.filter(r => !r.equals(info.path))
  const self = others.length !== info.references.length
  let expected: StorePath
  try {
    expected = storePathForContentAddress(storeDir, info.path.name, ca, others, self)
  } catch {
    throw new NotContentAddressedError(storeDir.print(info.path))
  }
  if (!expected.equals(info.path)) throw new NotContentAddressedError(storeDir.print(info.path))
}

/** The columns C++ writes for a new row. `now` replaces a registration time of 0. */
export function encodeValidPath(storeDir: StoreDir, info: PathInfo, now: number): ValidPathColumns {
  return {
    path: storeDir.print(info.path),
    hash: info.narHash.format('base16', true),
    registrationTime: info.registrationTime === 0 ? now : info.registrationTime,
    deriver: info.deriver ? storeDir.print(info.deriver) : null,
    narSize: info.narSize === 0 ? null : info.narSize,
    ultimate: info.ultimate ? 1 : null,
    sigs: encodeSigs(info.sigs),
    ca: info.ca ? printContentAddress(info.ca) : null,
  }
}

/** The columns C++ `updatePathInfo` rewrites for a path that is already valid. */
export function encodeUpdate(c: ValidPathColumns): Pick<ValidPathColumns, 'narSize' | 'hash' | 'ultimate' | 'sigs' | 'ca'> {
  return { narSize: c.narSize, hash: c.hash, ultimate: c.ultimate, sigs: c.sigs, ca: c.ca }
}

/** Parse a printed path from the database, as belonging to this store. */
export function parseDbPath(storeDir: StoreDir, printed: string, owner: string): StorePath {
  try {
    return storeDir.parse(printed)
  } catch (e) {
    throw new CorruptPathInfoError(owner, (e as Error).message)
  }
}

/** Decode a row (plus its references, printed) into a PathInfo. */
export function decodeValidPath(
  storeDir: StoreDir,
  path: StorePath,
  row: ValidPathRow,
  references: readonly string[],
  parseRef: (printed: string) => StorePath = r => parseDbPath(storeDir, r, storeDir.print(path)),
): PathInfo {
  const printed = storeDir.print(path)
  let narHash: NixHash
  try {
    narHash = NixHash.parsePrefixed(row.hash)
  } catch (e) {
    throw new CorruptPathInfoError(printed, (e as Error).message)
  }
  let ca: ContentAddress | undefined
  if (row.ca !== null && row.ca !== '') {
    try {
      ca = parseContentAddress(row.ca)
    } catch (e) {
      throw new CorruptPathInfoError(printed, (e as Error).message)
    }
  }
  const refs = references.map(parseRef)
  refs.sort(StorePath.compare)
  return {
    path,
    deriver: row.deriver !== null && row.deriver !== '' ? parseDbPath(storeDir, row.deriver, printed) : undefined,
    narHash,
    references: refs,
    registrationTime: toInt(row.registrationTime),
    narSize: row.narSize === null ? 0 : toInt(row.narSize),
    ultimate: row.ultimate !== null && toInt(row.ultimate) === 1,
    sigs: decodeSigs(row.sigs),
    ca,
  }
}

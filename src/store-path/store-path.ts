/**
 * StorePath: the base name `<32 nix32 chars>-<name>` of a store path, validated once
 * (C++ `StorePath`; tvix `StorePath::from_bytes`). The store directory is not part of it:
 * `StoreDir` prints and parses absolute paths.
 */
import { InvalidPathError } from './errors.js'
import { NIX32_DIGIT } from './nixbase32.js'

export const HASH_PART_LEN = 32
/** Longest name allowed (C++ `StorePath::MaxPathLen`). */
export const MAX_NAME_LEN = 211

function nameCharOk(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 97 && c <= 122) || (c >= 65 && c <= 90) ||
    c === 43 /* + */ || c === 45 /* - */ || c === 46 /* . */ || c === 95 /* _ */ || c === 63 /* ? */ || c === 61 /* = */
}

/** Throws InvalidPathError if `name` is not a valid store path name (C++ `checkName`, 2.34). */
export function checkName(name: string): void {
  if (name.length === 0) throw new InvalidPathError('name must not be empty')
  if (name.length > MAX_NAME_LEN) throw new InvalidPathError(`name '${name}' must be no longer than ${MAX_NAME_LEN} characters`)
  // "." and ".." are not names, nor may they be the first dash-separated component.
  if (name[0] === '.') {
    if (name.length === 1) throw new InvalidPathError(`name '${name}' is not valid`)
    if (name[1] === '-') throw new InvalidPathError(`name '${name}' is not valid: first dash-separated component must not be '.'`)
    if (name[1] === '.') {
      if (name.length === 2) throw new InvalidPathError(`name '${name}' is not valid`)
      if (name[2] === '-') throw new InvalidPathError(`name '${name}' is not valid: first dash-separated component must not be '..'`)
    }
  }
  for (let i = 0; i < name.length; i++) {
    if (!nameCharOk(name.charCodeAt(i))) throw new InvalidPathError(`name '${name}' contains illegal character '${name[i]}'`)
  }
}

/** True if `name` passes `checkName`. */
export function isValidName(name: string): boolean {
  try { checkName(name); return true } catch { return false }
}

export class StorePath {
  /** The whole base name as given (C++ keeps it verbatim, see `fromBaseName`). */
  readonly baseName: string

  private constructor(baseName: string) {
    this.baseName = baseName
  }

  /** The 32-character nix32 hash part. */
  get hashPart(): string { return this.baseName.slice(0, HASH_PART_LEN) }
  /** The name after `<hash>-`. */
  get name(): string { return this.baseName.slice(HASH_PART_LEN + 1) }

  /**
   * Parse a base name `<hash>-<name>` with C++'s checks and messages. Like C++ it does not look
   * at the character between hash and name (only `makeStorePath` ever writes it, as `-`) — but
   * C++ counts bytes: a non-ASCII character there is several bytes in UTF-8, the rest of which
   * C++ reads as the start of the name, so it is an illegal name character. (Accepting it would
   * put a path into the database that C++ Nix cannot read back.)
   */
  static fromBaseName(base: string): StorePath {
    if (base.length < HASH_PART_LEN + 1) throw new InvalidPathError(`'${base}' is too short to be a valid store path`)
    for (let i = 0; i < HASH_PART_LEN; i++) {
      const c = base.charCodeAt(i)
      if (c >= 256 || NIX32_DIGIT[c] === 0xff) throw new InvalidPathError(`store path '${base}' contains illegal base-32 character '${base[i]}'`)
    }
    if (base.charCodeAt(HASH_PART_LEN) >= 0x80) {
      throw new InvalidPathError(`path '${base}' is not a valid store path: name contains illegal character '${base[HASH_PART_LEN]}'`, base)
    }
    try { checkName(base.slice(HASH_PART_LEN + 1)) } catch (e) {
      throw new InvalidPathError(`path '${base}' is not a valid store path: ${(e as Error).message}`, base)
    }
    return new StorePath(base)
  }

  /** Build from a hash part (32 nix32 characters) and a name. */
  static fromParts(hashPart: string, name: string): StorePath {
    if (hashPart.length !== HASH_PART_LEN) throw new InvalidPathError(`invalid hash part '${hashPart}': expected ${HASH_PART_LEN} characters`)
    return StorePath.fromBaseName(`${hashPart}-${name}`)
  }

  isDerivation(): boolean { return this.baseName.endsWith('.drv') }
  equals(o: StorePath): boolean { return o.baseName === this.baseName }
  toString(): string { return this.baseName }
  toJSON(): string { return this.baseName }

  /** Order of C++ `StorePath::operator<` (base names compared bytewise; they are ASCII). */
  static compare(a: StorePath, b: StorePath): number {
    const x = a.baseName
    const y = b.baseName
    return x < y ? -1 : x > y ? 1 : 0
  }
}

/**
 * Lexically canonicalise an absolute path (C++ `canonPath` without following symlinks): collapse
 * repeated slashes, drop `.` and trailing slashes, resolve `..` (never above `/`).
 */
export function canonPath(p: string): string {
  if (!p.startsWith('/')) throw new InvalidPathError(`not an absolute path: '${p}'`)
  const parts: string[] = []
  for (const c of p.split('/')) {
    if (c === '' || c === '.') continue
    if (c === '..') parts.pop()
    else parts.push(c)
  }
  return '/' + parts.join('/')
}

/**
 * The logical store directory (`/nix/store` by default): it enters every store path hash, and
 * is distinct from where the files physically live (see the store's `realStoreDir`).
 */
export class StoreDir {
  readonly path: string
  /**
   * Names handed to this store directory's path functions are binary strings (one char per
   * byte: the evaluator's strings) rather than text. It matters only to a name that is not
   * ASCII — always invalid, but its would-be path is shown in the error, and C++ hashes the
   * name's bytes.
   */
  readonly binaryNames: boolean

  constructor(path = '/nix/store', opts: { binaryNames?: boolean } = {}) {
    if (!path.startsWith('/') || (path.length > 1 && path.endsWith('/'))) throw new InvalidPathError(`store directory '${path}' must be absolute without a trailing slash`)
    this.path = path
    this.binaryNames = opts.binaryNames ?? false
  }

  print(p: StorePath): string { return `${this.path}/${p.baseName}` }

  /** Parse an absolute store path (canonicalised, then exactly `<storeDir>/<base>`; C++ `parseStorePath`). */
  parse(abs: string): StorePath {
    // fast path for the canonical form (every path a client sends): nothing to canonicalise
    const prefix = this.path.length + 1
    if (abs.length > prefix && abs.startsWith(this.path) && abs.charCodeAt(prefix - 1) === 0x2f && abs.indexOf('/', prefix) < 0 && this.path !== '/') {
      const base = abs.slice(prefix)
      if (base !== '.' && base !== '..') return StorePath.fromBaseName(base)
    }
    const p = abs.startsWith('/') ? canonPath(abs) : abs
    const slash = p.lastIndexOf('/')
    if (slash < 0 || (slash === 0 ? '/' : p.slice(0, slash)) !== this.path) throw new InvalidPathError(`path '${p}' is not in the Nix store`)
    return StorePath.fromBaseName(p.slice(slash + 1))
  }

  /** True if `abs` parses as a store path of this store. */
  isStorePath(abs: string): boolean {
    try { this.parse(abs); return true } catch { return false }
  }

  /** True if `abs` is inside the store directory (the store path itself or below it; C++ `isInStore`). */
  isInStore(abs: string): boolean {
    return abs.startsWith(this.path + '/') && abs.length > this.path.length + 1
  }

  /**
   * The store path that `abs` is in or below (C++ `toStorePath`): returns the path and the
   * remainder (`""` or starting with `/`).
   */
  toStorePath(abs: string): { path: StorePath; rest: string } {
    if (!this.isInStore(abs)) throw new InvalidPathError(`path '${abs}' is not in the Nix store`)
    const after = abs.slice(this.path.length + 1)
    const slash = after.indexOf('/')
    const base = slash < 0 ? after : after.slice(0, slash)
    return { path: StorePath.fromBaseName(base), rest: slash < 0 ? '' : after.slice(slash) }
  }
}

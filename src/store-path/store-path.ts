/**
 * StorePath: the base name `<32 nix32 chars>-<name>` of a store path, validated once
 * (C++ `StorePath`; tvix `StorePath::from_bytes`). The store directory is not part of it:
 * `StoreDir` prints and parses absolute paths.
 */
import { InvalidPathError } from './errors.js'
import { isNix32 } from './nixbase32.js'

export const HASH_PART_LEN = 32
/** Longest name allowed (C++ `StorePath::MaxPathLen`). */
export const MAX_NAME_LEN = 211

/** Throws InvalidPathError if `name` is not a valid store path name (C++ `checkName`, 2.34). */
export function checkName(name: string): void {
  if (name.length === 0) throw new InvalidPathError('name must not be empty')
  if (name.length > MAX_NAME_LEN) throw new InvalidPathError(`name '${name}' must be no longer than ${MAX_NAME_LEN} characters`)
  if (name[0] === '.') {
    if (name.length === 1) throw new InvalidPathError(`name '${name}' is not valid`)
    if (name[1] === '-') throw new InvalidPathError(`name '${name}' is not valid: first dash-separated component must not be '.'`)
    if (name[1] === '.') {
      if (name.length === 2) throw new InvalidPathError(`name '${name}' is not valid`)
      if (name[2] === '-') throw new InvalidPathError(`name '${name}' is not valid: first dash-separated component must not be '..'`)
    }
  }
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i)
    const ok = (c >= 48 && c <= 57) || (c >= 97 && c <= 122) || (c >= 65 && c <= 90) ||
      c === 43 /* + */ || c === 45 /* - */ || c === 46 /* . */ || c === 95 /* _ */ || c === 63 /* ? */ || c === 61 /* = */
    if (!ok) throw new InvalidPathError(`name '${name}' contains illegal character '${name[i]}'`)
  }
}

export class StorePath {
  readonly hashPart: string
  readonly name: string

  private constructor(hashPart: string, name: string) {
    this.hashPart = hashPart
    this.name = name
  }

  /** Parse a base name `<hash>-<name>`. */
  static fromBaseName(base: string): StorePath {
    if (base.length < HASH_PART_LEN + 2 || base[HASH_PART_LEN] !== '-')
      throw new InvalidPathError(`path '${base}' is not a valid store path: not long enough or missing dash`)
    const hashPart = base.slice(0, HASH_PART_LEN)
    if (!isNix32(hashPart)) throw new InvalidPathError(`path '${base}' is not a valid store path: invalid hash part`)
    const name = base.slice(HASH_PART_LEN + 1)
    try { checkName(name) } catch (e) {
      throw new InvalidPathError(`path '${base}' is not a valid store path: ${(e as Error).message}`)
    }
    return new StorePath(hashPart, name)
  }

  /** Build from a hash part already known to be valid nix32 (internal use by makeStorePath). */
  static fromParts(hashPart: string, name: string): StorePath {
    if (hashPart.length !== HASH_PART_LEN || !isNix32(hashPart)) throw new InvalidPathError(`invalid hash part '${hashPart}'`)
    checkName(name)
    return new StorePath(hashPart, name)
  }

  get baseName(): string { return `${this.hashPart}-${this.name}` }
  isDerivation(): boolean { return this.name.endsWith('.drv') }
  equals(o: StorePath): boolean { return o.hashPart === this.hashPart && o.name === this.name }
  toString(): string { return this.baseName }

  /** Order of C++ `StorePath::operator<` (base names compared bytewise). */
  static compare(a: StorePath, b: StorePath): number {
    const x = a.baseName
    const y = b.baseName
    return x < y ? -1 : x > y ? 1 : 0
  }
}

/**
 * The logical store directory (`/nix/store` by default): it enters every store path hash, and
 * is distinct from where the files physically live (see the store's `realStoreDir`).
 */
export class StoreDir {
  readonly path: string

  constructor(path = '/nix/store') {
    if (!path.startsWith('/') || (path.length > 1 && path.endsWith('/'))) throw new InvalidPathError(`store directory '${path}' must be absolute without a trailing slash`)
    this.path = path
  }

  print(p: StorePath): string { return `${this.path}/${p.baseName}` }

  /** Parse an absolute store path (exactly `<storeDir>/<base>`, nothing below it). */
  parse(abs: string): StorePath {
    if (!abs.startsWith(this.path + '/')) throw new InvalidPathError(`path '${abs}' is not in the Nix store`)
    const base = abs.slice(this.path.length + 1)
    if (base.includes('/')) throw new InvalidPathError(`path '${abs}' is not a store path`)
    return StorePath.fromBaseName(base)
  }

  /** True if `abs` parses as a store path of this store. */
  isStorePath(abs: string): boolean {
    try { this.parse(abs); return true } catch { return false }
  }

  /**
   * The store path that `abs` is in or below (C++ `toStorePath`): returns the path and the
   * remainder (`""` or starting with `/`).
   */
  toStorePath(abs: string): { path: StorePath; rest: string } {
    if (!abs.startsWith(this.path + '/')) throw new InvalidPathError(`path '${abs}' is not in the Nix store`)
    const after = abs.slice(this.path.length + 1)
    const slash = after.indexOf('/')
    const base = slash < 0 ? after : after.slice(0, slash)
    return { path: StorePath.fromBaseName(base), rest: slash < 0 ? '' : after.slice(slash) }
  }
}

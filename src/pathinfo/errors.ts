import { NixError, truncateForMessage } from '../errors.js'

/**
 * A path cannot be invalidated because valid paths outside the deleted set still refer to it
 * (C++ `PathInUse`).
 */
export class PathInUseError extends NixError {
  constructor(message: string) { super('ERR_PATH_IN_USE', message) }
}

/** The references of a registered batch form a cycle (C++ `topoSort` → `BuildError`). */
export class ReferenceCycleError extends NixError {
  constructor(message: string) { super('ERR_REFERENCE_CYCLE', message) }
}

/** The database or its version files are of a version or shape we cannot use. */
export class DbSchemaError extends NixError {
  constructor(message: string) { super('ERR_DB_SCHEMA', message) }
}

/** A stored row does not decode (bad hash, bad path, bad content address). */
export class CorruptPathInfoError extends NixError {
  constructor(path: string, why: string) {
    super('ERR_CORRUPT_PATH_INFO', `in valid-path entry for '${path}': ${why}`)
  }
}

/** A registration claims a content address that does not produce its store path. */
export class NotContentAddressedError extends NixError {
  constructor(printed: string) {
    super('ERR_NOT_CONTENT_ADDRESSED', `cannot add path '${printed}' to the Nix store because it claims to be content-addressed but isn't`)
  }
}

/** A registration is malformed before it reaches the database (e.g. a non-SHA-256 NAR hash). */
export class BadPathInfoError extends NixError {
  constructor(message: string) { super('ERR_BAD_PATH_INFO', message) }
}

/** A realisation conflicts with the one stored, or depends on one we do not have. */
export class RealisationError extends NixError {
  constructor(message: string) { super('ERR_REALISATION', message) }
}

/** The database stayed busy (locked by another process) for longer than we wait. */
export class DbBusyError extends NixError {
  constructor(what: string, waitedMs: number, options?: { cause?: unknown }) {
    super('ERR_DB_BUSY', `database busy for ${waitedMs} ms while ${what}`, options)
  }
}

/** Shorten a printed path list for messages the way C++ `showPaths` quotes them. */
export function showPaths(paths: readonly string[], max = 5): string {
  const shown = paths.slice(0, max).map(p => `'${p}'`).join(', ')
  return paths.length > max ? `${shown} and ${paths.length - max} more` : shown
}

export { truncateForMessage }

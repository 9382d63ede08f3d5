import { NixError } from '../errors.js'

/** A hash string could not be parsed (bad length, bad character, unknown algorithm; C++ `BadHash`). */
export class BadHashError extends NixError {
  constructor(message: string) { super('ERR_BAD_HASH', message) }
}

/** A store path or store path name is not valid (C++ `BadStorePath` / `BadStorePathName`). */
export class InvalidPathError extends NixError {
  /** The base name refused, when a whole one was (StorePath.fromBaseName). */
  readonly baseName: string | undefined
  constructor(message: string, baseName?: string) {
    super('ERR_INVALID_PATH', message)
    this.baseName = baseName
  }
}

/** A content address or content-address method string is malformed. */
export class BadContentAddressError extends NixError {
  constructor(message: string) { super('ERR_BAD_CONTENT_ADDRESS', message) }
}

/** A store URI (`local?root=…`, `ssh-ng://host`, `daemon` …) cannot be parsed (C++ `BadURL`/`UsageError`). */
export class BadStoreReferenceError extends NixError {
  constructor(message: string) { super('ERR_BAD_STORE_REFERENCE', message) }
}

/** A content-addressed path cannot be made from these inputs (bad algorithm, forbidden references). */
export class BadStorePathInputsError extends NixError {
  constructor(message: string) { super('ERR_BAD_STORE_PATH_INPUTS', message) }
}

/** Path metadata is inconsistent or incomplete for the operation (e.g. a fingerprint without a NAR size). */
export class BadPathInfoError extends NixError {
  constructor(message: string) { super('ERR_BAD_PATH_INFO', message) }
}

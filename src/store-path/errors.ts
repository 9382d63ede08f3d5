import { NixError } from '../errors.js'

/** A hash string could not be parsed (bad length, bad character, unknown algorithm). */
export class BadHashError extends NixError {
  constructor(message: string) { super('ERR_BAD_HASH', message) }
}

/** A store path or store path name is not valid (C++ BadStorePath / BadStorePathName). */
export class InvalidPathError extends NixError {
  constructor(message: string) { super('ERR_INVALID_PATH', message) }
}

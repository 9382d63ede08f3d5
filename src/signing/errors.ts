import { NixError } from '../errors.js'

/** A key or signature string is malformed or has the wrong size (C++ "key is corrupt", "… is not valid"). */
export class BadKeyError extends NixError {
  constructor(message: string) { super('ERR_BAD_KEY', message) }
}

import { NixError } from '../errors.js'

/** A `.narinfo` file does not parse (C++ "NAR info file '…' is corrupt: …"). */
export class NarInfoCorruptError extends NixError {
  constructor(message: string) { super('ERR_NARINFO_CORRUPT', message) }
}

/** Path-info or narinfo JSON is malformed (wrong type, missing key, unsupported version). */
export class BadPathInfoJsonError extends NixError {
  constructor(message: string) { super('ERR_BAD_PATH_INFO_JSON', message) }
}

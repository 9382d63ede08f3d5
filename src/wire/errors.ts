import { NixError } from '../errors.js'

/** The peer sent bytes we reject; the connection closes. */
export class ProtocolError extends NixError {
  constructor(message: string, code = 'ERR_PROTOCOL') { super(code, message) }
}

/** A length or count from the peer exceeds our named limit (checked before allocating). */
export class WireLimitError extends ProtocolError {
  constructor(what: string, got: bigint | number, max: number) {
    super(`${what} length ${got} > ${max}`, 'ERR_WIRE_LIMIT')
  }
}

/** Padding after a string was not all zero bytes (C++: "non-zero padding"). */
export class WirePaddingError extends ProtocolError {
  constructor() { super('non-zero padding', 'ERR_WIRE_PADDING') }
}

/** A number does not fit the type it is read as (C++: "serialised integer … is too large"). */
export class WireRangeError extends ProtocolError {
  constructor(what: string, got: bigint, max: bigint) {
    super(`serialised integer ${got} is too large for type '${what}' (max ${max})`, 'ERR_WIRE_RANGE')
  }
}

/**
 * The buffer ended before the value did. Not a peer error by itself: an incremental reader
 * catches it and waits until at least `needed` bytes (counted from the buffer start) exist.
 */
export class IncompleteError extends NixError {
  readonly needed: number
  constructor(needed: number) {
    // Thrown and caught once per value that arrives in pieces (control flow, not a failure):
    // without a stack trace, whose capture is most of its cost.
    const limit = Error.stackTraceLimit
    Error.stackTraceLimit = 0
    try { super('ERR_WIRE_INCOMPLETE', `need ${needed} bytes`) } finally { Error.stackTraceLimit = limit }
    this.needed = needed
  }
}

/** The stream ended in the middle of a value (C++: "unexpected end-of-file"). */
export class UnexpectedEofError extends ProtocolError {
  constructor(what = 'value') { super(`unexpected end-of-file while reading ${what}`, 'ERR_WIRE_EOF') }
}

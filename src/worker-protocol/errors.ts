import { NixError } from '../errors.js'
import { ProtocolError } from '../wire/index.js'

/** The handshake failed: bad magic, unsupported or too old a version. The connection closes. */
export class HandshakeError extends ProtocolError {
  constructor(message: string) { super(message, 'ERR_HANDSHAKE') }
}

/** A number on the wire is not a member of the enum it encodes (build mode, GC action, tag…). */
export class InvalidWireValueError extends ProtocolError {
  constructor(what: string, got: bigint | number | string) {
    super(`invalid ${what} ${typeof got === 'string' ? JSON.stringify(got) : got} from remote`, 'ERR_INVALID_WIRE_VALUE')
  }
}

/** The peer sent an operation number we do not implement (C++: "invalid operation N"). */
export class UnknownOpError extends NixError {
  readonly op: number
  constructor(op: number) {
    super('ERR_UNKNOWN_OP', `invalid operation ${op}`)
    this.op = op
  }
}

/** A value cannot be expressed at the negotiated protocol version or without a feature. */
export class UnsupportedByProtocolError extends NixError {
  constructor(message: string) { super('ERR_UNSUPPORTED_BY_PROTOCOL', message) }
}

/**
 * The daemon answered with STDERR_ERROR (client side). `message` is the daemon's text, which
 * may contain ANSI colour escapes, as C++ daemons send them.
 */
export class RemoteError extends NixError {
  readonly level: number
  readonly traces: readonly string[]
  readonly exitStatus: number
  constructor(message: string, info: { level?: number; traces?: readonly string[]; exitStatus?: number } = {}) {
    super('ERR_REMOTE', message)
    this.level = info.level ?? 0
    this.traces = info.traces ?? []
    this.exitStatus = info.exitStatus ?? 1
  }
}

/** The client is not allowed to do this (C++: "you are not privileged to …"). */
export class NotPrivilegedError extends NixError {
  constructor(message: string) { super('ERR_NOT_PRIVILEGED', message) }
}

/** An operation or a form of it that this daemon does not implement. */
export class UnsupportedOpError extends NixError {
  constructor(message: string) { super('ERR_UNSUPPORTED_OP', message) }
}

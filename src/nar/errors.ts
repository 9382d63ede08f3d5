/**
 * NAR errors. A NAR that breaks the grammar is a `BadArchiveError` (a ProtocolError: when it
 * arrives on a connection, the connection closes, as in C++ where `parseDump` throws
 * `SerialisationError`). Messages start with "bad archive: " like C++ Nix's, so logs read the
 * same. Misuse of the encoder or of the sink contract is a bug in our code (`NarContractError`);
 * filesystem trouble while dumping or restoring is a `NarDumpError` / `NarRestoreError`.
 */
import { NixError, truncateForMessage } from '../errors.js'
import { ProtocolError } from '../wire/index.js'

/** The bytes are not a valid NAR (base class; each condition has its own subclass and code). */
export class BadArchiveError extends ProtocolError {
  constructor(message: string, code = 'ERR_NAR_BAD_ARCHIVE') { super(`bad archive: ${message}`, code) }
}

/** The input does not start with the `nix-archive-1` magic. */
export class NarMagicError extends BadArchiveError {
  constructor() { super("input doesn't look like a Nix archive", 'ERR_NAR_MAGIC') }
}

/** A grammar token other than the one expected (C++ "expected tag 'x', got 'y'"). */
export class NarTagError extends BadArchiveError {
  constructor(message: string) { super(message, 'ERR_NAR_TAG') }
}

/** An entry name that is empty, `.`, `..`, or contains `/` or NUL (C++ "invalid file name"). */
export class NarNameError extends BadArchiveError {
  constructor(name: Uint8Array) { super(`NAR contains invalid file name ${quoteBytes(name)}`, 'ERR_NAR_NAME') }
}

/** Directory entries not in strictly increasing byte order (unsorted or duplicate). */
export class NarOrderError extends BadArchiveError {
  constructor(prev: Uint8Array, name: Uint8Array) {
    const same = prev.length === name.length && prev.every((b, i) => b === name[i])
    super(same
      ? `NAR directory is not sorted: duplicate entry ${quoteBytes(name)}`
      : `NAR directory is not sorted: ${quoteBytes(name)} after ${quoteBytes(prev)}`, 'ERR_NAR_ORDER')
  }
}

/** Padding after a string or file contents was not all zero. */
export class NarPaddingError extends BadArchiveError {
  constructor(what: string) { super(`non-zero padding after ${what}`, 'ERR_NAR_PADDING') }
}

/** The input ended before the NAR did. */
export class NarTruncatedError extends BadArchiveError {
  constructor(what: string) { super(`unexpected end-of-file while reading ${what}`, 'ERR_NAR_TRUNCATED') }
}

/** A length beyond our named limits (names 255 bytes, symlink targets 4095, nesting depth …). */
export class NarLimitError extends BadArchiveError {
  constructor(what: string, got: bigint | number, max: number) { super(`${what} length ${got} > ${max}`, 'ERR_NAR_LIMIT') }
}

/** A symlink target that is empty or contains NUL (neither can exist on disk; C++ 2.34 refuses both). */
export class NarSymlinkError extends BadArchiveError {
  constructor(target: Uint8Array) {
    super(`NAR contains invalid symlink target ${quoteBytes(target)}${target.length === 0 ? ' (empty)' : ' (contains NUL)'}`, 'ERR_NAR_SYMLINK')
  }
}

/** Directories nested deeper than MAX_DEPTH (C++ 2.34 `narMaxDepth`). */
export class NarDepthError extends BadArchiveError {
  constructor(max: number) { super(`NAR directory nesting exceeds maximum depth of ${max}`, 'ERR_NAR_DEPTH') }
}

/** Bytes follow the end of a NAR where the NAR was supposed to be everything. */
export class NarTrailingDataError extends BadArchiveError {
  constructor(n: number) { super(`${n} bytes of trailing data after the end of the NAR`, 'ERR_NAR_TRAILING') }
}

/**
 * Our own code broke a NAR contract: events out of order, a file's contents not exactly its
 * size, or a sink that returned before draining a file's contents (tvix `FileReader` rule).
 */
export class NarContractError extends NixError {
  constructor(message: string) { super('ERR_NAR_CONTRACT', message) }
}

/** A tree cannot be written as a NAR (bad name or target in events we were asked to encode). */
export class NarEncodeError extends NixError {
  constructor(message: string) { super('ERR_NAR_ENCODE', message) }
}

/** A path cannot be serialised (unsupported file type, file changed while reading). */
export class NarDumpError extends NixError {
  constructor(message: string) { super('ERR_NAR_DUMP', message) }
}

/** A NAR cannot be restored where asked (target exists, …). */
export class NarRestoreError extends NixError {
  constructor(message: string) { super('ERR_NAR_RESTORE', message) }
}

/** Listing JSON (`.ls` files, `nix nar ls --json`) that does not have the expected shape. */
export class NarListingError extends NixError {
  constructor(at: string, message: string) { super('ERR_NAR_LISTING', `invalid NAR listing at '${at || '/'}': ${message}`) }
}

/** Bytes as a quoted, truncated string for messages (C++ prints names as they are). */
export function quoteBytes(b: Uint8Array): string {
  const s = truncateForMessage(b, 1024)
  return `'${s.slice(1, s.endsWith('…') ? -2 : -1)}${s.endsWith('…') ? '…' : ''}'`
}

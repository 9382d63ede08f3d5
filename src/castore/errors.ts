import { NixError, truncateForMessage } from '../errors.js'

/** A name for a message: bytes shown as (lossy) UTF-8, truncated. */
export function truncateName(name: Uint8Array): string { return truncateForMessage(name) }

/**
 * Errors of the castore. Validation errors mirror tvix castore's `DirectoryError` /
 * `ValidateNodeError` variants (castore/src/errors.rs); service errors are ours.
 */
export class CastoreError extends NixError {}

/** A digest is not 32 bytes, or a digest string does not parse. */
export class InvalidDigestError extends CastoreError {
  constructor(message: string) { super('ERR_CASTORE_DIGEST', message) }
}

/** A directory entry name is empty, too long, `.`/`..`, or contains NUL or `/`. */
export class InvalidNameError extends CastoreError {
  constructor(name: Uint8Array, why: string) { super('ERR_CASTORE_NAME', `invalid name ${truncateForMessage(name)}: ${why}`) }
}

/** A symlink target is empty, longer than 4095 bytes, or contains NUL. */
export class InvalidSymlinkTargetError extends CastoreError {
  constructor(target: Uint8Array, why: string) { super('ERR_CASTORE_SYMLINK_TARGET', `invalid symlink target ${truncateForMessage(target)}: ${why}`) }
}

/** A list of a Directory is not sorted by name (tvix `WrongSorting`). */
export class WrongSortingError extends CastoreError {
  constructor(name: Uint8Array) { super('ERR_CASTORE_SORTING', `${truncateForMessage(name)} is not in sorted order`) }
}

/** The same name appears twice in a Directory, in one list or across lists (tvix `DuplicateName`). */
export class DuplicateNameError extends CastoreError {
  constructor(name: Uint8Array) { super('ERR_CASTORE_DUPLICATE_NAME', `${truncateForMessage(name)} is a duplicate name`) }
}

/** A Directory's size would exceed u64 (tvix `SizeOverflow`). */
export class SizeOverflowError extends CastoreError {
  constructor() { super('ERR_CASTORE_SIZE_OVERFLOW', 'directory size exceeds u64::MAX') }
}

/** Bytes are not a valid canonical protobuf encoding of the expected message. */
export class ProtoDecodeError extends CastoreError {
  constructor(message: string) { super('ERR_CASTORE_PROTO', message) }
}

/** A blob or directory that must exist does not. */
export class NotFoundError extends CastoreError {
  constructor(what: string) { super('ERR_CASTORE_NOT_FOUND', `${what} not found`) }
}

/**
 * A directory upload breaks the closure rules: it refers to a directory that is neither
 * present nor sent before it, records a wrong size for a child, or leaves part of the upload
 * unconnected to the root (tvix DirectoryGraph validation).
 */
export class DirectoryClosureError extends CastoreError {
  constructor(message: string) { super('ERR_CASTORE_CLOSURE', message) }
}

/** Stored bytes do not hash to their name, or a blob is shorter/longer than its node says. */
export class CorruptObjectError extends CastoreError {
  constructor(message: string) { super('ERR_CASTORE_CORRUPT', message) }
}

/** A backend was opened with options that contradict how it was created. */
export class CastoreConfigError extends CastoreError {
  constructor(message: string) { super('ERR_CASTORE_CONFIG', message) }
}

/** A size is negative or does not fit u64. */
export class InvalidSizeError extends CastoreError {
  constructor(what: string, got: bigint) { super('ERR_CASTORE_SIZE', `${what} ${got} is not a u64`) }
}

/** A blob writer was used after it was closed or aborted (a caller bug). */
export class WriterStateError extends CastoreError {
  constructor(message: string) { super('ERR_CASTORE_WRITER', message) }
}

/** Materialisation would overwrite something that exists. */
export class DestinationExistsError extends CastoreError {
  constructor(path: string) { super('ERR_CASTORE_EXISTS', `cannot materialise to ${JSON.stringify(path)}: it already exists`) }
}

/** Ingestion met something other than a regular file, directory or symlink. */
export class UnsupportedFileTypeError extends CastoreError {
  constructor(path: string) { super('ERR_CASTORE_FILE_TYPE', `unsupported file type at ${JSON.stringify(path)}: expected a regular file, directory or symlink`) }
}

import { NixError } from '../errors.js'

/** A store operation was refused or failed in a way the client should see (STDERR_ERROR). */
export class StoreError extends NixError {
  constructor(message: string, code = 'ERR_STORE') { super(code, message) }
}

/** NAR hash, size or content address did not match what the caller stated. */
export class HashMismatchError extends StoreError {
  constructor(message: string) { super(message, 'ERR_STORE_HASH_MISMATCH') }
}

/** An untrusted path without a valid signature by a trusted key. */
export class UntrustedPathError extends StoreError {
  constructor(message: string) { super(message, 'ERR_STORE_UNTRUSTED') }
}

/** The client may not do this (not in trusted-users). */
export class NotPrivilegedError extends StoreError {
  constructor(message: string) { super(message, 'ERR_STORE_NOT_PRIVILEGED') }
}

/** The path is not valid in this store. */
export class InvalidStorePathError extends StoreError {
  constructor(message: string) { super(message, 'ERR_STORE_INVALID_PATH') }
}

/** Something tsnix does not implement (yet): a clear error instead of wrong behaviour. */
export class UnsupportedError extends StoreError {
  constructor(message: string) { super(message, 'ERR_STORE_UNSUPPORTED') }
}

import { NixError } from '../errors.js'

/** A BuildRequest or derivation input that cannot be turned into a sandbox (bad path, bad value). */
export class SandboxRequestError extends NixError {
  constructor(message: string) { super('ERR_SANDBOX_REQUEST', message) }
}

/** The container runtime failed outside the builder's control (runc missing, bundle rejected, agent died). */
export class SandboxRuntimeError extends NixError {
  constructor(message: string, options?: { cause?: unknown }) { super('ERR_SANDBOX_RUNTIME', message, options) }
}

/** Canonicalising an output found something Nix rejects (unsupported file type, foreign owner). */
export class CanonicaliseError extends NixError {
  constructor(message: string) { super('ERR_CANONICALISE', message) }
}

import { NixError } from '../errors.js'
import { BuildStatus } from '../store-path/index.js'

/**
 * A build that ended with a BuildResult status other than success (C++ `BuildError` with its
 * `BuildResult::Status`). The message is what C++ puts in `errorMsg`, ANSI colours included.
 */
export class BuildError extends NixError {
  readonly status: BuildStatus
  constructor(status: BuildStatus, message: string) {
    super('ERR_BUILD', message)
    this.status = status
  }
}

/** The build was cancelled (client gone, daemon stopping) before it finished. */
export class BuildCancelledError extends NixError {
  constructor(message: string) { super('ERR_BUILD_CANCELLED', message) }
}

/** A built-in builder (`builtin:fetchurl`, …) failed; the message becomes the build's log. */
export class BuiltinBuilderError extends NixError {
  /** C++ error traces (`… writing file "…"`), outermost first. */
  readonly traces: readonly string[]
  constructor(message: string, traces: readonly string[] = []) {
    super('ERR_BUILTIN_BUILDER', message)
    this.traces = traces
  }
}

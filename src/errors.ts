/**
 * The base of every error tsnix raises on purpose. `code` is stable (tests and logs key on it);
 * `name` is the class name. Each folder defines its subclasses in its own `errors.ts`, and one
 * table test walks all of them (src/errors.test.ts).
 *
 * Three families (docs/STYLE.md): a ProtocolError closes the connection; domain errors reach
 * the client as STDERR_ERROR; anything else is a bug.
 */
export class NixError extends Error {
  readonly code: string
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.code = code
    this.name = new.target.name
  }
}

/** Shorten a value for an error message: messages say what was received, truncated. */
export function truncateForMessage(value: string | Uint8Array, max = 80): string {
  const s = typeof value === 'string' ? value : new TextDecoder('utf-8', { fatal: false }).decode(value.subarray(0, max * 4))
  return s.length > max ? JSON.stringify(s.slice(0, max)) + '…' : JSON.stringify(s)
}

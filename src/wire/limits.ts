/**
 * Named limits for lengths and counts read from a peer. Every length is checked against one of
 * these before anything is allocated (tvix `read_bytes(…, allowed_size)`).
 */
export const LIMITS = {
  /** A store path or other short string (store dir + 32 + 1 + 211 < 4096). */
  path: 4096,
  /** Any string we expect to be short: names, hash strings, setting names and values. */
  shortString: 64 * 1024,
  /** Text bodies sent inline (AddTextToStore, realisation JSON, error messages). */
  text: 64 * 1024 * 1024,
  /** Elements in a list or map. */
  listCount: 16 * 1024 * 1024,
  /** One frame of a framed stream (stock clients send ≤ 32 KiB; be generous). */
  frame: 64 * 1024 * 1024,
  /**
   * Everything one request may need buffered at once (a daemon's bound per connection; the
   * largest legitimate one is an AddTextToStore body of LIMITS.text, or a QueryValidPaths of
   * about a million paths). Uploads that follow a request stream and are not counted.
   */
  request: 96 * 1024 * 1024,
} as const

export type LimitName = keyof typeof LIMITS

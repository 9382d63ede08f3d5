/**
 * A NAR as a flat sequence of events, shared by the decoder (which produces them) and the
 * encoder (which consumes them). One NAR is exactly one node:
 *
 *   node = directory (entry node)* directoryEnd
 *        | regular contents*          — the contents add up to `size` bytes
 *        | symlink
 *
 * An `entry` names the node that follows it within the innermost open directory. Names and
 * targets are bytes (a NAR does not promise UTF-8).
 */
export type NarEvent =
  | { readonly kind: 'directory' }
  | { readonly kind: 'entry'; readonly name: Uint8Array }
  | { readonly kind: 'directoryEnd' }
  | { readonly kind: 'regular'; readonly executable: boolean; readonly size: number }
  | { readonly kind: 'contents'; readonly data: Uint8Array }
  | { readonly kind: 'symlink'; readonly target: Uint8Array }

export type NarEventKind = NarEvent['kind']

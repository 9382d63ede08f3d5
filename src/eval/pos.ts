/**
 * Source positions (C++ Nix `PosTable`/`PosIdx`): every parsed text is an *origin* holding a
 * range of position indices, so a position is one small integer (`base + byte offset`) and is
 * turned into file:line:column only when an error is printed.
 *
 * Source texts are "binary strings": one JS char per byte (latin1), as everywhere in the
 * evaluator, so offsets and columns count bytes like C++ Nix.
 */

/** Where a text came from; printed as `«stdin»`, `«string»` or the file path. */
export type OriginKind = 'stdin' | 'string' | 'file' | 'none'

export interface Origin {
  readonly kind: OriginKind
  /** File path (kind 'file') or a label such as `«nix-internal»/derivation-internal.nix`. */
  readonly path: string
  readonly text: string
  readonly base: number
  lineStarts?: number[]
}

/** A resolved position. `line`/`column` are 1-based; column counts bytes. */
export interface Pos {
  readonly origin: Origin
  readonly line: number
  readonly column: number
}

/** Position index: 0 means "no position". */
export type PosIdx = number
export const noPos: PosIdx = 0

export class PosTable {
  private readonly origins: Origin[] = []
  private next = 1

  addOrigin(kind: OriginKind, path: string, text: string): Origin {
    const o: Origin = { kind, path, text, base: this.next }
    this.origins.push(o)
    this.next += text.length + 1
    return o
  }

  originOf(idx: PosIdx): Origin | undefined {
    if (idx <= 0) return undefined
    const os = this.origins
    let lo = 0
    let hi = os.length - 1
    while (lo <= hi) {
      const mid = (lo + hi) >> 1
      const o = os[mid]!
      if (idx < o.base) hi = mid - 1
      else if (idx > o.base + o.text.length) lo = mid + 1
      else return o
    }
    return undefined
  }

  resolve(idx: PosIdx): Pos | undefined {
    const o = this.originOf(idx)
    if (!o) return undefined
    return resolveOffset(o, idx - o.base)
  }
}

/** Line starts: after LF, CR LF, or a lone CR (C++ Nix counts all three as line ends). */
function lineStarts(o: Origin): number[] {
  if (o.lineStarts) return o.lineStarts
  const ls = [0]
  const t = o.text
  for (let i = 0; i < t.length; i++) {
    const c = t.charCodeAt(i)
    if (c === 10) ls.push(i + 1)
    else if (c === 13) {
      if (t.charCodeAt(i + 1) === 10) i++
      ls.push(i + 1)
    }
  }
  o.lineStarts = ls
  return ls
}

export function resolveOffset(o: Origin, offset: number): Pos {
  const ls = lineStarts(o)
  let lo = 0
  let hi = ls.length - 1
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1
    if (ls[mid]! <= offset) lo = mid
    else hi = mid - 1
  }
  return { origin: o, line: lo + 1, column: offset - ls[lo]! + 1 }
}

/** `«stdin»`, `«string»`, `/path/file.nix` — as C++ prints an origin. */
export function showOrigin(o: Origin): string {
  switch (o.kind) {
    case 'stdin': return '\xc2\xabstdin\xc2\xbb'
    case 'string': return '\xc2\xabstring\xc2\xbb'
    case 'none': return '\xc2\xabnone\xc2\xbb'
    default: return o.path
  }
}

export function showPos(p: Pos): string {
  return `${showOrigin(p.origin)}:${p.line}:${p.column}`
}

/** The line `n` (1-based) of the origin's text, without its newline, or undefined. */
export function lineOfCode(o: Origin, n: number): string | undefined {
  const ls = lineStarts(o)
  if (n < 1 || n > ls.length) return undefined
  const start = ls[n - 1]!
  const end = n < ls.length ? ls[n]! : o.text.length
  return o.text.slice(start, end).replace(/\r?\n$|\r$/, '')
}

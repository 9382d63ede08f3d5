/**
 * toml11's error report (`toml::format_error` with colours off, as C++ Nix gets it):
 *
 *   [error] toml::parse_dec_integer: too large integer: current max digits = 2^63
 *    --> fromTOML
 *      |
 *    1 | attr = 9223372036854775808
 *      |                           ^-- must be < 2^63
 *
 * Regions are byte offsets into the document as the parser saw it (a '\n' appended when the
 * text does not end in a newline, a BOM skipped but still counted).
 */

export interface Region {
  readonly first: number
  readonly last: number
}

export interface TomlErrorInfo {
  readonly title: string
  readonly locations: ReadonlyArray<readonly [Region, string]>
  readonly suffix: string
  /** Whether title and locations are toml11's own for this error (see FromTomlError.exact). */
  readonly exact: boolean
}

const FILE_NAME = 'fromTOML'

/** toml11 `show_char` for bytes that are not graphic (and not a space). */
function showChar(c: number): string {
  const names: Record<number, string> = {
    0x00: 'NUL', 0x07: 'BELL', 0x08: 'BACKSPACE', 0x09: 'CHARACTER TABULATION', 0x0a: 'LINE FEED',
    0x0b: 'LINE TABULATION', 0x0c: 'FORM FEED', 0x0d: 'CARRIAGE RETURN', 0x1b: 'ESCAPE', 0x7f: 'DELETE',
  }
  const hex = '0x' + c.toString(16).padStart(2, '0')
  return names[c] !== undefined ? `${hex}(${names[c]})` : hex
}

function lineOf(src: string, pos: number): { start: number; end: number; number: number } {
  const start = src.lastIndexOf('\n', pos - 1) + 1
  let end = src.indexOf('\n', pos)
  if (end < 0) end = src.length
  let number = 1
  for (let i = src.indexOf('\n'); i >= 0 && i < start; i = src.indexOf('\n', i + 1)) number++
  return { start, end, number }
}

function showLine(src: string, start: number, end: number): string {
  let out = ''
  for (let i = start; i < end; i++) {
    const c = src.charCodeAt(i)
    out += (c > 0x20 && c < 0x7f) || c === 0x20 ? src[i] : showChar(c)
  }
  return out
}

export function formatError(src: string, e: TomlErrorInfo): string {
  const located = e.locations.map(([r, msg]) => {
    const a = lineOf(src, r.first)
    const last = Math.max(r.first, r.last - 1)
    const b = last <= a.end ? a : lineOf(src, last)
    return { r, msg, a, b }
  })
  const lnw = Math.max(0, ...located.map((l) => String(l.b.number).length))
  const pad = ' '.repeat(lnw + 1)
  const line = (n: number, text: string): string => ` ${String(n).padStart(lnw)} | ${text}\n`
  const underline = (col: number, len: number, msg: string): string =>
    `${pad} | ${' '.repeat(col === 0 ? 0 : col - 1)}${'^'.repeat(len)}-- ${msg}\n`
  let out = `[error] ${e.title}\n`
  located.forEach(({ r, msg, a, b }, i) => {
    if (i > 0) out += `${pad} | ...\n${pad} |\n`
    if (i === 0) out += ` --> ${FILE_NAME}\n${pad} |\n`
    const firstText = showLine(src, a.start, a.end)
    const col = r.first - a.start + 1
    if (a === b) {
      const limit = firstText.length < col ? 1 : firstText.length - col + 1
      out += line(a.number, firstText)
      out += underline(col, Math.min(limit, r.last - r.first), msg)
    } else {
      out += line(a.number, firstText)
      out += underline(col, firstText.length - col + 1, b.number - a.number > 1 ? 'and' : '')
      if (b.number - a.number === 2) {
        const mid = lineOf(src, a.end + 1)
        const midText = showLine(src, mid.start, mid.end)
        out += line(mid.number, midText) + underline(1, midText.length, 'and')
      } else if (b.number - a.number > 2) {
        out += line(a.number + 1, ' ...') + `${pad} |\n`
      }
      out += line(b.number, showLine(src, b.start, b.end))
      out += underline(1, r.last - b.start, msg)
    }
  })
  return out + e.suffix
}

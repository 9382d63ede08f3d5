/**
 * toml11's error report (`toml::format_error` with colours off, as C++ Nix gets it), including
 * how it cuts long lines (30 bytes either side of the region) and how it shows bytes that are
 * not printable (`0x0d(CARRIAGE RETURN)`):
 *
 *   [error] toml::parse_dec_integer: too large integer: current max digits = 2^63
 *    --> fromTOML
 *      |
 *    1 | attr = 9223372036854775808
 *      |                           ^-- must be < 2^63
 *
 * Regions are byte offsets into the document as the parser saw it (a '\n' appended when the
 * text does not end in a newline; a BOM skipped but still counted).
 */

/** [first, last) in bytes. */
export interface Region {
  readonly first: number
  readonly last: number
  /** Made from one position that is not the end (toml11 `region(loc)`): it stays on its line. */
  readonly point?: true
}

export interface TomlErrorInfo {
  readonly title: string
  readonly locations: ReadonlyArray<readonly [Region, string]>
  readonly suffix: string
  /** The text the regions refer to when it is not the document (toml11's temporary copies). */
  readonly source?: { readonly name: string; readonly text: string }
}

const FILE_NAME = 'fromTOML'

/** toml11 `show_char`, used for bytes that are neither graphic nor a space. */
function showChar(c: number): string {
  const names: Record<number, string> = {
    0x00: 'NUL', 0x20: 'SPACE', 0x0a: 'LINE FEED', 0x0d: 'CARRIAGE RETURN', 0x09: 'TAB',
    0x0b: 'VERTICAL TAB', 0x0c: 'FORM FEED', 0x1b: 'ESCAPE',
  }
  const hex = '0x' + c.toString(16).padStart(2, '0')
  return names[c] !== undefined ? `${hex}(${names[c]})` : hex
}

function lineNumber(src: string, pos: number): number {
  let n = 1
  for (let i = src.indexOf('\n'); i >= 0 && i < pos; i = src.indexOf('\n', i + 1)) n++
  return n
}

/** `region::take_line`: the line(s) around [begin, end], cut 30 bytes out; text and offset. */
function takeLine(src: string, begin: number, end: number): [string, number] {
  const n = src.length
  const cappedBegin = begin <= 30 ? 0 : begin - 30
  const cappedEnd = n - end <= 30 ? n : end + 30
  let base = cappedBegin
  for (let i = begin - 1; i >= cappedBegin; i--) if (src[i] === '\n') { base = i + 1; break }
  let after = src.indexOf('\n', end)
  if (after < 0 || after > cappedEnd) after = cappedEnd
  let text = src.slice(base, after)
  let offset = begin - base
  if (base !== 0 && src[base - 1] !== '\n') { text = '... ' + text; offset += 4 }
  if (after !== n && src[after] !== '\n') text += ' ...'
  return [text, offset]
}

/** `region::as_lines`. */
function asLines(src: string, r: Region, firstLine: number, lastLine: number): Array<[string, number]> {
  if (r.last === r.first) return [['', 0]]
  const begin = r.first, end = r.last - 1
  if (firstLine === lastLine) return [takeLine(src, begin, end)]
  const cappedFileEnd = src.length - begin > 60 ? begin + 50 : src.length
  const cappedFileBegin = end > 60 ? end - 50 : 0
  let firstLineEnd = src.indexOf('\n', begin)
  if (firstLineEnd < 0 || firstLineEnd > cappedFileEnd) firstLineEnd = cappedFileEnd
  let lastLineBegin = src.indexOf('\n', cappedFileBegin)
  if (lastLineBegin < 0 || lastLineBegin > end) lastLineBegin = end
  const first = takeLine(src, begin, firstLineEnd)
  const last = takeLine(src, lastLineBegin, end)
  return firstLine + 1 === lastLine ? [first, last] : [first, ['...', 0], last]
}

function showLine(text: string): string {
  let out = ''
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    out += (c > 0x20 && c < 0x7f) || c === 0x20 ? text[i] : showChar(c)
  }
  return out
}

export function formatError(doc: string, e: TomlErrorInfo): string {
  const src = e.source?.text ?? doc
  const located = e.locations.map(([r, msg]) => {
    const firstLine = lineNumber(src, r.first)
    const lastLine = r.point ? firstLine : lineNumber(src, r.last)
    return { r, msg, firstLine, lastLine, lines: asLines(src, r, firstLine, lastLine) }
  })
  const lnw = Math.max(0, ...located.map((l) => (l.lastLine === 0 ? 0 : String(l.lastLine).length)))
  const pad = ' '.repeat(lnw + 1)
  const line = (num: number, text: string): string => ` ${String(num).padStart(lnw)} | ${showLine(text)}\n`
  const underline = (col: number, len: number, msg: string): string =>
    `${pad} | ${' '.repeat(col === 0 ? 0 : col - 1)}${'^'.repeat(Math.max(0, len))}-- ${msg}\n`
  let out = `[error] ${e.title}\n`
  located.forEach(({ r, msg, firstLine, lastLine, lines }, i) => {
    if (i > 0) out += `${pad} | ...\n${pad} |\n`
    else out += ` --> ${e.source?.name ?? FILE_NAME}\n${pad} |\n`
    const [firstText, firstOff] = lines[0]!
    const col = firstOff + 1
    if (lines.length === 1) {
      const limit = firstText.length < col ? 1 : firstText.length - col + 1
      out += line(firstLine, firstText) + underline(col, Math.min(limit, r.last - r.first), msg)
      return
    }
    const [lastText, lastOff] = lines[lines.length - 1]!
    out += line(firstLine, firstText) + underline(col, firstText.length - col + 1, lines.length === 2 ? '' : 'and')
    if (lines.length === 3) out += line(firstLine + 1, '...') + underline(1, 3, 'and')
    out += line(lastLine, lastText) + underline(1, lastOff + 1, msg)
  })
  return out + e.suffix
}

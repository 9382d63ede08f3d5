/**
 * What C++ Nix's logger does to every line it writes to a non-terminal stderr
 * (`filterANSIEscapes(s, filterAll = true)`): escape sequences removed, `\r` and BEL dropped,
 * tabs expanded to the next multiple of 8 display columns (counted from the start of the whole
 * message: newlines take no column). Works on binary strings (one char per byte).
 */

/** Display width of a code point, close to widechar_wcwidth as C++ uses it (wide = 2, combining/control = 0). */
function charWidth(cp: number): number {
  if (cp < 0x20 || (cp >= 0x7f && cp < 0xa0)) return 0
  if (cp < 0x300) return 1
  if ((cp >= 0x300 && cp <= 0x36f) || (cp >= 0x1ab0 && cp <= 0x1aff) || (cp >= 0x1dc0 && cp <= 0x1dff) ||
    (cp >= 0x20d0 && cp <= 0x20ff) || (cp >= 0xfe20 && cp <= 0xfe2f) || cp === 0x200b || cp === 0x200c || cp === 0x200d ||
    cp === 0xfeff || (cp >= 0xfe00 && cp <= 0xfe0f)) return 0
  if ((cp >= 0x1100 && cp <= 0x115f) || (cp >= 0x2e80 && cp <= 0x303e) || (cp >= 0x3041 && cp <= 0x33ff) ||
    (cp >= 0x3400 && cp <= 0x4dbf) || (cp >= 0x4e00 && cp <= 0x9fff) || (cp >= 0xa000 && cp <= 0xa4cf) ||
    (cp >= 0xac00 && cp <= 0xd7a3) || (cp >= 0xf900 && cp <= 0xfaff) || (cp >= 0xfe30 && cp <= 0xfe4f) ||
    (cp >= 0xff00 && cp <= 0xff60) || (cp >= 0xffe0 && cp <= 0xffe6) || (cp >= 0x1f300 && cp <= 0x1f64f) ||
    (cp >= 0x1f900 && cp <= 0x1f9ff) || (cp >= 0x20000 && cp <= 0x3fffd)) return 2
  return 1
}

/** C++ charWidthUTF8Helper: [display width, bytes] of the UTF-8 character at `i`. */
function charAt(s: string, i: number): [number, number] {
  const c = s.charCodeAt(i)
  let bytes = 1
  let cp = c
  let max = 0x80
  if ((c & 0x80) === 0) { /* ASCII */ } else if ((c & 0xe0) === 0xc0) { cp = c & 0x1f; bytes = 2; max = 1 << 11 } else if ((c & 0xf0) === 0xe0) { cp = c & 0x0f; bytes = 3; max = 1 << 16 } else if ((c & 0xf8) === 0xf0) { cp = c & 0x07; bytes = 4; max = 0x110000 } else return [1, 1]
  for (let k = 1; k < bytes; k++) {
    const d = i + k < s.length ? s.charCodeAt(i + k) : -1
    if (d < 0 || (d & 0xc0) !== 0x80) return [k, k]
    cp = (cp << 6) | (d & 0x3f)
  }
  return [cp < max ? charWidth(cp) : bytes, bytes]
}

export function filterANSIEscapes(s: string): string {
  // Fast path: nothing to do for the usual message.
  if (!/[\x1b\t\r\x07]/.test(s)) return s
  let t = ''
  let w = 0
  let i = 0
  const n = s.length
  while (i < n) {
    const c = s.charCodeAt(i)
    if (c === 0x1b) {
      i++
      if (i < n && s[i] === '[') {
        i++
        while (i < n && s.charCodeAt(i) >= 0x30 && s.charCodeAt(i) <= 0x3f) i++
        while (i < n && s.charCodeAt(i) >= 0x20 && s.charCodeAt(i) <= 0x2f) i++
        if (i < n && s.charCodeAt(i) >= 0x40 && s.charCodeAt(i) <= 0x7e) i++
      } else if (i < n && s[i] === ']') {
        i++
        while (i < n && s[i] !== '\x1b' && s[i] !== '\x07') i++
        if (i < n) {
          const v = s[i]
          i++
          if (i < n && v === '\x1b' && s[i] === '\\') i++
        }
      } else if (i < n && s.charCodeAt(i) >= 0x40 && s.charCodeAt(i) <= 0x5f) i++
    } else if (c === 0x09) {
      do { w++; t += ' ' } while (w % 8 !== 0)
      i++
    } else if (c === 0x0d || c === 0x07) {
      i++
    } else {
      const [width, bytes] = charAt(s, i)
      w += width
      t += s.slice(i, i + bytes)
      i += bytes
    }
  }
  return t
}

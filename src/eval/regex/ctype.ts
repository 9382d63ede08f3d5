/**
 * The character tables std::regex consults, as they are in the "C" locale C++ Nix runs
 * std::regex under (it never installs a global C++ locale): glibc's ctype classes for the
 * 128 ASCII bytes (bytes ≥ 0x80 belong to no class), the class names `regex_traits::
 * lookup_classname` knows, and the collating-element names of `lookup_collatename`.
 */

/** One bit per glibc ctype class; a class name maps to a union of these. */
const UPPER = 1, LOWER = 2, DIGIT = 4, XDIGIT = 8, SPACE = 16, BLANK = 32, CNTRL = 64, PUNCT = 128, PRINT = 256
/** Not a ctype class: `[[:w:]]` is alnum plus '_' (libstdc++ `_RegexMask::_S_under`). */
const UNDERSCORE = 512
const ALPHA = UPPER | LOWER
const ALNUM = ALPHA | DIGIT
const GRAPH = ALNUM | PUNCT

function classesOf(c: number): number {
  let m = 0
  if (c >= 0x41 && c <= 0x5a) m |= UPPER
  if (c >= 0x61 && c <= 0x7a) m |= LOWER
  if (c >= 0x30 && c <= 0x39) m |= DIGIT | XDIGIT
  if ((c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66)) m |= XDIGIT
  if (c === 0x20 || (c >= 0x09 && c <= 0x0d)) m |= SPACE
  if (c === 0x20 || c === 0x09) m |= BLANK
  if (c < 0x20 || c === 0x7f) m |= CNTRL
  if (c >= 0x20 && c < 0x7f) m |= PRINT
  if (c > 0x20 && c < 0x7f && !(m & ALNUM)) m |= PUNCT
  return m
}

/** `ctypeTable[byte]`: the class bits of each byte in the C locale. */
export const ctypeTable: Uint16Array = (() => {
  const t = new Uint16Array(256)
  for (let c = 0; c < 128; c++) t[c] = classesOf(c)
  return t
})()

const classNames = new Map<string, number>([
  ['d', DIGIT], ['w', ALNUM | UNDERSCORE], ['s', SPACE],
  ['alnum', ALNUM], ['alpha', ALPHA], ['blank', BLANK], ['cntrl', CNTRL], ['digit', DIGIT],
  ['graph', GRAPH], ['lower', LOWER], ['print', PRINT], ['punct', PUNCT], ['space', SPACE],
  ['upper', UPPER], ['xdigit', XDIGIT],
])

/** The class mask for a `[:name:]` (matched case-insensitively, as libstdc++ does), or 0. */
export function lookupClassName(name: string): number {
  return classNames.get(name.replace(/[A-Z]/g, (ch) => ch.toLowerCase())) ?? 0
}

/** Whether `byte` is in the class `mask` (any of its bits; `_` for the `w` extension). */
export function isCtype(byte: number, mask: number): boolean {
  return (ctypeTable[byte]! & mask) !== 0 || ((mask & UNDERSCORE) !== 0 && byte === 0x5f)
}

/**
 * `lookup_collatename`: the POSIX names of the 128 ASCII characters, index = character code.
 * Single characters are accepted only where their name is themselves (letters), so `[[.a.]]`
 * is valid and `[[.-.]]` is not.
 */
const collateNames = [
  'NUL', 'SOH', 'STX', 'ETX', 'EOT', 'ENQ', 'ACK', 'alert', 'backspace', 'tab', 'newline',
  'vertical-tab', 'form-feed', 'carriage-return', 'SO', 'SI', 'DLE', 'DC1', 'DC2', 'DC3', 'DC4',
  'NAK', 'SYN', 'ETB', 'CAN', 'EM', 'SUB', 'ESC', 'IS4', 'IS3', 'IS2', 'IS1', 'space',
  'exclamation-mark', 'quotation-mark', 'number-sign', 'dollar-sign', 'percent-sign', 'ampersand',
  'apostrophe', 'left-parenthesis', 'right-parenthesis', 'asterisk', 'plus-sign', 'comma', 'hyphen',
  'period', 'slash', 'zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine',
  'colon', 'semicolon', 'less-than-sign', 'equals-sign', 'greater-than-sign', 'question-mark',
  'commercial-at', ...'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'left-square-bracket', 'backslash',
  'right-square-bracket', 'circumflex', 'underscore', 'grave-accent', ...'abcdefghijklmnopqrstuvwxyz',
  'left-curly-bracket', 'vertical-line', 'right-curly-bracket', 'tilde', 'DEL',
]
const collateIndex = new Map(collateNames.map((n, i) => [n, i]))

/** The character a collating-element name stands for, or -1. */
export function lookupCollateName(name: string): number {
  return collateIndex.get(name) ?? -1
}

/** C-locale `tolower` on a byte. */
export function toLowerByte(c: number): number {
  return c >= 0x41 && c <= 0x5a ? c + 32 : c
}

/**
 * The order of C++ `std::string::operator<` on UTF-8 text (unsigned bytes), which is the
 * order of `std::map`/`std::set` keys in ATerm and JSON output. It equals code point order,
 * and differs from JavaScript's default UTF-16 order when characters above U+FFFF meet
 * characters in U+E000..U+FFFF.
 */
const HIGH = /[\ud800-\uffff]/

export function compareUtf8(a: string, b: string): number {
  if (a === b) return 0
  // UTF-16 order is byte order unless both hold units from U+D800 up (the usual case is fast)
  if (!HIGH.test(a) || !HIGH.test(b)) return a < b ? -1 : 1
  const n = Math.min(a.length, b.length)
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i)
    const y = b.charCodeAt(i)
    if (x !== y) {
      // Only a surrogate against a unit in U+E000..U+FFFF needs care: compare code points
      if (x >= 0xd800 && y >= 0xd800) {
        const cx = a.codePointAt(i)!
        const cy = b.codePointAt(i)!
        return cx < cy ? -1 : 1
      }
      return x < y ? -1 : 1
    }
  }
  return a.length - b.length
}

/** Sorted copy in C++ order, duplicates removed. */
export function sortedUnique(items: Iterable<string>): string[] {
  const out = [...new Set(items)].sort(compareUtf8)
  return out
}

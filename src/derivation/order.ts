/**
 * The order of C++ `std::string::operator<` on UTF-8 text (unsigned bytes), which is the
 * order of `std::map`/`std::set` keys in ATerm and JSON output. It equals code point order,
 * and differs from JavaScript's default UTF-16 order when characters above U+FFFF meet
 * characters in U+E000..U+FFFF.
 */
export function compareUtf8(a: string, b: string): number {
  if (a === b) return 0
  // UTF-16 order is byte order except where a surrogate meets a unit in U+E000..U+FFFF, so
  // only the first differing pair needs a look (no regular expression per comparison)
  const n = Math.min(a.length, b.length)
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i)
    const y = b.charCodeAt(i)
    if (x !== y) {
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

import { compileEre } from './compile.js'
import { InvalidRegexError, RegexTooLargeError } from './errors.js'
import { Executor } from './exec.js'
import { toJsRegExp } from './js-translate.js'

/** Captured substrings of groups 1…n; null for a group that did not take part. */
export type Captures = Array<string | null>

/** One match as `builtins.split` sees it: offsets into the subject, and the captures. */
export interface SearchMatch {
  readonly start: number
  readonly end: number
  readonly groups: Captures
}

/** An element of `builtins.split`'s result: the text between matches, or a match's captures. */
export type SplitPiece = string | Captures

/** A compiled POSIX ERE with C++ Nix's matching semantics. Obtain one from `compilePosixEre`. */
export class PosixRegex {
  /** Number of capture groups (group 0, the whole match, not counted). */
  readonly groupCount: number
  private readonly exec: Executor
  private readonly jsMatch: RegExp | undefined
  private readonly jsSearch: RegExp | undefined

  /** @internal use compilePosixEre (cached). */
  constructor(readonly pattern: string) {
    const { nfa, ast } = compileEre(pattern)
    this.groupCount = nfa.groups - 1
    this.exec = new Executor(nfa)
    this.jsMatch = toJsRegExp(ast, 'match')
    this.jsSearch = toJsRegExp(ast, 'search')
  }

  /** Whether the JavaScript fast path serves `match` / `split` (for tests and benchmarks). */
  get fastPaths(): { match: boolean; split: boolean } {
    return { match: this.jsMatch !== undefined, split: this.jsSearch !== undefined }
  }

  /**
   * `builtins.match`: the captures if the regex matches all of `s` (`std::regex_match`), else
   * null. `s` is a binary string (one char per byte), and so are the captures.
   */
  matchWhole(s: string): Captures | null {
    if (this.jsMatch !== undefined) {
      const m = this.tryJs(() => this.jsMatch!.exec(s))
      if (m !== undefined) {
        if (m === null) return null
        const out: Captures = new Array(this.groupCount)
        for (let i = 0; i < this.groupCount; i++) out[i] = m[i + 1] ?? null
        return out
      }
    }
    return this.exec.matchWhole(s) ? this.captures(s) : null
  }

  /** The slow path only, whatever the fast path would do (for differential tests). */
  matchWholeSlow(s: string): Captures | null {
    return this.exec.matchWhole(s) ? this.captures(s) : null
  }

  /**
   * The matches `std::cregex_iterator` visits over `s`, as `builtins.split` consumes them: after
   * an empty match it retries at the same place for a non-empty one (`match_not_null |
   * match_continuous`), then moves on one byte.
   */
  searchAll(s: string, slow = false): SearchMatch[] {
    if (!slow && this.jsSearch !== undefined) {
      const r = this.tryJs(() => this.searchAllJs(s, this.jsSearch!))
      if (r !== undefined) return r
    }
    const out: SearchMatch[] = []
    const ex = this.exec
    let prevAvail = false
    if (!ex.search(s, 0, false, false, false)) return out
    for (;;) {
      const start = ex.result[0]!, end = ex.result[1]!
      out.push({ start, end, groups: this.captures(s) })
      let from = end
      if (start === end) {
        if (end === s.length) return out
        if (ex.search(s, end, true, true, prevAvail)) continue
        from = end + 1
      }
      prevAvail = true
      if (!ex.search(s, from, false, false, true)) return out
    }
  }

  /**
   * `builtins.split`: the text before, between and after the matches, with each match's
   * captures in between (a list of 2·matches + 1 elements; `[s]` when nothing matches).
   */
  split(s: string): SplitPiece[] {
    const matches = this.searchAll(s)
    if (matches.length === 0) return [s]
    const out: SplitPiece[] = []
    let prevEnd = 0
    for (const m of matches) {
      out.push(s.slice(prevEnd, m.start), m.groups)
      prevEnd = m.end
    }
    out.push(s.slice(prevEnd))
    return out
  }

  private searchAllJs(s: string, re: RegExp): SearchMatch[] {
    const out: SearchMatch[] = []
    re.lastIndex = 0
    for (let m = re.exec(s); m !== null; m = re.exec(s)) {
      const groups: Captures = new Array(this.groupCount)
      for (let i = 0; i < this.groupCount; i++) groups[i] = m[i + 1] ?? null
      out.push({ start: m.index, end: m.index + m[0].length, groups })
    }
    return out
  }

  /** Irregexp gives up on very deep backtracking; the explicit-stack engine does not. */
  private tryJs<T>(f: () => T): T | undefined {
    try { return f() } catch (e) {
      if (e instanceof RangeError) return undefined
      throw e
    }
  }

  private captures(s: string): Captures {
    const r = this.exec.result
    const out: Captures = new Array(this.groupCount)
    for (let g = 1; g <= this.groupCount; g++) {
      const a = r[2 * g]!
      out[g - 1] = a < 0 ? null : s.slice(a, r[2 * g + 1]!)
    }
    return out
  }
}

const MAX_CACHED = 4096
const cache = new Map<string, PosixRegex | InvalidRegexError | RegexTooLargeError>()

/**
 * The compiled regex for `pattern` (a binary string), from a cache like C++ Nix's RegexCache.
 * Throws `InvalidRegexError` or `RegexTooLargeError` (also cached) for patterns libstdc++
 * rejects.
 */
export function compilePosixEre(pattern: string): PosixRegex {
  let r = cache.get(pattern)
  if (r === undefined) {
    try { r = new PosixRegex(pattern) } catch (e) {
      if (!(e instanceof InvalidRegexError || e instanceof RegexTooLargeError)) throw e
      r = e
    }
    if (cache.size >= MAX_CACHED) cache.clear()
    cache.set(pattern, r)
  }
  if (r instanceof PosixRegex) return r
  throw r
}

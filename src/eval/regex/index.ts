/**
 * POSIX extended regular expressions with the semantics C++ Nix's `builtins.match` and
 * `builtins.split` have: those compile with libstdc++'s `std::regex(p, std::regex::extended)`
 * (primops.cc `RegexCache`) and run `std::regex_match` / `std::cregex_iterator`. That is
 * neither JavaScript's dialect nor textbook POSIX:
 *
 * - syntax: bracket expressions with `[:class:]`, `[.name.]`, `[=x=]`, a leading `]` literal,
 *   no backslash escapes inside brackets, `]` and `}` ordinary outside; only the 12 special
 *   characters `.[\()*+?{|^$` may be escaped (`\d`, `\w`, `\1`, `\n` are errors); no
 *   backreferences, lookaround or lazy quantifiers (`a*?` is `(a*)?`); `{,n}` is an error;
 * - errors: whatever libstdc++ rejects throws `InvalidRegexError` ("invalid regular expression
 *   '…'"); automata over 100000 states throw `RegexTooLargeError` ("memory limit exceeded by
 *   regular expression '…'");
 * - which match: libstdc++'s depth-first executor (see exec.ts), not leftmost-longest; e.g.
 *   `split "a*(b|abc)" "xabc"` gives `[ "x" [ "b" ] "c" ]`;
 * - `.` and bracket expressions match single bytes: strings here are binary strings (one char
 *   per byte, as the evaluator keeps Nix strings), so `match "(.)(.*)" "é"` splits the UTF-8
 *   sequence exactly as C++ does. Classes follow the "C" locale (bytes ≥ 0x80 are in none),
 *   and ranges compare bytes as signed chars (`[\x80-\xff]` is valid, `[a-\xff]` is not).
 *
 * Patterns whose outcome a JavaScript RegExp provably reproduces run on V8's engine (most
 * real-world patterns, e.g. every `lib.splitString` separator); the rest on a port of the
 * libstdc++ executor with an explicit stack (js-translate.ts says when). Compiled patterns are
 * cached.
 *
 * How the builtins call it (`s` and `re` forced to binary strings first; context handling is
 * the caller's — C++ gives `split`'s pieces the input's context and `match`'s captures none):
 *
 *   // builtins.match re s
 *   try { const caps = compilePosixEre(re).matchWhole(s)   // (string|null)[] | null
 *         return caps === null ? null : caps /* list, null for groups that did not match *\/ }
 *   catch (e) { if (e instanceof InvalidRegexError || e instanceof RegexTooLargeError)
 *                 throw new EvalError(e.message, pos); throw e }
 *
 *   // builtins.split re s → SplitPiece[]: strings between matches, capture lists in between
 *   compilePosixEre(re).split(s)
 *
 * Subjects are matched to any length (the executor's stack is on the heap); C++ Nix recurses
 * once or more per byte and dies of stack overflow on subjects of a few hundred thousand bytes
 * for some patterns, a failure we do not reproduce.
 */
export { compilePosixEre, PosixRegex, type Captures, type SearchMatch, type SplitPiece } from './regex.js'
export { InvalidRegexError, RegexTooLargeError, type RegexErrorKind } from './errors.js'

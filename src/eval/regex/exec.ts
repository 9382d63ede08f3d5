/**
 * The matcher libstdc++ uses for POSIX grammars: `_Executor` in depth-first mode
 * (bits/regex_executor.tcc), which C++ Nix gets for every `match`/`split`. It is neither
 * POSIX leftmost-longest nor JavaScript's first match:
 *
 * - an Alternative tries its left branch, then always its right branch too, and keeps a
 *   solution only if it ends strictly further than the best so far (so in `match`, where every
 *   solution ends at the end, the first one found wins);
 * - a greedy Repeat tries one more iteration first and skips the exit branch once any solution
 *   is known, so `a*(b|abc)` finds "ab" in "abc", not the longer "abc";
 * - a Repeat may be re-entered at the same position at most twice on one path (how libstdc++
 *   stops empty loops); captures are never reset between iterations.
 *
 * The recursion of the C++ executor is replaced by an explicit stack of undo/continue frames
 * (4 ints each), so long subjects cannot overflow the JS stack.
 */
import { Op, type Nfa } from './compile.js'

// Frame kinds. A frame either undoes a change made on the way down or resumes a branch.
const F_REPEAT_NEXT = 1 // [kind, state, pos]: after the loop body, try the exit unless solved
const F_RESTORE_REP = 2 // [kind, state, oldPos, oldCount]
const F_DEC_REP = 3 // [kind, state]
const F_ALT_SECOND = 4 // [kind, state, pos]: the right branch of an Alternative
const F_ALT_MERGE = 5 // [kind, savedHasSol]
const F_RESTORE_FIRST = 6 // [kind, group, oldFirst]
const F_RESTORE_END = 7 // [kind, group, oldSecond, oldMatched]

/** Where a search may start: a bound on the first byte of any match, unless it can be empty. */
export interface StartInfo {
  /** 256 entries, 1 where a match can begin with that byte; undefined if a match can be empty. */
  readonly first: Uint8Array | undefined
}

export class Executor {
  private stack = new Int32Array(1024)
  private readonly first: Int32Array
  private readonly second: Int32Array
  private readonly matched: Uint8Array
  private readonly repPos: Int32Array
  private readonly repCount: Int32Array
  /** Captures of the last solution: [first, second] per group, -1 where not matched. */
  readonly result: Int32Array
  private readonly startBytes: Uint8Array | undefined

  constructor(private readonly nfa: Nfa) {
    const g = nfa.groups
    this.first = new Int32Array(g)
    this.second = new Int32Array(g)
    this.matched = new Uint8Array(g)
    this.result = new Int32Array(2 * g)
    this.repPos = new Int32Array(nfa.op.length)
    this.repCount = new Int32Array(nfa.op.length)
    this.startBytes = firstBytes(nfa)
  }

  /** `regex_match`: the whole of `s` must match. Captures are left in `result`. */
  matchWhole(s: string): boolean {
    return this.dfs(s, true, 0, false, false)
  }

  /**
   * `regex_search(s.begin() + from, s.end(), …)` with the given flags (`match_not_null`,
   * `match_continuous`, `match_prev_avail`). Captures, as absolute offsets, are left in `result`.
   */
  search(s: string, from: number, notNull: boolean, continuous: boolean, prevAvail: boolean): boolean {
    if (this.dfsAt(s, from, notNull, prevAvail)) return true
    if (continuous) return false
    const n = s.length
    const fb = this.startBytes
    for (let begin = from + 1; begin <= n; begin++) {
      // Skipping is sound: a start whose byte cannot begin a match runs a DFS that fails
      // without side effects (and `^` can no longer match once prev_avail is set).
      if (fb !== undefined && (begin === n || fb[s.charCodeAt(begin)] === 0)) continue
      if (this.dfsAt(s, begin, notNull, true)) return true
    }
    return false
  }

  private dfsAt(s: string, begin: number, notNull: boolean, prevAvail: boolean): boolean {
    return this.dfs(s, false, begin, notNull, prevAvail)
  }

  private dfs(s: string, exact: boolean, begin: number, notNull: boolean, prevAvail: boolean): boolean {
    const { op, next, alt, arg, sets } = this.nfa
    const first = this.first, second = this.second, matched = this.matched
    const repPos = this.repPos, repCount = this.repCount
    const n = s.length
    matched.fill(0)
    let stack = this.stack
    let sp = 0
    let hasSol = false
    let solPos = -1
    let state = this.nfa.start
    let pos = begin

    const grow = () => {
      const bigger = new Int32Array(stack.length * 2)
      bigger.set(stack)
      this.stack = bigger
      return bigger
    }

    for (;;) {
      // Visit (state, pos); `continue` follows an edge, `break` backtracks.
      visit: for (;;) {
        switch (op[state]) {
          case Op.Match:
            if (pos < n && sets[arg[state]! + s.charCodeAt(pos)] !== 0) { pos++; state = next[state]!; continue }
            break visit
          case Op.Repeat: {
            if (sp + 8 > stack.length) stack = grow()
            stack[sp] = F_REPEAT_NEXT; stack[sp + 1] = state; stack[sp + 2] = pos; sp += 4
            const rc = repCount[state]!
            if (rc === 0 || repPos[state] !== pos) {
              stack[sp] = F_RESTORE_REP; stack[sp + 1] = state; stack[sp + 2] = repPos[state]!; stack[sp + 3] = rc; sp += 4
              repPos[state] = pos; repCount[state] = 1
              state = alt[state]!
              continue
            }
            if (rc < 2) {
              stack[sp] = F_DEC_REP; stack[sp + 1] = state; sp += 4
              repCount[state] = rc + 1
              state = alt[state]!
              continue
            }
            break visit
          }
          case Op.Alternative:
            if (sp + 4 > stack.length) stack = grow()
            stack[sp] = F_ALT_SECOND; stack[sp + 1] = state; stack[sp + 2] = pos; sp += 4
            state = alt[state]!
            continue
          case Op.SubexprBegin: {
            if (sp + 4 > stack.length) stack = grow()
            const g = arg[state]!
            stack[sp] = F_RESTORE_FIRST; stack[sp + 1] = g; stack[sp + 2] = first[g]!; sp += 4
            first[g] = pos
            state = next[state]!
            continue
          }
          case Op.SubexprEnd: {
            if (sp + 4 > stack.length) stack = grow()
            const g = arg[state]!
            stack[sp] = F_RESTORE_END; stack[sp + 1] = g; stack[sp + 2] = second[g]!; stack[sp + 3] = matched[g]!; sp += 4
            second[g] = pos; matched[g] = 1
            state = next[state]!
            continue
          }
          case Op.LineBegin:
            if (pos === begin && !prevAvail) { state = next[state]!; continue }
            break visit
          case Op.LineEnd:
            if (pos === n) { state = next[state]!; continue }
            break visit
          case Op.Accept: {
            let ok = exact ? pos === n : true
            if (pos === begin && notNull) ok = false
            hasSol = ok
            if (ok && (solPos < 0 || solPos < pos)) {
              solPos = pos
              const r = this.result
              for (let g = 0; g < matched.length; g++) {
                if (matched[g] !== 0) { r[2 * g] = first[g]!; r[2 * g + 1] = second[g]! } else { r[2 * g] = -1; r[2 * g + 1] = -1 }
              }
            }
            break visit
          }
          default:
            throw new Error(`regex executor: unexpected opcode ${op[state]} at state ${state}`)
        }
      }
      // Backtrack: undo and resume until a branch is left to explore.
      resume: for (;;) {
        if (sp === 0) return hasSol
        sp -= 4
        switch (stack[sp]) {
          case F_REPEAT_NEXT:
            if (!hasSol) { state = next[stack[sp + 1]!]!; pos = stack[sp + 2]!; break resume }
            break
          case F_RESTORE_REP:
            repPos[stack[sp + 1]!] = stack[sp + 2]!; repCount[stack[sp + 1]!] = stack[sp + 3]!
            break
          case F_DEC_REP:
            repCount[stack[sp + 1]!]!--
            break
          case F_ALT_SECOND: {
            const st = stack[sp + 1]!
            pos = stack[sp + 2]!
            stack[sp] = F_ALT_MERGE; stack[sp + 1] = hasSol ? 1 : 0; sp += 4
            hasSol = false
            state = next[st]!
            break resume
          }
          case F_ALT_MERGE:
            if (stack[sp + 1] !== 0) hasSol = true
            break
          case F_RESTORE_FIRST:
            first[stack[sp + 1]!] = stack[sp + 2]!
            break
          case F_RESTORE_END:
            second[stack[sp + 1]!] = stack[sp + 2]!; matched[stack[sp + 1]!] = stack[sp + 3]!
            break
        }
      }
    }
  }
}

/**
 * The bytes a match can start with, from the states reachable without consuming input, or
 * undefined when Accept is reachable that way (a match can be empty).
 */
function firstBytes(nfa: Nfa): Uint8Array | undefined {
  const { op, next, alt, arg, sets } = nfa
  const out = new Uint8Array(256)
  const seen = new Uint8Array(op.length)
  const todo = [nfa.start]
  while (todo.length > 0) {
    const st = todo.pop()!
    if (st < 0 || seen[st]) continue
    seen[st] = 1
    switch (op[st]) {
      case Op.Accept: return undefined
      case Op.Match: for (let b = 0; b < 256; b++) if (sets[arg[st]! + b]) out[b] = 1; break
      case Op.Repeat: case Op.Alternative: todo.push(alt[st]!, next[st]!); break
      default: todo.push(next[st]!)
    }
  }
  return out
}

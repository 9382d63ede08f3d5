/** String builtins (C++ primops.cc "String manipulation", "Versions", baseNameOf/dirOf). */
import { EvalError } from '../errors.js'
import { dirOf as dirOfPath } from '../eval-state.js'
import type { EvalState } from '../eval-state.js'
import type { PosIdx } from '../pos.js'
import { Attrs, type ContextElem, NixPath, NixString, type Value, mkString } from '../value.js'
import type { BuiltinGroup } from './registry.js'

const isDigit = (c: string | undefined): boolean => c !== undefined && c >= '0' && c <= '9'
const isAlpha = (c: string | undefined): boolean => c !== undefined && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))

/** C++ names.cc nextComponent. */
export function splitVersion(v: string): string[] {
  const out: string[] = []
  let p = 0
  for (;;) {
    while (p < v.length && (v[p] === '.' || v[p] === '-')) p++
    if (p >= v.length) break
    const s = p
    if (isDigit(v[p])) while (p < v.length && isDigit(v[p])) p++
    else while (p < v.length && !isDigit(v[p]) && v[p] !== '.' && v[p] !== '-') p++
    out.push(v.slice(s, p))
  }
  return out
}

function toIntComponent(c: string): number | undefined {
  if (!/^[0-9]+$/.test(c)) return undefined
  const n = Number(c)
  return n <= 2147483647 ? n : undefined
}

function componentsLT(c1: string, c2: string): boolean {
  const n1 = toIntComponent(c1)
  const n2 = toIntComponent(c2)
  if (n1 !== undefined && n2 !== undefined) return n1 < n2
  if (c1 === '' && n2 !== undefined) return true
  if (c1 === 'pre' && c2 !== 'pre') return true
  if (c2 === 'pre') return false
  if (n2 !== undefined) return true
  if (n1 !== undefined) return false
  return c1 < c2
}

export function compareVersions(v1: string, v2: string): number {
  let p1 = 0
  let p2 = 0
  const next = (v: string, p: number): [string, number] => {
    while (p < v.length && (v[p] === '.' || v[p] === '-')) p++
    if (p >= v.length) return ['', p]
    const s = p
    if (isDigit(v[p])) while (p < v.length && isDigit(v[p])) p++
    else while (p < v.length && !isDigit(v[p]) && v[p] !== '.' && v[p] !== '-') p++
    return [v.slice(s, p), p]
  }
  while (p1 < v1.length || p2 < v2.length) {
    let c1: string
    let c2: string
    ;[c1, p1] = next(v1, p1)
    ;[c2, p2] = next(v2, p2)
    if (componentsLT(c1, c2)) return -1
    if (componentsLT(c2, c1)) return 1
  }
  return 0
}

export function parseDrvName(s: string): { name: string; version: string } {
  for (let i = 0; i < s.length; i++) {
    if (s[i] === '-' && i + 1 < s.length && !isAlpha(s[i + 1])) return { name: s.slice(0, i), version: s.slice(i + 1) }
  }
  return { name: s, version: '' }
}

function legacyBaseNameOf(path: string): string {
  if (path === '') return ''
  let last = path.length - 1
  if (path[last] === '/' && last > 0) last--
  const p = path.lastIndexOf('/', last)
  const start = p < 0 ? 0 : p + 1
  return path.slice(start, last + 1)
}

export function toStringValue(st: EvalState, v: Value, pos: PosIdx): Value {
  // Strings without context and ints need no context set (coerceToString forces the same way).
  v = st.force(v, pos)
  if (typeof v === 'string') return v
  if (typeof v === 'number') return String(v)
  const ctx = new Set<ContextElem>()
  const s = st.coerceToString(pos, v, ctx, 'while evaluating the first argument passed to builtins.toString', true, false)
  return mkString(s, ctx)
}

export const stringBuiltins: BuiltinGroup = {
  name: 'strings',
  primops: [
    { name: 'toString', arity: 1, args: ['e'], impl: (st, args, pos) => toStringValue(st, args[0]!, pos) },
    {
      name: '__substring', arity: 3, args: ['start', 'len', 's'],
      impl: (st, args, pos) => {
        const start = st.forceInt(args[0]!, pos, 'while evaluating the first argument (the start offset) passed to builtins.substring')
        if (start < 0) throw new EvalError("negative start position in 'substring'", pos)
        const len = st.forceInt(args[1]!, pos, 'while evaluating the second argument (the substring length) passed to builtins.substring')
        if (len === 0) {
          const v = st.force(args[2]!, pos)
          if (typeof v === 'string') return ''
          if (v instanceof NixString) return new NixString('', v.context)
        }
        const ctx = new Set<ContextElem>()
        const s = st.coerceToString(pos, args[2]!, ctx, 'while evaluating the third argument (the string) passed to builtins.substring')
        const b = Number(start)
        const r = b >= s.length ? '' : len < 0 ? s.slice(b) : s.slice(b, b + Number(len))
        return mkString(r, ctx)
      },
    },
    {
      name: '__stringLength', arity: 1, args: ['e'],
      impl: (st, args, pos) => st.coerceToString(pos, args[0]!, new Set(), 'while evaluating the argument passed to builtins.stringLength').length,
    },
    {
      name: '__concatStringsSep', arity: 2, args: ['separator', 'list'],
      impl: (st, args, pos) => {
        const ctx = new Set<ContextElem>()
        const sepV = st.forceStringCtx(args[0]!, pos, 'while evaluating the first argument (the separator string) passed to builtins.concatStringsSep')
        if (sepV.ctx) for (const c of sepV.ctx) ctx.add(c)
        const l = st.forceList(args[1]!, pos, 'while evaluating the second argument (the list of strings to concat) passed to builtins.concatStringsSep')
        const parts = new Array<string>(l.length)
        for (let i = 0; i < l.length; i++) {
          parts[i] = st.coerceToString(pos, l[i]!, ctx, 'while evaluating one element of the list of strings to concat passed to builtins.concatStringsSep')
        }
        return mkString(parts.join(sepV.s), ctx)
      },
    },
    {
      name: '__replaceStrings', arity: 3, args: ['from', 'to', 's'],
      impl: (st, args, pos) => {
        const fromL = st.forceList(args[0]!, pos, 'while evaluating the first argument passed to builtins.replaceStrings')
        const toL = st.forceList(args[1]!, pos, 'while evaluating the second argument passed to builtins.replaceStrings')
        if (fromL.length !== toL.length) throw new EvalError("'from' and 'to' arguments passed to builtins.replaceStrings have different lengths", pos)
        const from = fromL.map(x => st.forceString(x, pos, 'while evaluating one of the strings to replace passed to builtins.replaceStrings'))
        const cache = new Map<number, string>()
        const ctx = new Set<ContextElem>()
        const sv = st.forceStringCtx(args[2]!, pos, 'while evaluating the third argument passed to builtins.replaceStrings')
        if (sv.ctx) for (const c of sv.ctx) ctx.add(c)
        const s = sv.s
        let res = ''
        for (let p = 0; p <= s.length;) {
          let found = false
          for (let i = 0; i < from.length; i++) {
            const f = from[i]!
            if (s.startsWith(f, p)) {
              found = true
              let r = cache.get(i)
              if (r === undefined) {
                const t = st.forceStringCtx(toL[i]!, pos, 'while evaluating one of the replacement strings passed to builtins.replaceStrings')
                r = t.s
                cache.set(i, r)
                if (t.ctx) for (const c of t.ctx) ctx.add(c)
              }
              res += r
              if (f === '') {
                if (p < s.length) res += s[p]
                p++
              } else p += f.length
              break
            }
          }
          if (!found) {
            if (p < s.length) res += s[p]
            p++
          }
        }
        return mkString(res, ctx)
      },
    },
    {
      name: 'baseNameOf', arity: 1, args: ['x'],
      impl: (st, args, pos) => {
        const ctx = new Set<ContextElem>()
        const s = st.coerceToString(pos, args[0]!, ctx, 'while evaluating the first argument passed to builtins.baseNameOf', false, false)
        return mkString(legacyBaseNameOf(s), ctx)
      },
    },
    {
      name: 'dirOf', arity: 1, args: ['s'],
      impl: (st, args, pos) => {
        const v = st.force(args[0]!, pos)
        if (v instanceof NixPath) return v.path === '/' ? v : new NixPath(dirOfPath(v.path))
        const ctx = new Set<ContextElem>()
        const s = st.coerceToString(pos, v, ctx, "while evaluating the first argument passed to 'builtins.dirOf'", false, false)
        const i = s.lastIndexOf('/')
        return mkString(i < 0 ? '.' : i === 0 ? '/' : s.slice(0, i), ctx)
      },
    },
    {
      name: '__parseDrvName', arity: 1, args: ['s'],
      impl: (st, args, pos) => {
        const r = parseDrvName(st.forceStringNoCtx(args[0]!, pos, 'while evaluating the first argument passed to builtins.parseDrvName'))
        return new Attrs(new Map<string, Value>([['name', r.name], ['version', r.version]]))
      },
    },
    {
      name: '__compareVersions', arity: 2, args: ['s1', 's2'],
      impl: (st, args, pos) => compareVersions(
        st.forceStringNoCtx(args[0]!, pos, 'while evaluating the first argument passed to builtins.compareVersions'),
        st.forceStringNoCtx(args[1]!, pos, 'while evaluating the second argument passed to builtins.compareVersions')),
    },
    {
      name: '__splitVersion', arity: 1, args: ['s'],
      impl: (st, args, pos) => splitVersion(st.forceStringNoCtx(args[0]!, pos, 'while evaluating the first argument passed to builtins.splitVersion')),
    },
  ],
}

/**
 * String context builtins (C++ src/libexpr/primops/context.cc). Context elements are encoded
 * as C++ Nix prints them: `/nix/store/…` (opaque), `=/nix/store/…drv` (derivation deep),
 * `!out!/nix/store/…drv` (built output).
 */
import { EvalError } from '../errors.js'
import type { EvalState } from '../eval-state.js'
import { Attrs, type ContextElem, NixString, type Value, mkString } from '../value.js'
import type { BuiltinGroup } from './registry.js'

export type ParsedContextElem =
  | { kind: 'opaque'; path: string }
  | { kind: 'drvDeep'; drvPath: string }
  | { kind: 'built'; drvPath: string; output: string }

export function parseContextElem(c: ContextElem): ParsedContextElem {
  if (c.startsWith('=')) return { kind: 'drvDeep', drvPath: c.slice(1) }
  if (c.startsWith('!')) {
    const i = c.indexOf('!', 1)
    return { kind: 'built', output: c.slice(1, i), drvPath: c.slice(i + 1) }
  }
  return { kind: 'opaque', path: c }
}

export function printContextElem(e: ParsedContextElem): ContextElem {
  switch (e.kind) {
    case 'opaque': return e.path
    case 'drvDeep': return `=${e.drvPath}`
    case 'built': return `!${e.output}!${e.drvPath}`
  }
}

const KIND_ORDER = { opaque: 0, drvDeep: 1, built: 2 } as const

/** C++ std::set<NixStringContextElem> order: by kind, then path, then output. */
export function sortContext(ctx: Iterable<ContextElem>): ParsedContextElem[] {
  return [...ctx].map(parseContextElem).sort((a, b) => {
    if (a.kind !== b.kind) return KIND_ORDER[a.kind] - KIND_ORDER[b.kind]
    const pa = a.kind === 'opaque' ? a.path : a.drvPath
    const pb = b.kind === 'opaque' ? b.path : b.drvPath
    if (pa !== pb) return pa < pb ? -1 : 1
    const oa = a.kind === 'built' ? a.output : ''
    const ob = b.kind === 'built' ? b.output : ''
    return oa < ob ? -1 : oa > ob ? 1 : 0
  })
}

const STORE_NAME = /^[0123456789abcdfghijklmnpqrsvwxyz]{32}-[A-Za-z0-9+\-._?=]+$/

/** Whether `p` is a store path directly under the store dir (C++ Store::isStorePath). */
export function isStorePath(storeDir: string, p: string): boolean {
  if (!p.startsWith(storeDir + '/')) return false
  const base = p.slice(storeDir.length + 1)
  return STORE_NAME.test(base) && base.length <= 211
}

export const contextBuiltins: BuiltinGroup = {
  name: 'context',
  primops: [
    {
      name: '__unsafeDiscardStringContext', arity: 1, args: ['s'],
      impl: (st, args, pos) => st.coerceToString(pos, args[0]!, new Set(), 'while evaluating the argument passed to builtins.unsafeDiscardStringContext'),
    },
    {
      name: '__hasContext', arity: 1, args: ['s'],
      impl: (st, args, pos) => {
        const v = st.forceStringCtx(args[0]!, pos, 'while evaluating the argument passed to builtins.hasContext')
        return v.ctx !== undefined && v.ctx.size > 0
      },
    },
    {
      name: '__unsafeDiscardOutputDependency', arity: 1, args: ['s'],
      impl: (st, args, pos) => {
        const ctx = new Set<ContextElem>()
        const s = st.coerceToString(pos, args[0]!, ctx, 'while evaluating the argument passed to builtins.unsafeDiscardOutputDependency')
        const out = new Set<ContextElem>()
        for (const c of ctx) out.add(c.startsWith('=') ? c.slice(1) : c)
        return mkString(s, out)
      },
    },
    {
      name: '__addDrvOutputDependencies', arity: 1, args: ['s'],
      impl: (st, args, pos) => {
        const ctx = new Set<ContextElem>()
        const s = st.coerceToString(pos, args[0]!, ctx, 'while evaluating the argument passed to builtins.addDrvOutputDependencies')
        if (ctx.size !== 1) throw new EvalError(`context of string '${s}' must have exactly one element, but has ${ctx.size}`, pos)
        const e = parseContextElem([...ctx][0]!)
        if (e.kind === 'built') {
          throw new EvalError(`\`addDrvOutputDependencies\` can only act on derivations, not on a derivation output such as '${e.output}'`, pos)
        }
        if (e.kind === 'drvDeep') return mkString(s, ctx)
        if (!e.path.endsWith('.drv')) throw new EvalError(`path '${e.path}' is not a derivation`, pos)
        return mkString(s, new Set([`=${e.path}`]))
      },
    },
    {
      name: '__getContext', arity: 1, args: ['s'],
      impl: (st, args, pos) => {
        const v = st.forceStringCtx(args[0]!, pos, 'while evaluating the argument passed to builtins.getContext')
        const infos = new Map<string, { path: boolean; allOutputs: boolean; outputs: string[] }>()
        const info = (p: string): { path: boolean; allOutputs: boolean; outputs: string[] } => {
          let i = infos.get(p)
          if (!i) { i = { path: false, allOutputs: false, outputs: [] }; infos.set(p, i) }
          return i
        }
        for (const e of sortContext(v.ctx ?? [])) {
          if (e.kind === 'opaque') info(e.path).path = true
          else if (e.kind === 'drvDeep') info(e.drvPath).allOutputs = true
          else info(e.drvPath).outputs.push(e.output)
        }
        const map = new Map<string, Value>()
        for (const p of [...infos.keys()].sort()) {
          const i = infos.get(p)!
          const m = new Map<string, Value>()
          if (i.allOutputs) m.set('allOutputs', true)
          if (i.outputs.length > 0) m.set('outputs', i.outputs.slice())
          if (i.path) m.set('path', true)
          map.set(p, new Attrs(m))
        }
        return new Attrs(map)
      },
    },
    {
      name: '__appendContext', arity: 2, args: ['s', 'context'],
      impl: (st, args, pos) => appendContext(st, args, pos),
    },
  ],
}

function appendContext(st: EvalState, args: Value[], pos: number): Value {
  const orig = st.forceStringCtx(args[0]!, 0, 'while evaluating the first argument passed to builtins.appendContext')
  const ctx = new Set<ContextElem>(orig.ctx ?? [])
  const a = st.forceAttrs(args[1]!, pos, 'while evaluating the second argument passed to builtins.appendContext')
  const storeDir = st.settings.storeDir
  for (const name of a.keys()) {
    const ipos = a.posOf(name)
    if (!isStorePath(storeDir, name)) throw new EvalError(`context key '${name}' is not a store path`, ipos)
    const info = st.forceAttrs(a.get(name)!, ipos, 'while evaluating the value of a string context')
    const p = info.get('path')
    if (p !== undefined && st.forceBool(p, info.posOf('path'), 'while evaluating the `path` attribute of a string context')) ctx.add(name)
    const ao = info.get('allOutputs')
    if (ao !== undefined && st.forceBool(ao, info.posOf('allOutputs'), 'while evaluating the `allOutputs` attribute of a string context')) {
      if (!name.endsWith('.drv')) throw new EvalError(`tried to add all-outputs context of ${name}, which is not a derivation, to a string`, ipos)
      ctx.add(`=${name}`)
    }
    const outs = info.get('outputs')
    if (outs !== undefined) {
      const l = st.forceList(outs, info.posOf('outputs'), 'while evaluating the `outputs` attribute of a string context')
      if (l.length > 0 && !name.endsWith('.drv')) throw new EvalError(`tried to add derivation output context of ${name}, which is not a derivation, to a string`, ipos)
      for (const o of l) {
        const out = st.forceStringNoCtx(o, info.posOf('outputs'), 'while evaluating an output name within a string context')
        ctx.add(`!${out}!${name}`)
      }
    }
  }
  return ctx.size === 0 ? orig.s : new NixString(orig.s, ctx)
}

/**
 * Builtins that read files or the environment through the injected EvalIO: import,
 * scopedImport, readFile, readDir, pathExists, readFileType, findFile, getEnv, toPath,
 * storePath (C++ primops.cc "Paths" and EvalState::findFile).
 */
import { StaticEnv } from '../bind.js'
import { Env, NO_ENV, setSlot } from '../env.js'
import { EvalError, ThrownError } from '../errors.js'
import type { EvalState } from '../eval-state.js'
import { canonPathStr, dirOf } from '../eval-state.js'
import { type PosIdx, noPos } from '../pos.js'
import { Attrs, compareBytes, type ContextElem, NixPath, NixString, Thunk, type Value, mkString } from '../value.js'
import { isStorePath } from './context.js'
import { realiseContext, referencesInContents } from './store-common.js'
import type { BuiltinGroup } from './registry.js'

/** C++ realisePath: coerce to a path; the paths of its string context must be valid. */
export function realisePath(st: EvalState, pos: PosIdx, v: Value, resolveSymlinks = true): string {
  const ctx = new Set<ContextElem>()
  const p = st.coerceToPath(noPos, v, ctx, 'while realising the context of a path')
  if (ctx.size > 0) {
    try {
      realiseContext(st, ctx)
    } catch (e) {
      if (e instanceof EvalError) e.addTrace(pos, `while realising the context of path '${p}'`)
      throw e
    }
  }
  if (resolveSymlinks && st.io.realPath) {
    try { return st.io.realPath(p) } catch { return p }
  }
  return p
}

/** C++ resolveExprPath: follow a symlinked file, use `default.nix` in a directory. */
export function resolveExprPath(st: EvalState, p: string): string {
  if (p.startsWith('\xc2\xabnix-internal\xc2\xbb/')) return p
  let path = p
  for (let n = 0; n < 1024 && path !== '/'; n++) {
    let t: string
    try { t = st.io.fileType(path) } catch { break }
    if (t !== 'symlink' || !st.io.realPath) break
    path = st.io.realPath(path)
  }
  try {
    const real = st.io.realPath ? st.io.realPath(path) : path
    if (st.io.fileType(real) === 'directory') return path.replace(/\/$/, '') + '/default.nix'
  } catch { /* not found: reported when reading */ }
  return path
}

function importFile(st: EvalState, pos: PosIdx, vPath: Value, vScope: Value | undefined): Value {
  const path = realisePath(st, pos, vPath, false)
  if (vScope === undefined) return st.evalFile(resolveExprPath(st, path), pos)
  const scope = st.forceAttrs(vScope, pos, 'while evaluating the first argument passed to builtins.scopedImport')
  const names = scope.keys()
  const vars = new Map<string, number>()
  const env = new Env(st.baseEnv, names.length)
  names.forEach((n, i) => { vars.set(n, i); setSlot(env, i + 1, scope.get(n)) })
  const file = resolveExprPath(st, path)
  const text = st.readFileText(file, pos)
  const e = st.parse(text, 'file', file, dirOf(file), new StaticEnv(st.staticBaseEnv, vars))
  return st.eval(e, env)
}

function fileTypeName(t: string): string {
  return t === 'regular' || t === 'directory' || t === 'symlink' ? t : 'unknown'
}

/** EvalState::findFile over a lookup path (a list of `{ prefix; path; }` sets). */
export function findFile(st: EvalState, lookupPath: Array<{ prefix: string; path: string }>, path: string, pos: PosIdx): Value {
  for (const e of lookupPath) {
    const n = e.prefix.length
    const needSep = n > 0 && n < path.length
    if (needSep && path[n] !== '/') continue
    if (!path.startsWith(e.prefix)) continue
    const suffix = path.slice(needSep ? n + 1 : n)
    const root = resolveLookupPathPath(st, e.path)
    if (root === undefined) continue
    const candidate = canonPathStr(suffix === '' ? root : `${root}/${suffix}`)
    let real = candidate
    try { if (st.io.realPath) real = st.io.realPath(candidate) } catch { /* keep */ }
    if (st.io.pathExists(real)) return new NixPath(real)
  }
  if (path.startsWith('nix/')) {
    const core = st.corepkgs.get(path.slice(4))
    if (core !== undefined) return new NixPath(`\xc2\xabnix-internal\xc2\xbb/${path.slice(4)}`)
  }
  throw new ThrownError(st.settings.pureEval
    ? `cannot look up '<${path}>' in pure evaluation mode (use '--impure' to override)`
    : `file '${path}' was not found in the Nix search path (add it using $NIX_PATH or -I)`, pos)
}

function resolveLookupPathPath(st: EvalState, value: string): string | undefined {
  if (/^(https?|channel|flake):/.test(value)) {
    st.warn(`Nix search path entry '${value}' cannot be fetched by this evaluator, ignoring`)
    return undefined
  }
  const p = canonPathStr(value.startsWith('/') ? value : `${st.settings.cwd}/${value}`)
  if (st.io.pathExists(p)) return p
  st.warn(`Nix search path entry '${value}' does not exist, ignoring`)
  return undefined
}

export const fileBuiltins: BuiltinGroup = {
  name: 'files',
  primops: [
    { name: 'import', arity: 1, args: ['path'], impl: (st, args, pos) => importFile(st, pos, args[0]!, undefined) },
    { name: 'scopedImport', arity: 2, args: ['scope', 'path'], impl: (st, args, pos) => importFile(st, pos, args[1]!, args[0]!) },
    {
      name: '__readFile', arity: 1, args: ['path'],
      impl: (st, args, pos) => {
        const path = realisePath(st, pos, args[0]!)
        const s = st.readFileText(path, pos)
        if (s.indexOf('\0') >= 0) throw new EvalError(`the contents of the file '${path}' cannot be represented as a Nix string`, pos)
        return mkString(s, referencesInContents(st, path, s))
      },
    },
    {
      name: '__readDir', arity: 1, args: ['path'],
      impl: (st, args, pos) => {
        const path = realisePath(st, pos, args[0]!)
        let entries: Array<[string, string]>
        try {
          entries = st.io.readDir(path)
        } catch (e) {
          const code = (e as { code?: string }).code
          if (code === 'ENOTDIR') throw new EvalError(`cannot read directory "${path}": Not a directory`)
          throw st.ioError(e, path, noPos)
        }
        const map = new Map<string, Value>()
        // C++ reads a directory into a std::map: its names become symbols in byte order
        for (const [name, type] of entries.sort(([a], [b]) => compareBytes(a, b))) {
          st.symbols.intern(name)
          if (type === 'unknown') {
            const p = new NixPath(path === '/' ? `/${name}` : `${path}/${name}`)
            map.set(name, new Thunk(() => fileTypeName(safeType(st, p.path)), NO_ENV))
          } else map.set(name, type)
        }
        return new Attrs(map)
      },
    },
    {
      name: '__pathExists', arity: 1, args: ['path'],
      impl: (st, args, pos) => {
        const v = st.force(args[0]!, pos)
        const s = typeof v === 'string' ? v : v instanceof NixString ? v.s : undefined
        const mustBeDir = s !== undefined && (s.endsWith('/') || s.endsWith('/.'))
        const path = realisePath(st, pos, v, false)
        if (mustBeDir) {
          try {
            const real = st.io.realPath ? st.io.realPath(path) : path
            return st.io.fileType(real) === 'directory'
          } catch { return false }
        }
        try {
          // Resolve symlinks in the parent only; the final component may be a (dangling) symlink.
          const parent = dirOf(path)
          const base = path.slice(parent.length + (parent === '/' ? 0 : 1))
          const realParent = st.io.realPath ? st.io.realPath(parent) : parent
          st.io.fileType(realParent === '/' ? `/${base}` : `${realParent}/${base}`)
          return true
        } catch { return false }
      },
    },
    {
      name: '__readFileType', arity: 1, args: ['p'],
      impl: (st, args, pos) => {
        const path = realisePath(st, pos, args[0]!, false)
        try {
          return fileTypeName(st.io.fileType(path))
        } catch (e) {
          throw st.ioError(e, path, noPos)
        }
      },
    },
    {
      name: '__findFile', arity: 2, args: ['search-path', 'lookup-path'],
      impl: (st, args, pos) => {
        const l = st.forceList(args[0]!, pos, 'while evaluating the first argument passed to builtins.findFile')
        const lookup: Array<{ prefix: string; path: string }> = []
        for (const x of l) {
          const a = st.forceAttrs(x, pos, 'while evaluating an element of the list passed to builtins.findFile')
          const pv = a.get('prefix')
          const prefix = pv === undefined ? '' : st.forceStringNoCtx(pv, pos, 'while evaluating the `prefix` attribute of an element of the list passed to builtins.findFile')
          const pathV = a.get('path')
          if (pathV === undefined) {
            const e = new EvalError("attribute 'path' missing", noPos)
            e.addTrace(noPos, 'in an element of the __nixPath')
            throw e
          }
          const path = st.coerceToString(pos, pathV, new Set(), 'while evaluating the `path` attribute of an element of the list passed to builtins.findFile', false, false)
          lookup.push({ prefix, path })
        }
        const path = st.forceStringNoCtx(args[1]!, pos, 'while evaluating the second argument passed to builtins.findFile')
        return findFile(st, lookup, path, pos)
      },
    },
    {
      name: '__getEnv', arity: 1, args: ['s'],
      impl: (st, args, pos) => {
        const name = st.forceStringNoCtx(args[0]!, pos, 'while evaluating the first argument passed to builtins.getEnv')
        if (st.settings.pureEval || st.settings.restrictEval) return ''
        return st.io.getEnv(name) ?? ''
      },
    },
    {
      name: '__toPath', arity: 1, args: ['s'],
      impl: (st, args, pos) => {
        const ctx = new Set<ContextElem>()
        const p = st.coerceToPath(pos, args[0]!, ctx, 'while evaluating the first argument passed to builtins.toPath')
        return mkString(p, ctx)
      },
    },
    {
      name: '__storePath', arity: 1, args: ['path'],
      impl: (st, args, pos) => {
        if (st.settings.pureEval) throw new EvalError("'builtins.storePath' is not allowed in pure evaluation mode", pos)
        const ctx = new Set<ContextElem>()
        let p = st.coerceToPath(pos, args[0]!, ctx, "while evaluating the first argument passed to 'builtins.storePath'")
        const storeDir = st.settings.storeDir
        if (!isStorePath(storeDir, p) && st.io.realPath) { try { p = st.io.realPath(p) } catch { /* keep */ } }
        if (!p.startsWith(storeDir + '/')) throw new EvalError(`path '${p}' is not in the Nix store`, pos)
        const rest = p.slice(storeDir.length + 1)
        const sp = `${storeDir}/${rest.split('/')[0]}`
        ctx.add(sp)
        return mkString(p, ctx)
      },
    },
  ],
}

function safeType(st: EvalState, p: string): string {
  try { return st.io.fileType(p) } catch { return 'unknown' }
}

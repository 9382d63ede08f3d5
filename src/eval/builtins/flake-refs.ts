/**
 * `parseFlakeRef`, `flakeRefToString` and `getFlake` (C++ libflake flake-primops.cc,
 * flakeref.cc, and the fetchers' `Input::fromURL`/`toURL`). C++ 2.34 lists them in `builtins`
 * whatever the configuration (they are "extra primops") and refuses a call unless the `flakes`
 * feature is on. Flake references are parsed in their common forms: indirect (`nixpkgs`,
 * `flake:id/ref`), `github:`/`gitlab:`/`sourcehut:`, `path:` and absolute paths,
 * `git+…`, `tarball+…`/`file+…` and plain archive URLs.
 */
import { EvalError, ForeignError } from '../errors.js'
import { type JsonHandler, JsonSyntaxError, parseJsonText } from '../json-parse.js'
import type { EvalState } from '../eval-state.js'
import { type PosIdx, noPos } from '../pos.js'
import { Attrs, NixString, type Value, showType } from '../value.js'
import type { BuiltinGroup } from './registry.js'
import { requireFeature } from './store-common.js'

type RefAttr = string | boolean | number | bigint
type RefAttrs = Map<string, RefAttr>

const REV = /^[0-9a-f]{40}$/
const INDIRECT = /^([a-zA-Z][a-zA-Z0-9_-]*)(?:\/([a-zA-Z0-9_.+\-][a-zA-Z0-9_.+/\-]*?))?(?:\/([0-9a-f]{40}))?$/
/** Query parameters that are Booleans or integers in input attributes. */
const BOOL_PARAMS = new Set(['shallow', 'submodules', 'lfs', 'exportIgnore', 'allRefs', 'verifyCommit'])
const INT_PARAMS = new Set(['revCount', 'lastModified'])

function parseQuery(q: string, into: RefAttrs): void {
  if (q === '') return
  for (const kv of q.split('&')) {
    if (kv === '') continue
    const i = kv.indexOf('=')
    const k = decodeURIComponent(i < 0 ? kv : kv.slice(0, i))
    const v = decodeURIComponent(i < 0 ? '' : kv.slice(i + 1))
    if (BOOL_PARAMS.has(k)) into.set(k, v === '1' || v === 'true')
    else if (INT_PARAMS.has(k) && /^[0-9]+$/.test(v)) into.set(k, Number(v))
    else into.set(k, v)
  }
}

function splitQuery(s: string): [string, string] {
  const noFrag = s.replace(/#.*$/, '')
  const i = noFrag.indexOf('?')
  return i < 0 ? [noFrag, ''] : [noFrag.slice(0, i), noFrag.slice(i + 1)]
}

/** C++ `parseFlakeRef` (with `allowMissing`, no base directory) → its attributes. */
export function parseFlakeRef(ref: string): RefAttrs {
  const a: RefAttrs = new Map()
  const ind = INDIRECT.exec(ref)
  if (ind) {
    a.set('type', 'indirect')
    a.set('id', ind[1]!)
    if (ind[2] !== undefined) a.set(REV.test(ind[2]) ? 'rev' : 'ref', ind[2])
    if (ind[3] !== undefined) a.set('rev', ind[3])
    return a
  }
  if (ref.startsWith('/')) {
    const [path, q] = splitQuery(ref)
    a.set('type', 'path')
    a.set('path', decodeURIComponent(path))
    parseQuery(q, a)
    return a
  }
  const m = /^([a-zA-Z][a-zA-Z0-9+.-]*):(.*)$/.exec(ref)
  if (!m) throw new EvalError(`flake reference '${ref}' is not an absolute path`)
  const scheme = m[1]!.toLowerCase()
  const [rest, q] = splitQuery(m[2]!)
  switch (scheme) {
    case 'flake': {
      const i = INDIRECT.exec(rest)
      if (!i) throw new EvalError(`'${ref}' is not a valid URL-like flake reference`)
      a.set('type', 'indirect')
      a.set('id', i[1]!)
      if (i[2] !== undefined) a.set(REV.test(i[2]) ? 'rev' : 'ref', i[2])
      if (i[3] !== undefined) a.set('rev', i[3])
      parseQuery(q, a)
      return a
    }
    case 'github': case 'gitlab': case 'sourcehut': {
      const parts = rest.split('/')
      if (parts.length < 2 || parts[0] === '' || parts[1] === '') throw new EvalError(`flake reference '${ref}' is not an absolute path`)
      a.set('type', scheme)
      a.set('owner', decodeURIComponent(parts[0]!))
      a.set('repo', decodeURIComponent(parts[1]!))
      if (parts.length > 2) {
        const r = decodeURIComponent(parts.slice(2).join('/'))
        a.set(REV.test(r) ? 'rev' : 'ref', r)
      }
      parseQuery(q, a)
      return a
    }
    case 'path':
      a.set('type', 'path')
      a.set('path', decodeURIComponent(rest))
      parseQuery(q, a)
      return a
    default: {
      const plus = scheme.indexOf('+')
      const kind = plus < 0 ? undefined : scheme.slice(0, plus)
      const inner = plus < 0 ? scheme : scheme.slice(plus + 1)
      const url = `${inner}:${rest}`
      let type: string
      if (kind === 'git' || kind === 'hg') type = kind
      else if (kind === 'tarball' || kind === 'file') type = kind
      // a flake is a tree: a plain URL is a tarball whatever it ends in (C++ parses flake
      // references with requireTree; only fetchTree tells archives from files by extension)
      else if (kind === undefined && ['http', 'https', 'file'].includes(inner)) type = 'tarball'
      else throw new EvalError(`input '${ref}' is unsupported`)
      a.set('type', type)
      a.set('url', url)
      parseQuery(q, a)
      return a
    }
  }
}

/** The attributes each scheme accepts (C++ `InputScheme::allowedAttrs`); `dir` is the flake's. */
const ALLOWED: Record<string, readonly string[]> = {
  indirect: ['type', 'id', 'ref', 'rev', 'narHash'],
  github: ['type', 'owner', 'repo', 'ref', 'rev', 'narHash', 'lastModified', 'host', 'treeHash'],
  gitlab: ['type', 'owner', 'repo', 'ref', 'rev', 'narHash', 'lastModified', 'host', 'treeHash'],
  sourcehut: ['type', 'owner', 'repo', 'ref', 'rev', 'narHash', 'lastModified', 'host', 'treeHash'],
  path: ['type', 'path', 'rev', 'revCount', 'lastModified', 'narHash'],
  git: ['type', 'url', 'ref', 'rev', 'shallow', 'submodules', 'lfs', 'exportIgnore', 'lastModified', 'revCount', 'narHash', 'allRefs', 'name', 'dirtyRev', 'dirtyShortRev', 'verifyCommit', 'keytype', 'publicKey', 'publicKeys'],
  tarball: ['type', 'url', 'narHash', 'name', 'unpack', 'rev', 'revCount', 'lastModified'],
  file: ['type', 'url', 'narHash', 'name', 'unpack', 'rev', 'revCount', 'lastModified'],
  hg: ['type', 'url', 'ref', 'rev', 'revCount', 'narHash', 'name'],
}
const REQUIRED: Record<string, readonly string[]> = {
  indirect: ['id'], github: ['owner', 'repo'], gitlab: ['owner', 'repo'], sourcehut: ['owner', 'repo'], path: ['path'], git: ['url'], tarball: ['url'], file: ['url'], hg: ['url'],
}
/** Schemes that are part of the `flakes` feature (C++ `InputScheme::experimentalFeature`). */
const FLAKES_ONLY = new Set(['indirect', 'github', 'gitlab', 'sourcehut', 'path'])
/** Git attributes of the `verified-fetches` feature (commit signature checks). */
const VERIFIED = ['verifyCommit', 'keytype', 'publicKey', 'publicKeys']

function jsonOf(a: RefAttrs): string {
  const o: Record<string, unknown> = {}
  for (const k of [...a.keys()].sort()) { const v = a.get(k)!; o[k] = typeof v === 'bigint' ? Number(v) : v }
  return JSON.stringify(o)
}

/** C++ `FlakeRef::fromAttrs` / `Input::fromAttrs` checks. */
function checkAttrs(st: EvalState, a: RefAttrs): void {
  if (!a.has('type')) throw new EvalError("'type' attribute to specify input scheme is required but not provided")
  const type = str(a, 'type')!
  const allowed = ALLOWED[type]
  if (allowed === undefined) throw new EvalError(`cannot show unsupported input '${jsonOf(a)}'`)
  if (FLAKES_ONLY.has(type)) requireFeature(st, 'flakes')
  for (const k of a.keys()) if (k !== 'dir' && !allowed.includes(k)) throw new EvalError(`input attribute '${k}' not supported by scheme '${type}'`)
  if (type === 'git' && VERIFIED.some(k => a.has(k))) requireFeature(st, 'verified-fetches')
  for (const k of REQUIRED[type]!) if (!a.has(k)) throw new EvalError(`input attribute '${k}' is missing`)
}

function queryEncode(s: string): string {
  return encodeURIComponent(s).replace(/%2F/g, '/').replace(/%3A/g, ':').replace(/%40/g, '@')
}

/** `?k=v&…` of the given parameters, sorted by name (C++ keeps a URL's query in a std::map). */
function queryOf(q: Map<string, string>): string {
  const parts = [...q.keys()].sort().map(k => `${queryEncode(k)}=${queryEncode(q.get(k)!)}`)
  return parts.length > 0 ? `?${parts.join('&')}` : ''
}

function str(a: RefAttrs, k: string): string | undefined {
  const v = a.get(k)
  return typeof v === 'string' ? v : undefined
}

/** Adds to `q` the attributes of `a` named in `keys` that it has, as they are written in a URL. */
function pick(a: RefAttrs, keys: readonly string[], q = new Map<string, string>()): Map<string, string> {
  for (const k of keys) {
    const v = a.get(k)
    if (v !== undefined) q.set(k, typeof v === 'boolean' ? (v ? '1' : '0') : String(v))
  }
  return q
}

/** JSON as plain values, with nlohmann's syntax errors (C++ reads `publicKeys` with nlohmann). */
const PLAIN_JSON: JsonHandler<unknown> = {
  string: x => x, integer: t => Number(t), float: x => x, bool: b => b, null: () => null,
  array: items => items, object: entries => Object.fromEntries(entries), key: () => undefined,
}

/** A git input's signing keys in URL form (C++ `getPublicKeys`, then one key as two parameters). */
function publicKeysQuery(a: RefAttrs, q: Map<string, string>): void {
  const keys: Array<{ key: string; type: string }> = []
  const list = str(a, 'publicKeys')
  if (list !== undefined) {
    let parsed: unknown
    try {
      parsed = parseJsonText<unknown>(list, PLAIN_JSON)
    } catch (e) {
      if (e instanceof JsonSyntaxError) throw new ForeignError(e.message)
      throw e
    }
    if (Array.isArray(parsed)) {
      for (const k of parsed as Array<{ key?: unknown; type?: unknown }>) keys.push({ key: String(k.key), type: typeof k.type === 'string' ? k.type : 'ssh-ed25519' })
    }
  }
  const one = str(a, 'publicKey')
  if (one !== undefined) keys.push({ key: one, type: str(a, 'keytype') ?? 'ssh-ed25519' })
  if (keys.length === 1) { q.set('keytype', keys[0]!.type); q.set('publicKey', keys[0]!.key) }
  // nlohmann's compact dump, object keys sorted
  else if (keys.length > 1) q.set('publicKeys', JSON.stringify(keys.map(k => ({ key: k.key, type: k.type }))))
}

/**
 * C++ `FlakeRef::fromAttrs(…).to_string()`: each scheme's `toURL` writes only some attributes
 * (a git URL has no `narHash`, a tarball's no `rev`, a Boolean only when true); the flake's
 * `dir` is added to any.
 */
export function flakeRefToString(st: EvalState, a: RefAttrs): string {
  checkAttrs(st, a)
  const type = str(a, 'type')!
  const q = pick(a, ['dir'])
  const flag = (k: string): void => { if (a.get(k) === true) q.set(k, '1') }
  switch (type) {
    case 'indirect': {
      const ref = str(a, 'ref')
      const rev = str(a, 'rev')
      return `flake:${str(a, 'id') ?? ''}${ref !== undefined ? `/${encodeURIComponent(ref)}` : ''}${rev !== undefined ? `/${rev}` : ''}${queryOf(q)}`
    }
    case 'github': case 'gitlab': case 'sourcehut': {
      const rr = str(a, 'ref') ?? str(a, 'rev')
      pick(a, ['host', 'narHash'], q)
      if (str(a, 'ref') !== undefined && str(a, 'rev') !== undefined) q.set('rev', str(a, 'rev')!)
      return `${type}:${str(a, 'owner') ?? ''}/${str(a, 'repo') ?? ''}${rr !== undefined ? `/${rr}` : ''}${queryOf(q)}`
    }
    case 'path':
      pick(a, [...a.keys()].filter(k => k !== 'type' && k !== 'path'), q)
      return `path:${str(a, 'path') ?? ''}${queryOf(q)}`
    case 'git':
      pick(a, ['rev', 'ref'], q)
      for (const k of ['shallow', 'lfs', 'submodules', 'exportIgnore', 'verifyCommit']) flag(k)
      publicKeysQuery(a, q)
      return `git+${str(a, 'url') ?? ''}${queryOf(q)}`
    case 'hg':
      pick(a, ['rev', 'ref'], q)
      return `hg+${str(a, 'url') ?? ''}${queryOf(q)}`
    case 'tarball': case 'file':
      pick(a, ['narHash'], q)
      return `${str(a, 'url') ?? ''}${queryOf(q)}`
    default:
      throw new EvalError(`cannot show unsupported input '${JSON.stringify(Object.fromEntries([...a].map(([k, v]) => [k, typeof v === 'bigint' ? Number(v) : v])))}'`)
  }
}

function toNix(a: RefAttrs): Attrs {
  const m = new Map<string, Value>()
  for (const [k, v] of a) m.set(k, typeof v === 'bigint' ? Number(v) : v)
  return new Attrs(m)
}

export const flakeRefBuiltins: BuiltinGroup = {
  name: 'flake-refs',
  primops: [
    {
      name: '__parseFlakeRef', arity: 1, args: ['flake-ref'],
      impl: (st, args, pos) => {
        const s = st.forceStringNoCtx(args[0]!, pos, 'while evaluating the argument passed to builtins.parseFlakeRef')
        const a = parseFlakeRef(s)
        checkAttrs(st, a)
        return toNix(a)
      },
    },
    {
      name: '__flakeRefToString', arity: 1, args: ['attrs'],
      impl: (st, args, pos) => {
        const v = st.forceAttrs(args[0]!, noPos, 'while evaluating the argument passed to builtins.flakeRefToString')
        const a: RefAttrs = new Map()
        for (const k of v.keys()) {
          const x = st.force(v.get(k)!, pos)
          if (typeof x === 'string' || x instanceof NixString) a.set(k, typeof x === 'string' ? x : x.s)
          else if (typeof x === 'boolean') a.set(k, x)
          else if (typeof x === 'number' || typeof x === 'bigint') {
            if (x < 0) throw new EvalError(`negative value given for flake ref attr ${k}: ${x}`, pos)
            a.set(k, x)
          } else {
            throw new EvalError(`flake reference attribute sets may only contain integers, Booleans, and strings, but attribute '${k}' is ${showType(x)}`, pos)
          }
        }
        return flakeRefToString(st, a)
      },
    },
    {
      name: '__getFlake', arity: 1, args: ['args'],
      impl: (st: EvalState, args: Value[], pos: PosIdx) => {
        st.forceStringNoCtx(args[0]!, pos, 'while evaluating the argument passed to builtins.getFlake')
        requireFeature(st, 'flakes')
        throw new EvalError('builtins.getFlake is not supported by this evaluator yet')
      },
    },
  ],
}

/**
 * Builtins that put things into the store or hash them (C++ primops.cc "Creating files",
 * `addPath`, `prim_hashString`/`hashFile`/`convertHash`): `toFile`, `path`, `filterSource`,
 * `hashString`, `hashFile`, `convertHash`, and the default way `"${./p}"` copies a source path
 * (`copyPathToStore`). Paths are only computed when the store is read-only; the serialising and
 * writing happen behind `EvalStoreIO.addSourcePath`.
 */
import { createHasher, type HashAlgo, type HashFormat, makeFixedOutputPath, makeTextPath, NixHash } from '../../store-path/index.js'
import { EvalError } from '../errors.js'
import type { EvalState } from '../eval-state.js'
import { attrsSymbolOrder } from '../eval-state.js'
import type { FileType } from '../io.js'
import { type PosIdx, noPos } from '../pos.js'
import { type ContextElem, NixString, type Value, binaryToBytes } from '../value.js'
import { getAttrOrThrow } from './attrs.js'
import { realisePath } from './files.js'
import type { BuiltinGroup } from './registry.js'
import { isReadOnly, isValidPath, newHashAllowEmpty, parseHashAlgo, parseHashAny, storeSession } from './store-common.js'

/** A store path as a string whose context is that path (C++ `mkStorePathString`). */
export function storePathString(path: string): NixString {
  return new NixString(path, new Set([path]))
}

/** The last component of an absolute path (C++ `SourcePath::baseName`). */
export function baseNameOfPath(p: string): string {
  return p.slice(p.lastIndexOf('/') + 1)
}

/**
 * C++ `EvalState::copyPathToStore`, used for `"${./p}"`, path-valued derivation attributes and
 * `toJSON`: the path (symlinks resolved in its parents only) added as a NAR `source` path.
 */
export function copySourcePath(st: EvalState, path: string, _pos: PosIdx): string {
  if (path.endsWith('.drv')) throw new EvalError("file names are not allowed to end in '.drv'")
  const store = st.io.store
  if (store?.addSourcePath === undefined) throw new EvalError(`cannot copy '${path}' to the store: the evaluator has no store`)
  return store.addSourcePath({ path, name: baseNameOfPath(path), method: 'nar' })
}

/** Context elements as C++ `NixStringContextElem::to_string` prints them (store base names). */
function showContextElem(st: EvalState, c: ContextElem): string {
  const dir = storeSession(st).storeDir.path + '/'
  return c.split(dir).join('')
}

function toFile(st: EvalState, args: Value[], pos: PosIdx): Value {
  const name = st.forceStringNoCtx(args[0]!, pos, 'while evaluating the first argument passed to builtins.toFile')
  const { s, ctx } = st.forceStringCtx(args[1]!, pos, 'while evaluating the second argument passed to builtins.toFile')
  const session = storeSession(st)
  const refs: string[] = []
  for (const c of [...(ctx ?? [])].sort(contextOrder)) {
    if (c.startsWith('=') || c.startsWith('!')) {
      throw new EvalError(`files created by builtins.toFile may not reference derivations, but ${name} references ${showContextElem(st, c)}`, pos)
    }
    refs.push(c)
  }
  const contents = binaryToBytes(s)
  let path: string
  try {
    path = session.storeDir.print(makeTextPath(session.binaryNames, name, NixHash.of('sha256', contents), refs.map(r => session.storeDir.parse(r))))
  } catch (e) {
    throw new EvalError((e as Error).message, pos)
  }
  if (!isReadOnly(st) && !isValidPath(st, path)) st.io.store!.addTextToStore!(path, contents, refs)
  return storePathString(path)
}

/** std::set<NixStringContextElem> order: opaque paths, then `=drv`, then `!out!drv`. */
function contextOrder(a: string, b: string): number {
  const k = (c: string): number => (c.startsWith('=') ? 1 : c.startsWith('!') ? 2 : 0)
  return k(a) - k(b) || (a < b ? -1 : a > b ? 1 : 0)
}

interface AddPathArgs {
  readonly name: string
  readonly path: string
  readonly filter: Value | undefined
  readonly method: 'nar' | 'flat'
  readonly expectedHash: NixHash | undefined
}

/** C++ `addPath` (builtins.path, filterSource). */
function addPath(st: EvalState, pos: PosIdx, a: AddPathArgs): Value {
  try {
    const session = storeSession(st)
    let expected: string | undefined
    if (a.expectedHash !== undefined) {
      try {
        expected = session.storeDir.print(makeFixedOutputPath(session.binaryNames, a.name, a.method, a.expectedHash))
      } catch (e) {
        if (e instanceof EvalError) throw e
        throw new EvalError((e as Error).message)
      }
      if (isValidPath(st, expected)) return storePathString(expected)
    }
    const store = st.io.store
    if (store?.addSourcePath === undefined) throw new EvalError(`cannot copy '${a.path}' to the store: the evaluator has no store`)
    const filterFn = a.filter
    const filter = filterFn === undefined ? undefined : (p: string, type: FileType): boolean =>
      st.forceBool(st.callFunctionN(filterFn, [p, type], pos), pos, 'while evaluating the return value of the path filter function')
    const dst = store.addSourcePath({ path: a.path, name: a.name, method: a.method, followLinks: true, ...(filter ? { filter } : {}) })
    if (expected !== undefined && expected !== dst) {
      throw new EvalError(`store path mismatch in (possibly filtered) path added from '${a.path}'`, pos)
    }
    return storePathString(dst)
  } catch (e) {
    if (e instanceof EvalError) e.addTrace(pos, `while adding path '${a.path}'`)
    throw e
  }
}

function prim_path(st: EvalState, args: Value[], pos: PosIdx): Value {
  const attrs = st.forceAttrs(args[0]!, pos, "while evaluating the argument passed to 'builtins.path'")
  let path: string | undefined
  let name = ''
  let filter: Value | undefined
  let method: 'nar' | 'flat' = 'nar'
  let expectedHash: NixHash | undefined
  const context = new Set<ContextElem>()
  for (const n of attrsSymbolOrder(st, attrs)) {
    const v = attrs.get(n)!
    const apos = attrs.posOf(n)
    switch (n) {
      case 'path': path = st.coerceToPath(apos, v, context, "while evaluating the 'path' attribute passed to 'builtins.path'"); break
      case 'name': name = st.forceStringNoCtx(v, apos, 'while evaluating the `name` attribute passed to builtins.path'); break
      case 'filter': filter = st.forceFunction(v, apos, 'while evaluating the `filter` parameter passed to builtins.path'); break
      case 'recursive': method = st.forceBool(v, apos, 'while evaluating the `recursive` attribute passed to builtins.path') ? 'nar' : 'flat'; break
      case 'sha256': expectedHash = newHashAllowEmpty(st, st.forceStringNoCtx(v, apos, 'while evaluating the `sha256` attribute passed to builtins.path'), 'sha256'); break
      default: throw new EvalError(`unsupported argument '${n}' to 'builtins.path'`, apos)
    }
  }
  if (path === undefined) throw new EvalError("missing required 'path' attribute in the first argument to 'builtins.path'", pos)
  if (name === '') name = baseNameOfPath(path)
  return addPath(st, pos, { name, path, filter, method, expectedHash })
}

function filterSource(st: EvalState, args: Value[], pos: PosIdx): Value {
  const path = st.coerceToPath(pos, args[1]!, new Set(), "while evaluating the second argument (the path to filter) passed to 'builtins.filterSource'")
  const f = st.forceFunction(args[0]!, pos, 'while evaluating the first argument passed to builtins.filterSource')
  return addPath(st, pos, { name: baseNameOfPath(path), path, filter: f, method: 'nar', expectedHash: undefined })
}

function hashBytes(algo: HashAlgo, data: Uint8Array): string {
  return createHasher(algo).update(data).digest().toBase16()
}

const HASH_FORMATS: Record<string, HashFormat> = { base16: 'base16', nix32: 'nix32', base64: 'base64', sri: 'sri' }

/** C++ `parseHashFormat`. */
function parseHashFormat(st: EvalState, s: string): HashFormat {
  const f = HASH_FORMATS[s]
  if (f !== undefined) return f
  if (s === 'base32') {
    st.warn('"base32" is a deprecated alias for hash format "nix32".')
    return 'nix32'
  }
  throw new EvalError(`unknown hash format '${s}', expect 'base16', 'base32', 'base64', or 'sri'`)
}

export const storePathBuiltins: BuiltinGroup = {
  name: 'store-paths',
  primops: [
    { name: '__toFile', arity: 2, args: ['name', 's'], impl: toFile },
    { name: '__path', arity: 1, args: ['args'], impl: prim_path },
    { name: '__filterSource', arity: 2, args: ['e1', 'e2'], impl: filterSource },
    {
      name: '__hashString', arity: 2, args: ['type', 's'],
      impl: (st, args, pos) => {
        const algo = parseHashAlgo(st, st.forceStringNoCtx(args[0]!, pos, 'while evaluating the first argument passed to builtins.hashString'))
        const s = st.forceString(args[1]!, pos, 'while evaluating the second argument passed to builtins.hashString')
        return hashBytes(algo, binaryToBytes(s))
      },
    },
    {
      name: '__hashFile', arity: 2, args: ['type', 'p'],
      impl: (st, args, pos) => {
        const algo = parseHashAlgo(st, st.forceStringNoCtx(args[0]!, pos, 'while evaluating the first argument passed to builtins.hashFile'))
        const path = realisePath(st, pos, args[1]!)
        let data: Uint8Array
        try { data = st.io.readFile(path) } catch (e) { throw st.ioError(e, path, noPos) }
        return hashBytes(algo, data)
      },
    },
    {
      name: '__convertHash', arity: 1, args: ['args'],
      impl: (st, args, pos) => {
        const a = st.forceAttrs(args[0]!, pos, 'while evaluating the first argument passed to builtins.convertHash')
        const hash = st.forceStringNoCtx(getAttrOrThrow(st, 'hash', a, "while locating the attribute 'hash'"), pos, "while evaluating the attribute 'hash'")
        const ha = a.get('hashAlgo')
        const algo = ha === undefined ? undefined : parseHashAlgo(st, st.forceStringNoCtx(ha, pos, "while evaluating the attribute 'hashAlgo'"))
        const fmt = parseHashFormat(st, st.forceStringNoCtx(getAttrOrThrow(st, 'toHashFormat', a, "while locating the attribute 'toHashFormat'"), pos, "while evaluating the attribute 'toHashFormat'"))
        return parseHashAny(hash, algo).format(fmt, fmt === 'sri')
      },
    },
  ],
}

/**
 * Symbol creation order. C++ Nix interns identifiers and orders some things by symbol id, i.e.
 * by first appearance (formals when reporting a missing argument, attribute sets when forcing
 * deeply). We intern names in the same spirit: the evaluator's static symbols first, then
 * builtins as they are registered, then identifiers as the parser meets them.
 */
const ids = new Map<string, number>()

export function intern(name: string): number {
  let id = ids.get(name)
  if (id === undefined) {
    id = ids.size + 1
    ids.set(name, id)
  }
  return id
}

/** Compare two names by symbol creation order (unknown names sort after known ones, by bytes). */
export function compareSymbols(a: string, b: string): number {
  const ia = ids.get(a) ?? Number.MAX_SAFE_INTEGER
  const ib = ids.get(b) ?? Number.MAX_SAFE_INTEGER
  if (ia !== ib) return ia - ib
  return a < b ? -1 : a > b ? 1 : 0
}

// C++ Nix's static symbols (StaticEvalSymbols), in their creation order, as far as it shows.
for (const s of [
  '', 'with', 'outPath', 'drvPath', 'type', 'meta', 'name', 'value', 'system', 'overrides', 'outputs',
  'outputName', 'ignoreNulls', 'file', 'line', 'column', '__functor', '__toString', 'right', 'wrong',
  '__structuredAttrs', 'json', 'allowedReferences', 'allowedRequisites', 'disallowedReferences',
  'disallowedRequisites', 'maxSize', 'maxClosureSize', 'builder', 'args', '__contentAddressed',
  '__impure', 'outputHash', 'outputHashAlgo', 'outputHashMode', 'recurseForDerivations',
  'description', 'self', 'startSet', 'operator', 'key', 'path', 'prefix', 'outputSpecified',
  '__sub', '__lessThan', '__mul', '__div', 'or', '__findFile', '__nixPath', 'body',
]) intern(s)

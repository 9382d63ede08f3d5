/**
 * Symbol creation order (C++ `SymbolTable`). C++ Nix interns identifiers and orders some things
 * by symbol id, i.e. by first appearance: formals when reporting a missing or duplicate
 * argument, attribute sets when forcing deeply or comparing. Each EvalState has a table: the
 * evaluator's static symbols first, then builtins as they are registered, then identifiers as
 * the parser meets them.
 */

// C++ Nix's static symbols (StaticEvalSymbols), in their creation order, as far as it shows.
const STATIC_SYMBOLS = [
  '', 'with', 'outPath', 'drvPath', 'type', 'meta', 'name', 'value', 'system', 'overrides', 'outputs',
  'outputName', 'ignoreNulls', 'file', 'line', 'column', '__functor', '__toString', 'right', 'wrong',
  '__structuredAttrs', 'json', 'allowedReferences', 'allowedRequisites', 'disallowedReferences',
  'disallowedRequisites', 'maxSize', 'maxClosureSize', 'builder', 'args', '__contentAddressed',
  '__impure', 'outputHash', 'outputHashAlgo', 'outputHashMode', 'recurseForDerivations',
  'description', 'self', 'startSet', 'operator', 'key', 'path', 'prefix', 'outputSpecified',
  '__sub', '__lessThan', '__mul', '__div', 'or', '__findFile', '__nixPath', 'body',
]

export class SymbolTable {
  private readonly ids = new Map<string, number>()

  constructor() {
    for (const s of STATIC_SYMBOLS) this.intern(s)
  }

  intern(name: string): number {
    let id = this.ids.get(name)
    if (id === undefined) {
      id = this.ids.size + 1
      this.ids.set(name, id)
    }
    return id
  }

  /** `intern(name)`, returning the name (C++ `symbols.create` where a name is made from a string). */
  internAndGet(name: string): string {
    this.intern(name)
    return name
  }

  /** Compare two names by creation order (names never interned sort last, by bytes). */
  readonly compare = (a: string, b: string): number => {
    const ia = this.ids.get(a) ?? Number.MAX_SAFE_INTEGER
    const ib = this.ids.get(b) ?? Number.MAX_SAFE_INTEGER
    if (ia !== ib) return ia - ib
    return a < b ? -1 : a > b ? 1 : 0
  }
}

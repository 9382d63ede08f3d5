/**
 * The evaluator's value representation, chosen for speed in V8: common values are plain JS
 * values, the rest small classes. A `Value` may be unevaluated (`Thunk`); `force` (eval-state.ts)
 * turns it into weak head normal form.
 *
 * | Nix type | representation |
 * | --- | --- |
 * | int | `number` while it is a safe integer, `bigint` beyond (checked int64: canonical, so a bigint is never in the safe range) |
 * | float | `NixFloat` (boxed so that `1` and `1.0` stay distinct) |
 * | bool, null | `true`/`false`, `null` |
 * | string | `string` without context, `NixString` with context; both hold bytes, one char per byte |
 * | path | `NixPath` |
 * | list | `Value[]` (never mutated once built), or `GenList` for `builtins.genList`'s result until something needs all of it |
 * | set | `Attrs` |
 * | function | `Lambda`, `PrimOp`, `PrimOpApp` |
 *
 * Strings are "binary strings" (latin1: char code = byte) so that lengths, substrings and
 * comparisons are bytewise like C++ Nix; conversion to and from UTF-8 happens only at the IO
 * edges (`bytesToBinary`/`binaryToBytes`).
 */
import type { Env } from './env.js'
import type { PosIdx } from './pos.js'

export type Value =
  | number | bigint | boolean | null | string
  | NixFloat | NixString | NixPath | Value[] | GenList | Attrs
  | Lambda | PrimOp | PrimOpApp | Thunk

export class NixFloat {
  constructor(readonly value: number) {}
}

/**
 * A string context element, encoded as C++ Nix encodes it in `getContext`-like places:
 * `/nix/store/…` (opaque path), `=/nix/store/…drv` (the derivation and all its outputs),
 * `!out!/nix/store/…drv` (one built output).
 */
export type ContextElem = string
export type Context = ReadonlySet<ContextElem>

export class NixString {
  constructor(readonly s: string, readonly context: Context) {}
}

export class NixPath {
  constructor(readonly path: string) {}
}

/**
 * A compiled expression: evaluates in `env` to a forced value. `pos` is the position of the
 * forcing site when run as a thunk (used by lazy applications for their call frames).
 */
export type Code = (env: Env, pos?: PosIdx, arg?: unknown) => Value

/**
 * The static layout of attribute sets built by one `{ … }` expression: names, their slots and
 * definition positions, shared by every set the expression builds (so such a set holds only
 * its values), plus caches of the name orders.
 */
export class Shape {
  readonly index: Map<string, number>
  sorted: string[] | undefined
  symOrder: string[] | undefined
  /** Slots in symbol order (deep forcing). */
  symOrderIdx: number[] | undefined
  /** `setPos`: position of the literal the sets come from (C++ `Bindings::pos`). */
  constructor(readonly names: readonly string[], readonly pos: readonly PosIdx[], readonly setPos: PosIdx = 0) {
    this.index = new Map(names.map((n, i) => [n, i]))
  }
}

/** The map layout of an attribute set (see `Attrs`). */
class MapLayout {
  sorted: string[] | undefined = undefined
  constructor(readonly m: Map<string, Value>, readonly p: Map<string, PosIdx> | undefined) {}
}

/** Shaped sets with at most this many attributes hold their values in-object (`v0`…`v3`). */
export const INLINE_ATTRS = 4

/**
 * Attribute sets. Two layouts behind one interface: a Shape plus its values (sets written
 * literally), or a Map plus optional positions (sets computed by `//`, builtins, dynamic
 * attributes). Values may be thunks. A shaped set of up to INLINE_ATTRS attributes keeps its
 * values in its own fields rather than in a separate array (two objects fewer): literal sets
 * are among the most numerous long-lived objects, and V8's GC cost grows with their number
 * and size. One class, one constructor, so that every set has the same hidden class.
 */
export class Attrs {
  /** Shaped layout (read by inline caches in compiled code; do not mutate). */
  readonly shape: Shape | undefined
  /**
   * Shaped layout: the values, parallel to `shape.names`, or undefined when they are in-object.
   * Map layout: the map and positions.
   */
  readonly vals: Value[] | MapLayout | undefined
  /** Epoch of the last deep force that visited this set (EvalState.forceDeep). */
  mark = 0
  /** In-object values (shaped layout without `vals`): slots 0…3. */
  v0: Value | undefined
  v1: Value | undefined
  v2: Value | undefined
  v3: Value | undefined

  constructor(map: Map<string, Value>, pos?: Map<string, PosIdx>)
  /** Shaped layout: use `Attrs.fromShape` or `Attrs.inline`. */
  constructor(map: undefined, pos: undefined, shape: Shape, vals: Value[] | undefined)
  constructor(map: Map<string, Value> | undefined, pos?: Map<string, PosIdx>, shape?: Shape, vals?: Value[]) {
    // One constructor for both layouts keeps a single hidden class with in-object fields
    // (an Object.create'd instance stores its fields in a separate property array).
    this.shape = shape
    this.vals = shape !== undefined ? vals : new MapLayout(map!, pos)
    this.v0 = undefined
    this.v1 = undefined
    this.v2 = undefined
    this.v3 = undefined
  }

  /** A shaped set from its values (taken over, not copied, beyond INLINE_ATTRS). */
  static fromShape(shape: Shape, vals: Value[]): Attrs {
    if (vals.length > INLINE_ATTRS) return new Attrs(undefined, undefined, shape, vals)
    return Attrs.inline(shape, vals[0], vals[1], vals[2], vals[3])
  }

  /** A shaped set of at most INLINE_ATTRS attributes (pass undefined for missing slots). */
  static inline(shape: Shape, v0: Value | undefined, v1: Value | undefined, v2: Value | undefined, v3: Value | undefined): Attrs {
    const a = new Attrs(undefined, undefined, shape, undefined)
    a.v0 = v0
    a.v1 = v1
    a.v2 = v2
    a.v3 = v3
    return a
  }

  /** Shaped layout: the value in slot `i` (`i < shape.names.length`). */
  slot(i: number): Value {
    const vs = this.vals
    if (vs !== undefined) return (vs as Value[])[i]!
    switch (i) {
      case 0: return this.v0!
      case 1: return this.v1!
      case 2: return this.v2!
      default: return this.v3!
    }
  }

  /** Shaped layout: replace the value in slot `i` by an equivalent one (forceDeep only). */
  setSlot(i: number, v: Value): void {
    const vs = this.vals
    if (vs !== undefined) { (vs as Value[])[i] = v; return }
    switch (i) {
      case 0: this.v0 = v; return
      case 1: this.v1 = v; return
      case 2: this.v2 = v; return
      default: this.v3 = v
    }
  }

  get size(): number { return this.shape !== undefined ? this.shape.names.length : (this.vals as MapLayout).m.size }

  get(name: string): Value | undefined {
    if (this.shape !== undefined) {
      const i = this.shape.index.get(name)
      return i === undefined ? undefined : this.slot(i)
    }
    return (this.vals as MapLayout).m.get(name)
  }

  has(name: string): boolean { return this.shape !== undefined ? this.shape.index.has(name) : (this.vals as MapLayout).m.has(name) }

  posOf(name: string): PosIdx {
    if (this.shape !== undefined) {
      const i = this.shape.index.get(name)
      return i === undefined ? 0 : this.shape.pos[i]!
    }
    return (this.vals as MapLayout).p?.get(name) ?? 0
  }

  /** Names in no particular order. */
  names(): readonly string[] {
    return this.shape !== undefined ? this.shape.names : [...(this.vals as MapLayout).m.keys()]
  }

  entries(): Iterable<[string, Value]> {
    if (this.shape === undefined) return (this.vals as MapLayout).m
    return this.shape.names.map((n, i) => [n, this.slot(i)] as [string, Value])
  }

  /** The contents as a Map (a new one for shaped sets: use `get` for lookups; do not mutate). */
  get map(): ReadonlyMap<string, Value> {
    return this.shape === undefined ? (this.vals as MapLayout).m : new Map(this.entries())
  }

  /** Positions as a Map (for building derived sets). */
  positions(): Map<string, PosIdx> {
    if (this.shape !== undefined) return new Map(this.shape.names.map((n, i) => [n, this.shape!.pos[i]!]))
    return new Map((this.vals as MapLayout).p ?? [])
  }

  /** Names in byte order (C++ `lexicographicOrder`). */
  keys(): readonly string[] {
    if (this.shape !== undefined) {
      if (this.shape.sorted === undefined) this.shape.sorted = [...this.shape.names].sort(compareBytes)
      return this.shape.sorted
    }
    const ml = this.vals as MapLayout
    if (ml.sorted === undefined) ml.sorted = [...ml.m.keys()].sort(compareBytes)
    return ml.sorted
  }

  /** Names in symbol order, cached per shape (`order` computes it). */
  symbolOrder(order: (names: readonly string[]) => string[]): readonly string[] {
    if (this.shape !== undefined) {
      if (this.shape.symOrder === undefined) this.shape.symOrder = order(this.shape.names)
      return this.shape.symOrder
    }
    return order([...(this.vals as MapLayout).m.keys()])
  }

  static readonly empty = new Attrs(new Map())
}

/** Byte-order comparison of binary strings (JS `<` compares UTF-16 units = bytes here). */
export function compareBytes(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}

export interface Formal {
  readonly name: string
  /** Compiled default, or undefined for a required argument. */
  readonly def: Code | undefined
  readonly pos: PosIdx
}

/** The static part of a lambda (one per lambda expression in the source). */
export interface LambdaInfo {
  /** Name for traces, set when the lambda is bound to an attribute or let variable. */
  name: string | undefined
  readonly pos: PosIdx
  /** `x: …` or `x@{…}: …` */
  readonly arg: string | undefined
  /** Formals sorted by name; undefined for a plain `x: …` lambda. */
  readonly formals: readonly Formal[] | undefined
  readonly ellipsis: boolean
  /** Number of env slots the body's frame needs (arg + formals). */
  readonly envSize: number
  /** Slot of each formal in the frame, parallel to `formals`. */
  readonly formalSlots: readonly number[]
  /** Lazy defaults of the formals, parallel to `formals`. */
  readonly defLazies: ReadonlyArray<((env: Env) => Value) | undefined>
  body: Code
  /** When the body is itself a lambda (`a: b: …`): its info, so calls with more arguments can enter it directly. */
  inner: LambdaInfo | undefined
}

export class Lambda {
  constructor(readonly info: LambdaInfo, readonly env: Env) {}
}

export type PrimOpImpl = (args: Value[], pos: PosIdx) => Value

export class PrimOp {
  constructor(
    /** Name as shown in traces: `add`, `map`, … (without the `__` prefix). */
    readonly name: string,
    readonly arity: number,
    readonly impl: PrimOpImpl,
    readonly argNames: readonly string[] = [],
  ) {}
}

export class PrimOpApp {
  constructor(readonly primop: PrimOp, readonly args: readonly Value[]) {}
}

/** Sentinel code values stored in `Thunk.code` while forcing or after a failure. */
export const BLACKHOLE: Code = () => { throw new Error('blackhole code must not run') }
export const FAILED: Code = () => { throw new Error('failed code must not run') }

/**
 * A suspended computation. `code === null` means evaluated (`value` holds the result);
 * `BLACKHOLE` means being forced;
 * `FAILED` means forcing threw (`value` holds the error).
 * Before evaluation `value` may hold an extra operand for the code (lazy applications keep
 * the function in `env` and the argument in `value`, saving an array per element).
 * Once evaluated, `env` is free and holds the epoch of the last deep force that visited the
 * thunk (EvalState.forceDeep), negated for a list literal's thunk (see `ownsList`). Three
 * fields only: thunks are the most numerous heap objects, and V8's scavenger cost grows with
 * their size.
 */
export class Thunk {
  code: Code | null
  env: Env | null
  value: Value | unknown
  constructor(code: Code, env: Env) {
    this.code = code
    this.env = env
    this.value = undefined
  }
  static done(v: Value): Thunk {
    const t = new Thunk(BLACKHOLE, null as unknown as Env)
    t.code = null
    t.value = v
    return t
  }
}

/**
 * `builtins.genList f n` whose elements are made when first read: element `i` is the lazy
 * application `f i`, shared by every reader. C++ makes all n thunks at once; here that would
 * cost more than the work itself for big lists — n thunks alive together all survive V8's
 * young-generation collections, which copy each of them twice (most of `foldl'` over a
 * 1e6-element genList). `length`, `elemAt`, `head` and `foldl'` read it element by element
 * (`foldl'` also keeps an element's value instead of its evaluated thunk, so the thunk dies
 * young); everything else takes `toArray()`, the plain list, made once.
 */
export class GenList {
  /** Holey until `full`: the elements read so far. */
  private items: Value[] | undefined = undefined
  private full = false
  /** `app` is the code of a lazy application (EvalState.mkApp): `env` the function, `value` the argument. */
  constructor(private readonly app: Code, private readonly f: Value, readonly length: number) {}

  /** Element `i` (0 ≤ i < length), unevaluated. */
  elem(i: number): Value {
    let items = this.items
    if (items === undefined) items = this.items = new Array<Value>(this.length)
    let x = items[i]
    if (x === undefined) {
      const t = new Thunk(this.app, this.f as unknown as Env)
      t.value = i
      items[i] = x = t
    }
    return x
  }

  /**
   * After a reader evaluated element `i`: keep its value in place of the thunk. Unobservable
   * (as EvalState.forceDeep's replacement, and for the same reasons not for lists and
   * functions), and only before `toArray` has handed the list out, which is never mutated.
   */
  settle(i: number): void {
    if (this.full) return
    const t = this.items![i]
    if (t instanceof Thunk && t.code === null) {
      const v = t.value as Value
      if (typeof v !== 'object' || v === null || !(Array.isArray(v) || v instanceof GenList || isFunction(v))) this.items![i] = v
    }
  }

  /** The whole list as a plain one (the same array every time). */
  toArray(): Value[] {
    if (!this.full) {
      const n = this.length
      const items = this.items ?? (this.items = new Array<Value>(n))
      for (let i = 0; i < n; i++) if (items[i] === undefined) this.elem(i)
      this.full = true
    }
    return this.items!
  }

  /** For code that iterates a value it believes is a list. */
  [Symbol.iterator](): Iterator<Value> { return this.toArray()[Symbol.iterator]() }
}

/** A list's elements as an array, whichever representation it has. */
export function listItems(l: Value[] | GenList): Value[] {
  return l instanceof GenList ? l.toArray() : l
}

/** Whether `v` (forced) is a list. */
export function isList(v: Value): v is Value[] | GenList {
  return Array.isArray(v) || v instanceof GenList
}

/**
 * `value` of a list literal's thunk before it is forced; forceThunk then leaves OWNS_LIST in
 * `env`. Such a thunk holds the only reference its evaluation made to its list, so the two
 * are one Nix value (C++: one `Value`): deep forcing may store the list in place of the thunk
 * (the thunk then dies young), and printers key `«repeated»` on the list for both. Any other
 * thunk whose value is a list is a copy (C++ copies the `Value`) and keeps its own identity.
 */
export const FRESH_LIST: unknown = Object.freeze({ freshList: true })
export const OWNS_LIST: unknown = Object.freeze({ ownsList: true })

/** Whether the evaluated thunk `t` is a list literal's, i.e. one value with its list. */
export function ownsList(t: Thunk): boolean {
  const m = t.env as unknown
  return m === OWNS_LIST || (typeof m === 'number' && m < 0)
}

/** Whether the forced thunk `t` was visited by the deep force `epoch`; marks it. */
export function markForcedThunk(t: Thunk, epoch: number): boolean {
  const m = t as unknown as { env: unknown }
  const e = m.env
  if (e === epoch || e === -epoch) return true
  m.env = ownsList(t) ? -epoch : epoch
  return false
}

/** The object `«repeated»` is keyed on for a list read as `raw` (forced to the list `v`). */
export function listIdentity(raw: Value, v: Value): object {
  return raw instanceof Thunk && !ownsList(raw) ? raw : v as object
}

// ---------------------------------------------------------------------------------------------
// Ints: checked int64 with a dual representation.

export const INT64_MAX = 9223372036854775807n
export const INT64_MIN = -9223372036854775808n

/** Canonical int from a bigint, or undefined on int64 overflow. */
export function intFromBig(b: bigint): number | bigint | undefined {
  if (b > INT64_MAX || b < INT64_MIN) return undefined
  if (b <= 9007199254740991n && b >= -9007199254740991n) return Number(b)
  return b
}

export function isInt(v: unknown): v is number | bigint {
  return typeof v === 'number' || typeof v === 'bigint'
}

// ---------------------------------------------------------------------------------------------
// Types, as C++ Nix names them.

export type NixTypeName = 'int' | 'float' | 'bool' | 'string' | 'path' | 'null' | 'set' | 'list' | 'lambda' | 'thunk'

/** `builtins.typeOf` of a forced value. */
export function typeOf(v: Value): NixTypeName {
  switch (typeof v) {
    case 'number': case 'bigint': return 'int'
    case 'boolean': return 'bool'
    case 'string': return 'string'
    case 'object':
      if (v === null) return 'null'
      if (Array.isArray(v) || v instanceof GenList) return 'list'
      if (v instanceof Attrs) return 'set'
      if (v instanceof NixString) return 'string'
      if (v instanceof NixFloat) return 'float'
      if (v instanceof NixPath) return 'path'
      if (v instanceof Lambda || v instanceof PrimOp || v instanceof PrimOpApp) return 'lambda'
      if (v instanceof Thunk) return 'thunk'
  }
  throw new Error(`not a Nix value: ${String(v)}`)
}

/** C++ `showType(Value)`: "an integer", "a set", "a string with context", … */
export function showType(v: Value): string {
  if (v instanceof NixString) return 'a string with context'
  if (v instanceof PrimOp) return `the built-in function '${v.name}'`
  if (v instanceof PrimOpApp) return `the partially applied built-in function '${v.primop.name}'`
  return showTypeName(typeOf(v))
}

export function showTypeName(t: NixTypeName): string {
  switch (t) {
    case 'int': return 'an integer'
    case 'bool': return 'a Boolean'
    case 'string': return 'a string'
    case 'path': return 'a path'
    case 'null': return 'null'
    case 'set': return 'a set'
    case 'list': return 'a list'
    case 'lambda': return 'a function'
    case 'float': return 'a float'
    case 'thunk': return 'a thunk'
  }
}

export function isFunction(v: Value): v is Lambda | PrimOp | PrimOpApp {
  return v instanceof Lambda || v instanceof PrimOp || v instanceof PrimOpApp
}

// ---------------------------------------------------------------------------------------------
// Strings and contexts

export const emptyContext: Context = new Set()

export function mkString(s: string, ctx?: Context): string | NixString {
  return ctx === undefined || ctx.size === 0 ? s : new NixString(s, ctx)
}

/** Binary string (one char per byte) from bytes. */
export function bytesToBinary(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('latin1')
}
export function binaryToBytes(s: string): Uint8Array {
  return Buffer.from(s, 'latin1')
}
/** Binary string holding the UTF-8 encoding of a JS (UTF-16) string. */
export function utf8ToBinary(s: string): string {
  return Buffer.from(s, 'utf8').toString('latin1')
}
/** Decode a binary string as UTF-8 into a JS string (invalid sequences become U+FFFD). */
export function binaryToUtf8(s: string): string {
  return Buffer.from(s, 'latin1').toString('utf8')
}

/**
 * The Nix AST, node for node as C++ Nix builds it (src/libexpr/include/nix/expr/nixexpr.hh), so
 * that `--parse` output, positions and the desugarings (`a - b` → `__sub a b`, `<p>` →
 * `__findFile __nixPath "p"`, `let { … }` → `(rec { … }).body`) match.
 *
 * Variables are resolved after parsing (bind.ts) and the resolution is stored on the node.
 */
import type { PosIdx } from './pos.js'

export type AttrName = { readonly name: string; readonly expr?: undefined } | { readonly name?: undefined; readonly expr: Expr }

export interface AttrDef {
  kind: 'plain' | 'inherited' | 'inheritedFrom'
  e: Expr
  pos: PosIdx
  /** Slot in a recursive frame (rec/let), set by bind. */
  displ: number
}

export interface DynamicAttrDef {
  nameExpr: Expr
  valueExpr: Expr
  pos: PosIdx
}

export interface Formal {
  pos: PosIdx
  name: string
  def: Expr | undefined
}

export type Expr =
  | { kind: 'int'; value: number | bigint }
  | { kind: 'float'; value: number }
  | { kind: 'string'; value: string }
  | { kind: 'path'; value: string }
  | ExprVar
  | ExprSelect
  | { kind: 'hasAttr'; e: Expr; path: AttrName[] }
  | ExprAttrs
  | { kind: 'list'; elems: Expr[] }
  | ExprLambda
  | ExprCall
  | { kind: 'let'; attrs: ExprAttrs; body: Expr }
  | { kind: 'with'; pos: PosIdx; attrs: Expr; body: Expr; /** set by bind */ prevWith: number; parentWith: ExprWithRef | undefined }
  | { kind: 'if'; pos: PosIdx; cond: Expr; then: Expr; else: Expr }
  | { kind: 'assert'; pos: PosIdx; cond: Expr; body: Expr }
  | { kind: 'not'; e: Expr }
  | { kind: 'binop'; op: BinOp; pos: PosIdx; e1: Expr; e2: Expr }
  | ExprConcatStrings
  | { kind: 'curPos'; pos: PosIdx }
  | ExprInheritFrom

export type BinOp = '==' | '!=' | '&&' | '||' | '->' | '//' | '++'

export interface ExprWithRef { kind: 'with'; pos: PosIdx; prevWith: number; parentWith: ExprWithRef | undefined }

export interface ExprVar {
  kind: 'var'
  pos: PosIdx
  name: string
  /** Resolution (bind.ts): `fromWith` set ⇒ dynamic lookup through `with` frames. */
  level: number
  displ: number
  fromWith: ExprWithRef | undefined
}

export interface ExprSelect {
  kind: 'select'
  pos: PosIdx
  e: Expr
  path: AttrName[]
  def: Expr | undefined
}

export interface ExprAttrs {
  kind: 'attrs'
  pos: PosIdx
  rec: boolean
  attrs: Map<string, AttrDef>
  dynamic: DynamicAttrDef[]
  /** Sources of `inherit (e) …`, referenced by ExprInheritFrom.displ. */
  inheritFrom: Expr[] | undefined
}

export interface ExprLambda {
  kind: 'lambda'
  pos: PosIdx
  arg: string | undefined
  /** Sorted as C++ sorts them (by symbol creation order); undefined for `x: …`. */
  formals: Formal[] | undefined
  ellipsis: boolean
  body: Expr
  name: string | undefined
}

export interface ExprCall {
  kind: 'call'
  pos: PosIdx
  fn: Expr
  args: Expr[]
  /** Set for the "cursed or" (`f or`): position of its end. */
  cursedOrEndPos?: PosIdx
}

export interface ExprConcatStrings {
  kind: 'concatStrings'
  pos: PosIdx
  forceString: boolean
  parts: Array<[PosIdx, Expr]>
}

export interface ExprInheritFrom {
  kind: 'inheritFrom'
  pos: PosIdx
  displ: number
  /** The ExprAttrs whose inheritFrom list this indexes (bind.ts). */
  level: number
}

export function mkVar(pos: PosIdx, name: string): ExprVar {
  return { kind: 'var', pos, name, level: 0, displ: 0, fromWith: undefined }
}

export function mkAttrs(pos: PosIdx = 0): ExprAttrs {
  return { kind: 'attrs', pos, rec: false, attrs: new Map(), dynamic: [], inheritFrom: undefined }
}

/** C++ `Expr::setName`: names lambdas (and their curried bodies) after the binding. */
export function setName(e: Expr, name: string): void {
  if (e.kind === 'lambda') {
    e.name = name
    setName(e.body, name)
  }
}

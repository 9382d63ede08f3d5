/**
 * The Nix grammar as C++ Nix 2.34's Bison file states it (src/libexpr/parser.y): the same
 * productions, precedences and token names, so that an LALR(1) table built from it (lalr.ts,
 * with Bison's default reductions) detects errors in the same states and lists the same
 * expected tokens in "syntax error, unexpected X, expecting Y or Z".
 *
 * Each production has an action name; parser.ts implements the semantic actions by name.
 */
import { Tok } from '../lexer.js'

/** Table action encoding: shift s → s + 1 (≥ 1); reduce p → -(p + 1); explicit error → 0; accept → ACCEPT. */
export const ACCEPT = 1 << 30

export interface TerminalInfo {
  readonly code: number
  /** Bison's display name (the alias), e.g. `'if'`, `identifier`, `'"'`. */
  readonly display: string
}

const c = (ch: string): number => ch.charCodeAt(0)

/** Terminals in Bison's symbol order: $end, error, $undefined, then declaration order. */
export const TERMINALS: readonly TerminalInfo[] = [
  { code: Tok.EOF, display: 'end of file' },
  { code: -1, display: 'error' },
  { code: -2, display: 'invalid token' },
  { code: Tok.ID, display: 'identifier' },
  { code: Tok.STR, display: 'string' },
  { code: Tok.IND_STR, display: 'indented string' },
  { code: Tok.INT_LIT, display: 'integer' },
  { code: Tok.FLOAT_LIT, display: 'floating-point literal' },
  { code: Tok.PATH, display: 'path' },
  { code: Tok.HPATH, display: "'~/\xe2\x80\xa6' path" },
  { code: Tok.SPATH, display: "'<\xe2\x80\xa6>' path" },
  { code: Tok.PATH_END, display: 'end of path' },
  { code: Tok.URI, display: 'URI' },
  { code: Tok.IF, display: "'if'" },
  { code: Tok.THEN, display: "'then'" },
  { code: Tok.ELSE, display: "'else'" },
  { code: Tok.ASSERT, display: "'assert'" },
  { code: Tok.WITH, display: "'with'" },
  { code: Tok.LET, display: "'let'" },
  { code: Tok.IN_KW, display: "'in'" },
  { code: Tok.REC, display: "'rec'" },
  { code: Tok.INHERIT, display: "'inherit'" },
  { code: Tok.EQ, display: "'=='" },
  { code: Tok.NEQ, display: "'!='" },
  { code: Tok.LEQ, display: "'<='" },
  { code: Tok.GEQ, display: "'>='" },
  { code: Tok.UPDATE, display: "'//'" },
  { code: Tok.CONCAT, display: "'++'" },
  { code: Tok.AND, display: "'&&'" },
  { code: Tok.OR, display: "'||'" },
  { code: Tok.IMPL, display: "'->'" },
  { code: Tok.OR_KW, display: "'or'" },
  { code: Tok.PIPE_FROM, display: "'<|'" },
  { code: Tok.PIPE_INTO, display: "'|>'" },
  { code: Tok.DOLLAR_CURLY, display: "'${'" },
  { code: Tok.IND_STRING_OPEN, display: 'start of an indented string' },
  { code: Tok.IND_STRING_CLOSE, display: 'end of an indented string' },
  { code: Tok.ELLIPSIS, display: "'...'" },
  // Character tokens, numbered by Bison in order of first appearance: first in the precedence
  // declarations, then in the rules.
  ...['<', '>', '+', '-', '*', '/', '?', ':', '@', ';', '!', '.', '"', '(', ')', '{', '}', '[', ']', '=', ',']
    .map(ch => ({ code: c(ch), display: `'${ch}'` })),
]

/** Precedence levels, low to high (parser.y's %right/%left/%nonassoc lines). */
export const PRECEDENCE: ReadonlyArray<{ assoc: 'left' | 'right' | 'nonassoc'; tokens: readonly (number | string)[] }> = [
  { assoc: 'right', tokens: [Tok.IMPL] },
  { assoc: 'left', tokens: [Tok.OR] },
  { assoc: 'left', tokens: [Tok.AND] },
  { assoc: 'nonassoc', tokens: [Tok.EQ, Tok.NEQ] },
  { assoc: 'nonassoc', tokens: [c('<'), c('>'), Tok.LEQ, Tok.GEQ] },
  { assoc: 'right', tokens: [Tok.UPDATE] },
  { assoc: 'left', tokens: ['NOT'] },
  { assoc: 'left', tokens: [c('+'), c('-')] },
  { assoc: 'left', tokens: [c('*'), c('/')] },
  { assoc: 'right', tokens: [Tok.CONCAT] },
  { assoc: 'nonassoc', tokens: [c('?')] },
  { assoc: 'nonassoc', tokens: ['NEGATE'] },
]

export interface Production {
  readonly lhs: string
  /** Symbols: nonterminal names (strings) or terminal codes (numbers). */
  readonly rhs: readonly (string | number)[]
  readonly action: string
  /** %prec override: a token code or a precedence-only name. */
  readonly prec?: number | string
}

const P = (lhs: string, rhs: (string | number)[], action: string, prec?: number | string): Production =>
  prec === undefined ? { lhs, rhs, action } : { lhs, rhs, action, prec }

const T = Tok
export const PRODUCTIONS: readonly Production[] = [
  P('start', ['expr'], 'start'),
  P('expr', ['expr_function'], 'pass'),

  P('expr_function', [T.ID, c(':'), 'expr_function'], 'lambdaSimple'),
  P('expr_function', ['formal_set', c(':'), 'expr_function'], 'lambdaFormals'),
  P('expr_function', ['formal_set', c('@'), T.ID, c(':'), 'expr_function'], 'lambdaFormalsAt'),
  P('expr_function', [T.ID, c('@'), 'formal_set', c(':'), 'expr_function'], 'lambdaAtFormals'),
  P('expr_function', [T.ASSERT, 'expr', c(';'), 'expr_function'], 'assert'),
  P('expr_function', [T.WITH, 'expr', c(';'), 'expr_function'], 'with'),
  P('expr_function', [T.LET, 'binds', T.IN_KW, 'expr_function'], 'let'),
  P('expr_function', ['expr_if'], 'pass'),

  P('expr_if', [T.IF, 'expr', T.THEN, 'expr', T.ELSE, 'expr'], 'if'),
  P('expr_if', ['expr_pipe_from'], 'pass'),
  P('expr_if', ['expr_pipe_into'], 'pass'),
  P('expr_if', ['expr_op'], 'pass'),

  P('expr_pipe_from', ['expr_op', T.PIPE_FROM, 'expr_pipe_from'], 'pipeFrom'),
  P('expr_pipe_from', ['expr_op', T.PIPE_FROM, 'expr_op'], 'pipeFrom'),
  P('expr_pipe_into', ['expr_pipe_into', T.PIPE_INTO, 'expr_op'], 'pipeInto'),
  P('expr_pipe_into', ['expr_op', T.PIPE_INTO, 'expr_op'], 'pipeInto'),

  P('expr_op', [c('!'), 'expr_op'], 'not', 'NOT'),
  P('expr_op', [c('-'), 'expr_op'], 'negate', 'NEGATE'),
  P('expr_op', ['expr_op', T.EQ, 'expr_op'], 'eq'),
  P('expr_op', ['expr_op', T.NEQ, 'expr_op'], 'neq'),
  P('expr_op', ['expr_op', c('<'), 'expr_op'], 'lt'),
  P('expr_op', ['expr_op', T.LEQ, 'expr_op'], 'leq'),
  P('expr_op', ['expr_op', c('>'), 'expr_op'], 'gt'),
  P('expr_op', ['expr_op', T.GEQ, 'expr_op'], 'geq'),
  P('expr_op', ['expr_op', T.AND, 'expr_op'], 'and'),
  P('expr_op', ['expr_op', T.OR, 'expr_op'], 'or'),
  P('expr_op', ['expr_op', T.IMPL, 'expr_op'], 'impl'),
  P('expr_op', ['expr_op', T.UPDATE, 'expr_op'], 'update'),
  P('expr_op', ['expr_op', c('?'), 'attrpath'], 'hasAttr'),
  P('expr_op', ['expr_op', c('+'), 'expr_op'], 'plus'),
  P('expr_op', ['expr_op', c('-'), 'expr_op'], 'sub'),
  P('expr_op', ['expr_op', c('*'), 'expr_op'], 'mul'),
  P('expr_op', ['expr_op', c('/'), 'expr_op'], 'div'),
  P('expr_op', ['expr_op', T.CONCAT, 'expr_op'], 'concatLists'),
  P('expr_op', ['expr_app'], 'pass'),

  P('expr_app', ['expr_app', 'expr_select'], 'app'),
  P('expr_app', ['expr_select'], 'appSingle'),

  P('expr_select', ['expr_simple', c('.'), 'attrpath'], 'select'),
  P('expr_select', ['expr_simple', c('.'), 'attrpath', T.OR_KW, 'expr_select'], 'selectOr'),
  P('expr_select', ['expr_simple', T.OR_KW], 'cursedOr'),
  P('expr_select', ['expr_simple'], 'pass'),

  P('expr_simple', [T.ID], 'var'),
  P('expr_simple', [T.INT_LIT], 'int'),
  P('expr_simple', [T.FLOAT_LIT], 'float'),
  P('expr_simple', [c('"'), 'string_parts', c('"')], 'string'),
  P('expr_simple', [T.IND_STRING_OPEN, 'ind_string_parts', T.IND_STRING_CLOSE], 'indString'),
  P('expr_simple', ['path_start', T.PATH_END], 'pass'),
  P('expr_simple', ['path_start', 'string_parts_interpolated', T.PATH_END], 'pathInterp'),
  P('expr_simple', [T.SPATH], 'spath'),
  P('expr_simple', [T.URI], 'uri'),
  P('expr_simple', [c('('), 'expr', c(')')], 'paren'),
  P('expr_simple', [T.LET, c('{'), 'binds', c('}')], 'letBody'),
  P('expr_simple', [T.REC, c('{'), 'binds', c('}')], 'recAttrs'),
  P('expr_simple', [c('{'), 'binds1', c('}')], 'attrs'),
  P('expr_simple', [c('{'), c('}')], 'emptyAttrs'),
  P('expr_simple', [c('['), 'list', c(']')], 'list'),

  P('string_parts', [T.STR], 'strPartsStr'),
  P('string_parts', ['string_parts_interpolated'], 'strPartsInterp'),
  P('string_parts', [], 'strPartsEmpty'),

  P('string_parts_interpolated', ['string_parts_interpolated', T.STR], 'interpAddStr'),
  P('string_parts_interpolated', ['string_parts_interpolated', T.DOLLAR_CURLY, 'expr', c('}')], 'interpAddExpr'),
  P('string_parts_interpolated', [T.DOLLAR_CURLY, 'expr', c('}')], 'interpFirstExpr'),
  P('string_parts_interpolated', [T.STR, T.DOLLAR_CURLY, 'expr', c('}')], 'interpFirstStrExpr'),

  P('path_start', [T.PATH], 'path'),
  P('path_start', [T.HPATH], 'hpath'),

  P('ind_string_parts', ['ind_string_parts', T.IND_STR], 'indAddStr'),
  P('ind_string_parts', ['ind_string_parts', T.DOLLAR_CURLY, 'expr', c('}')], 'indAddExpr'),
  P('ind_string_parts', [], 'indEmpty'),

  P('binds', ['binds1'], 'pass'),
  P('binds', [], 'bindsEmpty'),

  P('binds1', ['binds1', 'attrpath', c('='), 'expr', c(';')], 'bindAttr'),
  P('binds1', ['binds', T.INHERIT, 'attrs', c(';')], 'bindInherit'),
  P('binds1', ['binds', T.INHERIT, c('('), 'expr', c(')'), 'attrs', c(';')], 'bindInheritFrom'),
  P('binds1', ['attrpath', c('='), 'expr', c(';')], 'bindFirstAttr'),

  P('attrs', ['attrs', 'attr'], 'attrsAddAttr'),
  P('attrs', ['attrs', 'string_attr'], 'attrsAddString'),
  P('attrs', [], 'attrsEmpty'),

  P('attrpath', ['attrpath', c('.'), 'attr'], 'attrpathAddAttr'),
  P('attrpath', ['attrpath', c('.'), 'string_attr'], 'attrpathAddString'),
  P('attrpath', ['attr'], 'attrpathFirstAttr'),
  P('attrpath', ['string_attr'], 'attrpathFirstString'),

  P('attr', [T.ID], 'attrId'),
  P('attr', [T.OR_KW], 'attrOr'),

  P('string_attr', [c('"'), 'string_parts', c('"')], 'stringAttrStr'),
  P('string_attr', [T.DOLLAR_CURLY, 'expr', c('}')], 'stringAttrExpr'),

  P('list', ['list', 'expr_select'], 'listAdd'),
  P('list', [], 'listEmpty'),

  P('formal_set', [c('{'), 'formals', c(','), T.ELLIPSIS, c('}')], 'formalSetEllipsis'),
  P('formal_set', [c('{'), T.ELLIPSIS, c('}')], 'formalSetOnlyEllipsis'),
  P('formal_set', [c('{'), 'formals', c(','), c('}')], 'formalSet'),
  P('formal_set', [c('{'), 'formals', c('}')], 'formalSet'),
  P('formal_set', [c('{'), c('}')], 'formalSetEmpty'),

  P('formals', ['formals', c(','), 'formal'], 'formalsAdd'),
  P('formals', ['formal'], 'formalsFirst'),

  P('formal', [T.ID], 'formal'),
  P('formal', [T.ID, c('?'), 'expr'], 'formalDefault'),
]

/**
 * `tsnix instantiate`: the `nix-instantiate` command line (C++ src/nix-instantiate). Evaluates
 * files, `-E` expressions or stdin, then prints the AST (`--parse`), the value (`--eval`, with
 * `--strict`, `--json`, `--xml`, `--raw`), or instantiates the derivations found.
 */
import { resolve } from 'node:path'
import type { Expr } from '../eval/ast.js'
import { EvalError, renderError } from '../eval/errors.js'
import { EvalState } from '../eval/eval-state.js'
import { type PosIdx, noPos } from '../eval/pos.js'
import { printAmbiguous } from '../eval/print.js'
import { showExpr } from '../eval/show.js'
import { Attrs, Lambda, NixString, type Value, isList, listItems } from '../eval/value.js'
import { JSONSerializationError, valueToJSON } from '../eval/builtins/json.js'
import { findFile } from '../eval/builtins/files.js'
import { writeValueAsXML } from '../eval/xml.js'
import { filterANSIEscapes } from '../eval/terminal.js'
import { NodeEvalIO } from './eval-io.js'
import { attachCliStore } from '../eval-store/cli.js'
import { type CommandContext, type CommandMain, type Sinks, JsStackOverflow, isJsStackOverflow, processContext, runCommand } from './eval-run.js'
import { applyConfigEntry, EvalSettingsError, isBoolSetting, isSettingName, loadConfig, toEvalSettings } from './eval-settings.js'

export async function run(args: string[]): Promise<number> {
  return runCommand('instantiate', main, args)
}

interface Options {
  parseOnly: boolean
  evalOnly: boolean
  strict: boolean
  output: 'nix' | 'json' | 'xml' | 'raw'
  location: boolean
  fromArgs: boolean
  readStdin: boolean
  files: string[]
  attrPaths: string[]
  autoArgs: Array<{ name: string; expr?: string; str?: string }>
  findFile: boolean
  /** C++ settings.readOnlyMode: `--eval`/`--parse` unless `--read-write-mode`; `--readonly-mode`. */
  readWrite: boolean | undefined
}

class UsageError extends Error {}

const USAGE = `Usage: tsnix instantiate [--parse | --eval [--strict] [--json | --xml | --raw]] [-E EXPR | FILE...] [-A ATTRPATH] [--arg NAME EXPR] [--argstr NAME STRING] [-I PATH] [--show-trace] [--option NAME VALUE]\n`

function parseArgs(args: string[], config: Map<string, string>, includes: string[]): Options {
  const o: Options = {
    parseOnly: false, evalOnly: false, strict: false, output: 'nix', location: true, fromArgs: false, readStdin: false,
    files: [], attrPaths: [], autoArgs: [], findFile: false, readWrite: undefined,
  }
  const need = (i: number, flag: string): string => {
    const v = args[i]
    if (v === undefined) throw new UsageError(`flag '${flag}' requires an argument`)
    return v
  }
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!
    switch (a) {
      case '--parse': case '--parse-only': o.parseOnly = true; o.evalOnly = true; break
      case '--eval': case '--eval-only': o.evalOnly = true; break
      case '--strict': o.strict = true; break
      case '--json': o.output = 'json'; break
      case '--xml': o.output = 'xml'; break
      case '--raw': o.output = 'raw'; break
      case '--no-location': o.location = false; break
      case '--read-write-mode': o.readWrite = true; break
      case '--readonly-mode': o.readWrite = false; break
      case '--dry-run': break
      case '--find-file': o.findFile = true; break
      case '-E': case '--expr': o.fromArgs = true; break
      case '-A': case '--attr': o.attrPaths.push(need(++i, a)); break
      case '--arg': { const name = need(++i, a); o.autoArgs.push({ name, expr: need(++i, a) }); break }
      case '--argstr': { const name = need(++i, a); o.autoArgs.push({ name, str: need(++i, a) }); break }
      case '-I': case '--include': includes.push(need(++i, a)); break
      case '--option': { const name = need(++i, a); applyConfigEntry(config, name, need(++i, a)); break }
      case '--impure': config.set('pure-eval', 'false'); break
      case '--add-root': case '--indirect': if (a === '--add-root') i++; break
      case '-': o.readStdin = true; break
      case '--help': throw new UsageError('')
      default: {
        if (a.startsWith('--no-') && isBoolSetting(a.slice(5))) { config.set(a.slice(5), 'false'); break }
        if (a.startsWith('--') && isSettingName(a.slice(2))) {
          const name = a.slice(2)
          if (isBoolSetting(name)) config.set(name, 'true')
          else applyConfigEntry(config, name, need(++i, a))
          break
        }
        if (a.startsWith('-') && a.length > 1) throw new UsageError(`unrecognised flag '${a}'`)
        o.files.push(a)
      }
    }
  }
  if (o.attrPaths.length === 0) o.attrPaths.push('')
  return o
}

export const main: CommandMain = (args: string[], sinks: Sinks, ctx: CommandContext = processContext()): number => {
  const config = loadConfig(ctx.env)
  const includes: string[] = []
  let o: Options
  try {
    o = parseArgs(args, config, includes)
  } catch (e) {
    if (e instanceof UsageError) {
      if (e.message === '') { sinks.stdout(USAGE); return 0 }
      sinks.stderr(`error: ${e.message}\nTry 'tsnix instantiate --help' for more information.\n`)
      return 1
    }
    throw e
  }
  let st: EvalState | undefined
  try {
    const settings = toEvalSettings({ config, includes }, ctx.env, ctx.cwd)
    st = new EvalState(new NodeEvalIO(sinks.stderr, ctx.env), settings)
    attachCliStore(st, { config, env: ctx.env, readOnly: o.readWrite === undefined ? o.evalOnly : !o.readWrite })
    const cwdB = settings.cwd!
    const autoArgs = buildAutoArgs(st, o, cwdB)

    const exprs: Expr[] = []
    if (o.readStdin && !o.fromArgs) {
      exprs.push(st.parse(ctx.readStdin(), 'stdin', '', cwdB))
    } else if (o.fromArgs) {
      for (const f of o.files) exprs.push(st.parse(Buffer.from(f, 'utf8').toString('latin1'), 'string', '', cwdB))
    } else {
      const files = o.files.length > 0 ? o.files : ['./default.nix']
      for (const f of files) {
        if (o.findFile) {
          const p = findFile(st, st.settings.nixPath, f, noPos) as { path: string }
          sinks.stdout(p.path + '\n')
          continue
        }
        const path = lookupFileArg(st, f, cwdB)
        exprs.push(parseFile(st, path))
      }
    }
    for (const e of exprs) processExpr(st, o, autoArgs, e, sinks)
    st.io.store?.flush?.() // writes the store batches (.drv files) are done, or their error shows
    return 0
  } catch (e) {
    if (isJsStackOverflow(e) || e instanceof JsStackOverflow) {
      if (isWorker() || process.env['TSNIX_EVAL_THREAD'] === 'main') {
        sinks.stderr('error: stack overflow (possible infinite recursion)\n')
        return 1
      }
      throw e
    }
    if (e instanceof EvalError && st) {
      sinks.stderr(filterANSIEscapes(renderError(e, st.positions, { showTrace: st.settings.showTrace })) + '\n')
      // C++ exits with an error's own status where it has one (102 for hash mismatches)
      return (e as { exitStatus?: number }).exitStatus ?? 1
    }
    if (e instanceof EvalSettingsError) {
      sinks.stderr(`error: ${e.message}\n`)
      return 1
    }
    throw e
  }
}

function isWorker(): boolean {
  return (globalThis as { __tsnixWorker?: boolean }).__tsnixWorker === true
}


function lookupFileArg(st: EvalState, f: string, cwd: string): string {
  const fb = Buffer.from(f, 'utf8').toString('latin1')
  if (fb.startsWith('<') && fb.endsWith('>')) {
    const v = findFile(st, st.settings.nixPath, fb.slice(1, -1), noPos) as { path: string }
    return v.path
  }
  return resolve(cwd, fb)
}

function parseFile(st: EvalState, path: string): Expr {
  let p = path
  try {
    if (st.io.fileType(p) === 'directory' || (st.io.realPath && st.io.fileType(st.io.realPath(p)) === 'directory')) p = p.replace(/\/$/, '') + '/default.nix'
  } catch { /* reported by the read below */ }
  const text = st.readFileText(p)
  const slash = p.lastIndexOf('/')
  return st.parse(text, 'file', p, slash <= 0 ? '/' : p.slice(0, slash))
}

function buildAutoArgs(st: EvalState, o: Options, cwd: string): Attrs {
  const m = new Map<string, Value>()
  for (const a of o.autoArgs) {
    if (a.str !== undefined) m.set(a.name, Buffer.from(a.str, 'utf8').toString('latin1'))
    else {
      const e = st.parse(Buffer.from(a.expr!, 'utf8').toString('latin1'), 'string', '', cwd)
      m.set(a.name, st.lazyEval(e))
    }
  }
  return new Attrs(m)
}

/** C++ findAlongAttrPath: select an attribute path (`a.b.0.c`), auto-calling functions on the way. */
function findAlongAttrPath(st: EvalState, attrPath: string, autoArgs: Attrs, v: Value): Value {
  if (attrPath === '') return v
  const tokens = parseAttrPath(attrPath)
  let cur = v
  for (const t of tokens) {
    cur = st.autoCallFunction(autoArgs, st.force(cur))
    cur = st.force(cur)
    if (/^[0-9]+$/.test(t)) {
      if (!isList(cur)) throw new EvalError(`the expression selected by the selection path '${attrPath}' should be a list but is ${showTypeOf(cur)}`)
      const idx = Number(t)
      if (idx >= cur.length) throw new EvalError(`list index ${idx} in selection path '${attrPath}' is out of range`)
      cur = listItems(cur)[idx]!
    } else {
      if (!(cur instanceof Attrs)) throw new EvalError(`the expression selected by the selection path '${attrPath}' should be a set but is ${showTypeOf(cur)}`)
      const x = cur.get(t)
      if (x === undefined) throw new EvalError(`attribute '${t}' in selection path '${attrPath}' not found`)
      cur = x
    }
  }
  return cur
}

function showTypeOf(v: Value): string {
  if (isList(v)) return 'a list'
  if (v instanceof Attrs) return 'a set'
  if (v instanceof Lambda) return 'a function'
  return `a ${typeof v}`
}

function parseAttrPath(s: string): string[] {
  const out: string[] = []
  let cur = ''
  for (let i = 0; i < s.length; i++) {
    const c = s[i]
    if (c === '.') { out.push(cur); cur = '' }
    else if (c === '"') {
      const j = s.indexOf('"', i + 1)
      if (j < 0) throw new EvalError(`missing closing quote in selection path '${s}'`)
      cur += s.slice(i + 1, j)
      i = j
    } else cur += c
  }
  out.push(cur)
  return out
}

function processExpr(st: EvalState, o: Options, autoArgs: Attrs, e: Expr, sinks: Sinks): void {
  if (o.parseOnly) {
    sinks.stdout(showExpr(e) + '\n')
    return
  }
  const vRoot = st.eval(e)
  for (const ap of o.attrPaths) {
    let v = findAlongAttrPath(st, ap, autoArgs, vRoot)
    v = st.force(v)
    if (o.evalOnly) {
      const vRes = autoArgs.size === 0 ? v : st.autoCallFunction(autoArgs, v)
      if (o.output === 'raw') {
        const s = st.coerceToString(noPos, vRes, new Set(), 'while generating the nix-instantiate output')
        sinks.stdout(s)
      } else if (o.output === 'json') {
        let text: string
        try {
          text = valueToJSON(st, vRes, noPos, new Set())
        } catch (e) {
          // C++ streams the serialisation: what was written before invalid UTF-8 stays.
          if (e instanceof JSONSerializationError) sinks.stdout(e.partialOutput)
          throw e
        }
        sinks.stdout(text + '\n')
      } else if (o.output === 'xml') {
        writeValueAsXML(st, vRes, o.strict, o.location, new Set(), s => sinks.stdout(s))
      } else {
        if (o.strict) st.forceDeep(vRes)
        sinks.stdout(printAmbiguous(st.force(vRes)) + '\n')
      }
    } else {
      const hook = st.outputHooks.instantiate
      if (!hook) throw new EvalError('instantiating derivations is not supported by this evaluator yet (use --eval)')
      for (const line of hook(st, v, autoArgs)) sinks.stdout(line + '\n')
    }
  }
}

export type { PosIdx }
export { NixString }

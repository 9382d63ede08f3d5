/**
 * `tsnix eval`: evaluate an expression and print its value deeply, in the style of `nix eval`
 * (forced, `«lambda …»`, `«derivation …»`), or as JSON (`--json`) or raw text (`--raw`).
 *
 *   tsnix eval --expr EXPR [--json | --raw] [--apply FN] [ATTRPATH]
 *   tsnix eval --file FILE [--json | --raw] [--apply FN] [ATTRPATH]
 */
import { resolve } from 'node:path'
import { valueToJSON } from '../eval/builtins/json.js'
import { EvalError, renderError } from '../eval/errors.js'
import { EvalState } from '../eval/eval-state.js'
import { noPos } from '../eval/pos.js'
import { printValue } from '../eval/print.js'
import { Attrs, type Value } from '../eval/value.js'
import { NodeEvalIO } from './eval-io.js'
import { type CommandContext, type CommandMain, type Sinks, isJsStackOverflow, processContext, runCommand } from './eval-run.js'
import { applyConfigEntry, EvalSettingsError, isBoolSetting, isSettingName, loadConfig, toEvalSettings } from './eval-settings.js'
import { attachCliStore } from '../eval-store/cli.js'

export async function run(args: string[]): Promise<number> {
  return runCommand('eval', main, args)
}

const USAGE = 'Usage: tsnix eval (--expr EXPR | --file FILE) [--json | --raw] [--apply FN] [ATTRPATH]\n'
const bin = (s: string): string => Buffer.from(s, 'utf8').toString('latin1')

export const main: CommandMain = (args: string[], sinks: Sinks, ctx: CommandContext = processContext()): number => {
  const config = loadConfig(ctx.env)
  const includes: string[] = []
  let expr: string | undefined
  let file: string | undefined
  let apply: string | undefined
  let output: 'nix' | 'json' | 'raw' = 'nix'
  let attrPath = ''
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!
    const need = (): string => {
      const v = args[++i]
      if (v === undefined) throw new EvalSettingsError(`flag '${a}' requires an argument`)
      return v
    }
    try {
      if (a === '--expr' || a === '-E') expr = need()
      else if (a === '--file' || a === '-f') file = need()
      else if (a === '--apply') apply = need()
      else if (a === '--json') output = 'json'
      else if (a === '--raw') output = 'raw'
      else if (a === '-I' || a === '--include') includes.push(need())
      else if (a === '--option') { const n = need(); applyConfigEntry(config, n, need()) }
      else if (a === '--impure') config.set('pure-eval', 'false')
      else if (a === '--help') { sinks.stdout(USAGE); return 0 }
      else if (a.startsWith('--no-') && isBoolSetting(a.slice(5))) config.set(a.slice(5), 'false')
      else if (a.startsWith('--') && isSettingName(a.slice(2))) {
        if (isBoolSetting(a.slice(2))) config.set(a.slice(2), 'true')
        else applyConfigEntry(config, a.slice(2), need())
      } else if (a.startsWith('-')) throw new EvalSettingsError(`unrecognised flag '${a}'`)
      else attrPath = a
    } catch (e) {
      if (e instanceof EvalSettingsError) { sinks.stderr(`error: ${e.message}\n${USAGE}`); return 1 }
      throw e
    }
  }
  if ((expr === undefined) === (file === undefined)) { sinks.stderr(`error: give exactly one of --expr and --file\n${USAGE}`); return 1 }
  let st: EvalState | undefined
  try {
    const settings = toEvalSettings({ config, includes }, ctx.env, ctx.cwd)
    st = new EvalState(new NodeEvalIO(sinks.stderr, ctx.env), settings)
    attachCliStore(st, { config, env: ctx.env, readOnly: true })
    const cwd = settings.cwd!
    let v: Value
    if (expr !== undefined) v = st.eval(st.parse(bin(expr), 'string', '', cwd))
    else {
      const path = resolve(cwd, bin(file!))
      const slash = path.lastIndexOf('/')
      v = st.eval(st.parse(st.readFileText(path), 'file', path, slash <= 0 ? '/' : path.slice(0, slash)))
    }
    for (const name of attrPath === '' ? [] : attrPath.split('.')) {
      const a = st.forceAttrs(v, noPos, 'while selecting an attribute')
      const x = a.get(name)
      if (x === undefined) throw new EvalError(`attribute '${name}' missing`)
      v = x
    }
    if (apply !== undefined) v = st.callFunction(st.force(st.eval(st.parse(bin(apply), 'string', '', cwd))), v, noPos)
    if (output === 'json') sinks.stdout(valueToJSON(st, v, noPos, new Set()) + '\n')
    else if (output === 'raw') sinks.stdout(st.coerceToString(noPos, v, new Set(), 'while generating the output', false, true))
    else {
      st.forceDeep(v)
      sinks.stdout(printValue(st.force(v), {
        maxDepth: Infinity, maxAttrs: Infinity, maxListItems: Infinity, maxStringLength: Infinity,
        derivationPaths: true, trackRepeated: true, force: x => st!.force(x), positions: st.positions,
      }) + '\n')
    }
    return 0
  } catch (e) {
    if (isJsStackOverflow(e)) {
      if ((globalThis as { __tsnixWorker?: boolean }).__tsnixWorker === true || ctx.env['TSNIX_EVAL_THREAD'] === 'main') {
        sinks.stderr('error: stack overflow (possible infinite recursion)\n')
        return 1
      }
      throw e
    }
    if (e instanceof EvalError && st) { sinks.stderr(renderError(e, st.positions, { showTrace: st.settings.showTrace }) + '\n'); return 1 }
    if (e instanceof EvalSettingsError) { sinks.stderr(`error: ${e.message}\n`); return 1 }
    throw e
  }
}

export { Attrs }

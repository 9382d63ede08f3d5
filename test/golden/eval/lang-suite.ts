/**
 * The Nix language suite (upstream tests/functional/lang, as lang.sh and shared/tools/lang-suite
 * run it) driven in-process through `tsnix instantiate`'s `main`, with the same commands,
 * flags, environment and comparisons. Each case is scored at three levels: exit status, stdout
 * (the value or AST), stderr (error and warning text).
 */
import { execFileSync, spawnSync } from 'node:child_process'
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export type Level = 'exit' | 'stdout' | 'stderr'
export interface CaseResult {
  name: string
  kind: 'parse-fail' | 'parse-okay' | 'eval-fail' | 'eval-okay' | 'eval-okay-xml'
  /** The first level that fails, or undefined when all pass. */
  failsAt: Level | undefined
  detail?: string
}

/**
 * Symlinks of the upstream tree that the fixture copy stores as plain files holding the link
 * target (git's blob form); restored in the scratch copy so the symlink tests mean something.
 */
const SYMLINKS = ['readDir/ldir', 'readDir/linked', 'symlink-resolution/broken', 'symlink-resolution/foo/overlays']

export interface SuiteDir { root: string; functional: string; testRoot: string }

export function prepareSuite(suiteDir: string): SuiteDir {
  const root = mkdtempSync(join(process.env['TSNIX_TEST_TMP'] ?? tmpdir(), 'tsnix-lang-'))
  const functional = join(root, 'functional')
  mkdirSync(join(functional, 'common', 'characterisation'), { recursive: true })
  writeFileSync(join(functional, 'common', 'characterisation', 'empty'), '')
  cpSync(join(suiteDir, 'lang'), join(functional, 'lang'), { recursive: true })
  execFileSync('chmod', ['-R', 'u+w', join(functional, 'lang')])
  for (const rel of SYMLINKS) {
    const p = join(functional, 'lang', rel)
    if (!existsSync(p)) continue
    const target = readFileSync(p, 'utf8')
    rmSync(p)
    symlinkSync(target, p)
  }
  const testRoot = join(root, 'root')
  mkdirSync(join(testRoot, 'etc'), { recursive: true })
  mkdirSync(join(testRoot, 'test-home'), { recursive: true })
  writeFileSync(join(testRoot, 'etc', 'nix.conf'), [
    'build-users-group =', 'keep-derivations = false', 'sandbox = false', 'experimental-features = nix-command flakes',
    'gc-reserved-space = 0', 'substituters =', `flake-registry = ${testRoot}/registry.json`, 'show-trace = true',
    'fsync-metadata = false', '',
  ].join('\n'))
  return { root, functional, testRoot }
}

export function listCases(functional: string): Array<{ kind: CaseResult['kind']; name: string }> {
  const files = readdirSync(join(functional, 'lang')).sort()
  const out: Array<{ kind: CaseResult['kind']; name: string }> = []
  const add = (prefix: string, kind: CaseResult['kind']): void => {
    for (const f of files) if (f.startsWith(prefix) && f.endsWith('.nix')) out.push({ kind, name: f.slice(0, -4) })
  }
  add('parse-fail-', 'parse-fail')
  add('parse-okay-', 'parse-okay')
  add('eval-fail-', 'eval-fail')
  for (const f of files) {
    if (!f.startsWith('eval-okay-') || !f.endsWith('.nix')) continue
    const name = f.slice(0, -4)
    if (existsSync(join(functional, 'lang', `${name}.exp.xml`))) out.push({ kind: 'eval-okay-xml', name })
    else if (!existsSync(join(functional, 'lang', `${name}.exp-disabled`))) out.push({ kind: 'eval-okay', name })
  }
  return out
}

export type Main = (args: string[], sinks: { stdout(s: string): void; stderr(s: string): void },
  ctx: { env: NodeJS.ProcessEnv; cwd: string; readStdin(): string }) => number

function baseEnv(d: SuiteDir): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {}
  for (const k of ['PATH', 'TMPDIR', 'TSNIX_EVAL_THREAD']) if (process.env[k] !== undefined) env[k] = process.env[k]
  Object.assign(env, {
    NIX_CONF_DIR: join(d.testRoot, 'etc'), HOME: join(d.testRoot, 'test-home'), PAGER: 'cat', IMPURE_VAR1: 'foo', IMPURE_VAR2: 'bar',
    _NIX_TEST_NO_ENVIRONMENT_WARNINGS: '1', TEST_VAR: 'foo', NIX_REMOTE: 'dummy://', NIX_STORE_DIR: '/nix/store',
  })
  return env
}

const readIf = (p: string): string | undefined => (existsSync(p) ? readFileSync(p).toString('latin1') : undefined)

export function runCase(d: SuiteDir, main: Main, c: { kind: CaseResult['kind']; name: string }): CaseResult {
  const lang = join(d.functional, 'lang')
  const file = `lang/${c.name}.nix`
  let out = ''
  let err = ''
  const sinks = { stdout: (s: string) => { out += s }, stderr: (s: string) => { err += s } }
  const env = baseEnv(d)
  const pwd = Buffer.from(d.functional, 'utf8').toString('latin1')
  const subst = (s: string): string => s.split(pwd).join('/pwd')
  const exp = (suffix: string): string => readIf(join(lang, `${c.name}.${suffix}`)) ?? ''
  const ctx = { env, cwd: d.functional, readStdin: () => readFileSync(join(d.functional, file)).toString('latin1') }
  const postprocess = (text: string): string => {
    const pp = join(lang, `${c.name}.postprocess`)
    if (!existsSync(pp)) return text
    // upstream's scripts edit "$1.err" in place (lang.sh passes the case's base name)
    const tmp = join(d.root, 'pp-out')
    writeFileSync(`${tmp}.err`, Buffer.from(text, 'latin1'))
    spawnSync('bash', [pp, tmp], { cwd: d.functional })
    return readFileSync(`${tmp}.err`).toString('latin1')
  }
  const result = (failsAt: Level | undefined, detail?: string): CaseResult =>
    (detail === undefined ? { name: c.name, kind: c.kind, failsAt } : { name: c.name, kind: c.kind, failsAt, detail })
  let rc: number
  switch (c.kind) {
    case 'parse-fail': {
      rc = main(['--parse', '-'], sinks, ctx)
      if (rc !== 1) return result('exit', `exit ${rc}`)
      const got = postprocess(err + out)
      return got === exp('err.exp') ? result(undefined) : result('stderr', got)
    }
    case 'parse-okay': {
      rc = main(['--parse', '-'], sinks, ctx)
      if (rc !== 0) return result('exit', `exit ${rc}: ${err}`)
      if (postprocess(out) !== exp('exp')) return result('stdout', out)
      return err === exp('err.exp') ? result(undefined) : result('stderr', err)
    }
    case 'eval-fail': {
      const flagsFile = readIf(join(lang, `${c.name}.flags`))
      const flags = flagsFile !== undefined ? flagsFile.replace(/#.*/g, '').split(/\s+/).filter(Boolean) : ['--eval', '--strict', '--show-trace']
      rc = main([...flags, file], sinks, ctx)
      if (rc !== 1) return result('exit', `exit ${rc}: ${err}`)
      const got = postprocess(subst(err + out))
      return got === exp('err.exp') ? result(undefined) : result('stderr', got)
    }
    case 'eval-okay-xml': {
      rc = main(['--eval', '--xml', '--no-location', '--strict', file], sinks, ctx)
      if (rc !== 0) return result('exit', `exit ${rc}: ${err}`)
      return postprocess(out) === exp('exp.xml') ? result(undefined) : result('stdout', out)
    }
    case 'eval-okay': {
      const flagsFile = readIf(join(lang, `${c.name}.flags`))
      const flags = flagsFile !== undefined ? (flagsFile.split('\n')[0] ?? '').split(/\s+/).filter(Boolean) : []
      rc = main([...flags, '--eval', '--strict', file], sinks, { ...ctx, env: { ...env, NIX_PATH: 'lang/dir3:lang/dir4', HOME: '/fake-home' } })
      if (rc !== 0) return result('exit', `exit ${rc}: ${err}`)
      if (postprocess(subst(out)) !== exp('exp')) return result('stdout', out)
      return postprocess(subst(err)) === exp('err.exp') ? result(undefined) : result('stderr', subst(err))
    }
  }
}

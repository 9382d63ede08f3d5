/**
 * Driving C++ Nix 2.8 on private chroot stores (`--store <root>`, i.e. `local?root=<root>`:
 * store files under `<root>/nix/store`, database under `<root>/nix/var/nix/db`). Never the
 * host's /nix.
 */
import { execFileSync } from 'node:child_process'
import { join } from 'node:path'

/** Features the fixtures need; `nix` (the new CLI) needs nix-command. */
const FEATURES = ['--extra-experimental-features', 'nix-command ca-derivations', '--option', 'substituters', '']

/**
 * Builders run in Nix's sandbox (forced for chroot stores); they need a shell and coreutils from
 * the host, so those directories are bound in (optional ones marked `?`).
 */
export const SANDBOX_PATHS = ['--option', 'extra-sandbox-paths', '/bin /usr? /lib? /lib64?']

export function stateDirOf(root: string): string { return join(root, 'nix', 'var', 'nix') }
export function realStoreDirOf(root: string): string { return join(root, 'nix', 'store') }

export interface RunResult { stdout: string; stderr: string }

/** Run a Nix tool against the store rooted at `root`; throws with stderr on failure. */
export function nixOn(root: string, tool: 'nix-store' | 'nix' | 'nix-instantiate', args: readonly string[], opts: { input?: string; cwd?: string } = {}): string {
  const argv = tool === 'nix' ? [args[0]!, ...FEATURES, '--store', root, ...args.slice(1)] : [...FEATURES, '--store', root, ...args]
  try {
    return execFileSync(tool, argv, {
      encoding: 'utf8',
      input: opts.input ?? '',
      cwd: opts.cwd,
      stdio: ['pipe', 'pipe', 'pipe'],
      maxBuffer: 256 * 1024 * 1024,
      env: { ...process.env, NIX_PATH: '' },
    })
  } catch (e) {
    const err = e as { stderr?: string; message: string }
    throw new Error(`${tool} ${argv.join(' ')} failed: ${(err.stderr ?? err.message).slice(-2000)}`)
  }
}

/** Like `nixOn` but returns stdout and stderr and never throws on a non-zero exit. */
export function nixOnStatus(root: string, tool: 'nix-store' | 'nix', args: readonly string[]): RunResult & { status: number } {
  const argv = tool === 'nix' ? [args[0]!, ...FEATURES, '--store', root, ...args.slice(1)] : [...FEATURES, '--store', root, ...args]
  try {
    const stdout = execFileSync(tool, argv, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NIX_PATH: '' } })
    return { stdout, stderr: '', status: 0 }
  } catch (e) {
    const err = e as { stdout?: string; stderr?: string; status?: number }
    return { stdout: err.stdout ?? '', stderr: err.stderr ?? '', status: err.status ?? 1 }
  }
}

export function lines(s: string): string[] {
  return s.split('\n').filter(l => l.length > 0)
}

/**
 * The runners a daemon builds with, created on first use and kept for its lifetime: warm
 * runc slots (the default; `tsnix-sandbox-runner = cold` for one `runc run` per build) for
 * sandboxed builds, the direct runner for `sandbox = false`, and the build-user pool for the
 * latter. Work directories live under `build-dir` (default `<stateDir>/builds`), on the
 * store's filesystem, so outputs are renamed into the store rather than copied.
 */
import { chmodSync, chownSync, existsSync, mkdirSync, readFileSync } from 'node:fs'
import type { Settings } from '../settings/index.js'
import { ColdRunner, DirectRunner, parseSandboxPaths, type SandboxRunner, UidPool, WarmPool } from '../sandbox/index.js'
import { BuildUserPool } from './build-users.js'
import type { Runners } from './derivation-builder.js'

export interface DaemonRunnersOptions {
  readonly settings: Settings
  readonly stateDir: string
  readonly realStoreDir: string
}

export class DaemonRunners implements Runners {
  readonly workRoot: string
  private sandbox: SandboxRunner | undefined
  private directRunner: DirectRunner | undefined
  private readonly users: BuildUserPool | undefined

  constructor(private readonly opts: DaemonRunnersOptions) {
    this.workRoot = opts.settings['build-dir'] || `${opts.stateDir}/builds`
    // runc's init walks through the work root as an unprivileged host id.
    mkdirSync(this.workRoot, { recursive: true, mode: 0o755 })
    const group = opts.settings['build-users-group']
    this.users = group ? new BuildUserPool(group, opts.stateDir) : undefined
    // Build users create outputs in the store directory: C++ makes it root:<group> 1775.
    if (group && process.getuid?.() === 0) {
      const gid = groupId(group)
      if (gid !== undefined) {
        try { chownSync(opts.realStoreDir, 0, gid); chmodSync(opts.realStoreDir, 0o1775) } catch { /* not ours to fix */ }
      }
    }
  }

  sandboxed(): SandboxRunner {
    if (this.sandbox) return this.sandbox
    const s = this.opts.settings
    const root = `${this.workRoot}/sandbox`
    const pool = new UidPool({ lockDir: `${root}/userpool` })
    const expose = [this.opts.realStoreDir, ...parseSandboxPaths(s['sandbox-paths'].join(' ')).map(m => m.source)]
    for (const f of ['/etc/resolv.conf', '/etc/services', '/etc/hosts', '/etc/ssl/certs/ca-certificates.crt']) if (existsSync(f)) expose.push(f)
    const slots = Math.max(2, s['max-jobs'] > 0 ? s['max-jobs'] : 2)
    this.sandbox = s['tsnix-sandbox-runner'] === 'cold'
      ? new ColdRunner({ root, pool })
      : new WarmPool({ root, pool, slots, expose: expose.filter(p => existsSync(p)) })
    return this.sandbox
  }

  direct(): SandboxRunner {
    return (this.directRunner ??= new DirectRunner())
  }

  async acquireBuildUser(signal?: AbortSignal) {
    return this.users?.acquire(signal)
  }

  async close(): Promise<void> {
    await this.sandbox?.close()
    await this.directRunner?.close()
  }
}

function groupId(name: string): number | undefined {
  try {
    const line = readFileSync('/etc/group', 'utf8').split('\n').find(l => l.split(':')[0] === name)
    const gid = line ? Number(line.split(':')[2]) : NaN
    return Number.isInteger(gid) ? gid : undefined
  } catch { return undefined }
}

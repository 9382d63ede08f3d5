/**
 * Derivation → BuildRequest: the environment (env.ts) plus everything else the sandbox needs,
 * with C++ Nix's defaults (build-sandbox.md §1.2–1.4). Pure.
 */
import { posix } from 'node:path'
import { computeBuildEnv, DerivationLike, EnvOptions, isSandboxed } from './env.js'
import { SandboxRequestError } from './errors.js'
import type { BuildLimits, BuildRequest, EtcFiles, InputPath, SandboxMount } from './types.js'

/** Nix's `sandboxUid()`/`sandboxGid()` for ordinary (non uid-range) builds. */
export const SANDBOX_UID = 1000
export const SANDBOX_GID = 100

/** The `/etc` files Nix writes into the chroot (linux-derivation-builder.cc, chroot.cc). */
export function nixEtcFiles(opts: { uid: number; gid: number; buildDir: string; sandboxed: boolean }): EtcFiles {
  const etc: EtcFiles = {
    passwd:
      `root:x:0:0:Nix build user:${opts.buildDir}:/noshell\n` +
      `nixbld:x:${opts.uid}:${opts.gid}:Nix build user:${opts.buildDir}:/noshell\n` +
      'nobody:x:65534:65534:Nobody:/:/noshell\n',
    group: `root:x:0:\nnixbld:!:${opts.gid}:\nnogroup:x:65534:\n`,
  }
  if (opts.sandboxed) etc.hosts = '127.0.0.1 localhost\n::1 localhost\n'
  else etc.nsswitch = 'hosts: files dns\nservices: files\n'
  return etc
}

/**
 * Parse the `sandbox-paths` setting: whitespace-separated `target=source`, or a lone path
 * (target = source); a trailing `?` makes the entry optional.
 */
export function parseSandboxPaths(setting: string): SandboxMount[] {
  const out: SandboxMount[] = []
  for (let tok of setting.split(/\s+/).filter(Boolean)) {
    let optional = false
    if (tok.endsWith('?')) { optional = true; tok = tok.slice(0, -1) }
    const eq = tok.indexOf('=')
    const target = eq < 0 ? tok : tok.slice(0, eq)
    const source = eq < 0 ? tok : tok.slice(eq + 1)
    if (!posix.isAbsolute(target) || !posix.isAbsolute(source)) {
      throw new SandboxRequestError(`sandbox-paths entry must be absolute paths 'target=source', got ${JSON.stringify(tok)}`)
    }
    out.push({ target, source, ...(optional ? { optional: true } : {}) })
  }
  return out
}

/**
 * The host files Nix binds into network (fixed-output/impure) builds, those that exist:
 * `/etc/resolv.conf`, `/etc/services`, `/etc/hosts`, and the `ssl-cert-file` (HEAD, since 2.16)
 * at `/etc/ssl/certs/ca-certificates.crt`.
 */
export function defaultNetworkEtc(exists: (p: string) => boolean, caFile = '/etc/ssl/certs/ca-certificates.crt'): SandboxMount[] {
  const out: SandboxMount[] = []
  for (const f of ['/etc/resolv.conf', '/etc/services', '/etc/hosts']) if (exists(f)) out.push({ target: f, source: f })
  if (caFile && exists(caFile)) out.push({ target: '/etc/ssl/certs/ca-certificates.crt', source: caFile })
  return out
}

export interface RequestOptions extends EnvOptions {
  /** The input closure with the host location of each path. */
  inputs: InputPath[]
  /** `sandbox-paths` (default none; C++ Nix builds default to `/bin/sh=<busybox>`). */
  sandboxPaths?: SandboxMount[]
  limits?: BuildLimits
  uid?: number
  gid?: number
  devShmSize?: string
  /**
   * Host files bound into network (fixed-output/impure) builds: Nix binds `/etc/resolv.conf`,
   * `/etc/services`, `/etc/hosts` when they exist, and `ssl-cert-file` at
   * `/etc/ssl/certs/ca-certificates.crt`. Pass the ones that exist.
   */
  networkEtc?: SandboxMount[]
}

/** Build the request for one derivation. */
export function makeBuildRequest(drv: DerivationLike, opts: RequestOptions): BuildRequest {
  const buildDir = opts.buildDir ?? '/build'
  const uid = opts.uid ?? SANDBOX_UID
  const gid = opts.gid ?? SANDBOX_GID
  const sandboxed = isSandboxed(drv.kind)
  const { args, env, files } = computeBuildEnv(drv, { ...opts, buildDir })
  for (const o of drv.outputs) {
    if (posix.dirname(o.path) !== opts.storeDir) {
      throw new SandboxRequestError(`output '${o.name}' path ${JSON.stringify(o.path)} is not in the store directory ${JSON.stringify(opts.storeDir)}`)
    }
  }
  return {
    builder: drv.builder,
    args,
    env,
    storeDir: opts.storeDir,
    inputs: opts.inputs,
    outputs: drv.outputs.map(o => ({ name: o.name, path: o.path })),
    scratchPaths: [buildDir, '/tmp', opts.storeDir],
    network: !sandboxed,
    extraMounts: [...(opts.sandboxPaths ?? []), ...(sandboxed ? [] : opts.networkEtc ?? [])],
    uid,
    gid,
    buildDir,
    buildDirFiles: files,
    etc: nixEtcFiles({ uid, gid, buildDir, sandboxed }),
    limits: opts.limits ?? {},
    system: drv.platform,
    devShmSize: opts.devShmSize ?? '50%',
  }
}

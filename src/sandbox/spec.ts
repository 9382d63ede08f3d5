/**
 * BuildRequest → OCI runtime `config.json` (runtime-spec 1.0.2, as runc 1.1 accepts it),
 * following build-sandbox.md §4.1: Nix's namespaces, mounts, ids, seccomp filter and
 * hardening. Pure; `bundle.ts` writes what this describes. Split as tvix build/src/oci/spec.rs.
 */
import { posix } from 'node:path'
import { SandboxRequestError } from './errors.js'
import type { BuildRequest } from './types.js'

/** RLIM_INFINITY: must reach runc as an exact u64 (see `stringifyOciConfig`). */
export const RLIM_INFINITY = 2n ** 64n - 1n

/** Host ids of one sandbox slot: container root (needed by runc) and the builder. */
export interface IdMap {
  rootUid: number
  rootGid: number
  buildUid: number
  buildGid: number
}

export interface ContainerLayout {
  /** Shared read-only rootfs with the mount points and `/etc` files (bundle.ts `ensureRootfs`). */
  rootfs: string
  /** In-sandbox scratch path → fresh host directory, for every `request.scratchPaths` entry. */
  scratch: ReadonlyMap<string, string>
  ids: IdMap
  /**
   * Host path of the static helper used as an exec shim (sets the personality, execs the
   * builder with argv[0] = basename, merges stderr into stdout); absent = run the builder
   * directly (argv[0] is then the full path and ASLR stays on: runc cannot do either).
   */
  execShim?: string
  /** runc `cgroupsPath`; absent = runc's default (`/<id>` under the caller's cgroup). */
  cgroupsPath?: string
}

/** Where the exec shim is mounted inside the container. */
export const EXEC_SHIM_TARGET = '/.tsnix-exec'

export type OciMount = { destination: string; type: string; source: string; options: string[] }

// Personality flags (linux/personality.h).
export const ADDR_NO_RANDOMIZE = 0x0040000
export const PER_LINUX32 = 0x0008

/** Nix `setPersonality`: 32-bit personality for 32-bit systems on a 64-bit kernel, and no ASLR. */
export function personalityFor(system: string, hostArch: string = process.arch): number {
  const linux32 =
    (hostArch === 'x64' && system === 'i686-linux') ||
    (hostArch === 'arm64' && (system === 'armv7l-linux' || system === 'armv6l-linux' || system === 'armv5tel-linux'))
  return ADDR_NO_RANDOMIZE | (linux32 ? PER_LINUX32 : 0)
}

/** The seccomp architectures Nix adds for the host (native first). */
export function seccompArchitectures(hostArch: string = process.arch): string[] {
  switch (hostArch) {
    case 'x64': return ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32']
    case 'arm64': return ['SCMP_ARCH_AARCH64', 'SCMP_ARCH_ARM']
    default: return []
  }
}

const S_ISUID = 0o4000
const S_ISGID = 0o2000
const EPERM = 1
const ENOTSUP = 95

/**
 * Nix's syscall filter (HEAD, build-sandbox.md §1.5): no setuid/setgid bits through any chmod
 * variant (EPERM), no extended attributes at all (ENOTSUP); everything else allowed.
 */
export function nixSeccomp(hostArch: string = process.arch): Record<string, unknown> {
  const syscalls: unknown[] = []
  for (const bit of [S_ISUID, S_ISGID]) {
    for (const [name, index] of [['chmod', 1], ['fchmod', 1], ['fchmodat', 2], ['fchmodat2', 2]] as const) {
      syscalls.push({ names: [name], action: 'SCMP_ACT_ERRNO', errnoRet: EPERM, args: [{ index, value: bit, valueTwo: bit, op: 'SCMP_CMP_MASKED_EQ' }] })
    }
  }
  syscalls.push({
    names: ['getxattr', 'lgetxattr', 'fgetxattr', 'setxattr', 'lsetxattr', 'fsetxattr', 'listxattr', 'llistxattr', 'flistxattr'],
    action: 'SCMP_ACT_ERRNO',
    errnoRet: ENOTSUP,
  })
  return { defaultAction: 'SCMP_ACT_ALLOW', architectures: seccompArchitectures(hostArch), syscalls }
}

export const MASKED_PATHS = ['/proc/kcore', '/proc/latency_stats', '/proc/timer_list', '/proc/timer_stats', '/proc/sched_debug', '/proc/scsi', '/sys/firmware']
export const READONLY_PATHS = ['/proc/asound', '/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger']

const bind = (source: string, destination: string, writable: boolean): OciMount =>
  ({ destination, type: 'bind', source, options: ['rbind', writable ? 'rw' : 'ro', 'nosuid', 'nodev'] })

/** The kernel-filesystem mounts every build gets, before any bind. */
export function baseMounts(devShmSize: string): OciMount[] {
  return [
    { destination: '/proc', type: 'proc', source: 'proc', options: ['nosuid', 'noexec', 'nodev'] },
    { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
    // No gid=5: that group is not mapped in the user namespace.
    { destination: '/dev/pts', type: 'devpts', source: 'devpts', options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620'] },
    { destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: ['nosuid', 'nodev', 'mode=1777', `size=${devShmSize}`] },
  ]
}

/** Reject paths that would escape or confuse the mount layout. */
export function checkSandboxPath(p: string, what: string): void {
  if (!posix.isAbsolute(p) || posix.normalize(p) !== p || p.includes('\0') || p === '/') {
    throw new SandboxRequestError(`${what} must be a normalised absolute path, got ${JSON.stringify(p)}`)
  }
}

/**
 * The bind mounts of a build, in mount order: scratch directories (the store dir first, so
 * inputs land inside it), the input closure read-only, then extra mounts (sandbox-paths).
 * Sources are host paths. Optional extra mounts whose source is missing must be filtered out
 * by the caller (it knows the host filesystem); this stays pure.
 */
export function buildBinds(req: BuildRequest, scratch: ReadonlyMap<string, string>): OciMount[] {
  const mounts: OciMount[] = []
  const ordered = [...req.scratchPaths].sort((a, b) => (a === req.storeDir ? -1 : b === req.storeDir ? 1 : 0))
  for (const p of ordered) {
    checkSandboxPath(p, 'scratch path')
    const host = scratch.get(p)
    if (host === undefined) throw new SandboxRequestError(`no host directory for scratch path ${JSON.stringify(p)}`)
    mounts.push(bind(host, p, true))
  }
  for (const input of req.inputs) {
    checkSandboxPath(input.path, 'input path')
    if (posix.dirname(input.path) !== req.storeDir) {
      throw new SandboxRequestError(`input ${JSON.stringify(input.path)} is not in the store directory ${JSON.stringify(req.storeDir)}`)
    }
    mounts.push(bind(input.hostPath, input.path, false))
  }
  for (const m of req.extraMounts) {
    checkSandboxPath(m.target, 'sandbox path')
    mounts.push(bind(m.source, m.target, m.writable === true))
  }
  return mounts
}

/** `argv` for the container process: through the exec shim when there is one. */
export function processArgs(req: BuildRequest, shim: boolean): string[] {
  if (!shim) return [req.builder, ...req.args]
  return [EXEC_SHIM_TARGET, 'exec', personalityFor(req.system).toString(16), req.builder, ...req.args]
}

/** The OCI config for running `req` as one container (one `runc run` per build). */
export function makeSpec(req: BuildRequest, layout: ContainerLayout): Record<string, unknown> {
  checkSandboxPath(req.buildDir, 'build dir')
  checkSandboxPath(req.storeDir, 'store dir')
  if (!req.scratchPaths.includes(req.buildDir)) throw new SandboxRequestError('the build dir must be a scratch path')
  for (const [k, v] of req.env) {
    if (k.includes('=') || k.includes('\0') || v.includes('\0')) throw new SandboxRequestError(`environment variable ${JSON.stringify(k)} cannot be passed to execve`)
  }
  const mounts = [...baseMounts(req.devShmSize), ...buildBinds(req, layout.scratch)]
  if (layout.execShim !== undefined) mounts.push(bind(layout.execShim, EXEC_SHIM_TARGET, false))

  const namespaces: Array<{ type: string }> = [{ type: 'pid' }, { type: 'ipc' }, { type: 'uts' }, { type: 'mount' }, { type: 'user' }, { type: 'cgroup' }]
  if (!req.network) namespaces.push({ type: 'network' })
  const { ids } = layout
  const noCaps = { bounding: [], effective: [], inheritable: [], permitted: [], ambient: [] }
  const linux: Record<string, unknown> = {
    namespaces,
    // runc needs container root mapped; the builder's own id is the second mapping.
    uidMappings: [{ containerID: 0, hostID: ids.rootUid, size: 1 }, { containerID: req.uid, hostID: ids.buildUid, size: 1 }],
    gidMappings: [{ containerID: 0, hostID: ids.rootGid, size: 1 }, { containerID: req.gid, hostID: ids.buildGid, size: 1 }],
    maskedPaths: MASKED_PATHS,
    readonlyPaths: READONLY_PATHS,
    resources: { devices: [{ allow: false, access: 'rwm' }] },
    seccomp: nixSeccomp(),
  }
  if (layout.cgroupsPath !== undefined) linux['cgroupsPath'] = layout.cgroupsPath
  return {
    ociVersion: '1.0.2',
    process: {
      terminal: false,
      user: { uid: req.uid, gid: req.gid, umask: 0o022 },
      args: processArgs(req, layout.execShim !== undefined),
      env: req.env.map(([k, v]) => `${k}=${v}`),
      cwd: req.buildDir,
      capabilities: noCaps,
      rlimits: [{ type: 'RLIMIT_CORE', hard: RLIM_INFINITY, soft: 0 }],
      noNewPrivileges: true,
    },
    root: { path: layout.rootfs, readonly: true },
    hostname: 'localhost',
    domainname: '(none)',
    mounts,
    linux,
  }
}

/** JSON for runc: bigint values are written as exact integers (JSON.stringify would round 2^64-1). */
export function stringifyOciConfig(config: unknown): string {
  const marker = '\u0000bigint:'
  const json = JSON.stringify(config, (_k, v: unknown) => (typeof v === 'bigint' ? marker + v.toString() : v))
  return json.replace(/"\\u0000bigint:(\d+)"/g, '$1')
}

/** A host path made visible inside a warm slot container. */
export interface Exposure {
  host: string
  inside: string
  writable: boolean
}

/** Capabilities the warm-slot agent needs to build sandboxes (its builders drop all of them). */
export const AGENT_CAPABILITIES = ['CAP_SYS_ADMIN', 'CAP_SETUID', 'CAP_SETGID', 'CAP_NET_ADMIN', 'CAP_KILL', 'CAP_SYS_CHROOT']

/**
 * The OCI config of a long-lived warm slot: the agent runs as the container's root with just
 * the capabilities to build per-build namespaces, in the host network namespace (each
 * sandboxed build gets its own), with Nix's seccomp filter and no_new_privs (inherited by
 * every build). /proc is not masked here: the per-build procfs mounts need a fully visible
 * one, and each build masks its own.
 */
export function makeSlotSpec(o: { rootfs: string; helper: string; exposures: readonly Exposure[]; ids: IdMap; uid: number; gid: number; cgroupsPath?: string }): Record<string, unknown> {
  const mounts: OciMount[] = [
    { destination: '/proc', type: 'proc', source: 'proc', options: ['nosuid', 'noexec', 'nodev'] },
    { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
    bind(o.helper, '/.tsnix/helper', false),
  ]
  for (const e of o.exposures) mounts.push(bind(e.host, e.inside, e.writable))
  const caps = AGENT_CAPABILITIES
  const linux: Record<string, unknown> = {
    namespaces: [{ type: 'pid' }, { type: 'ipc' }, { type: 'uts' }, { type: 'mount' }, { type: 'user' }, { type: 'cgroup' }],
    uidMappings: [{ containerID: 0, hostID: o.ids.rootUid, size: 1 }, { containerID: o.uid, hostID: o.ids.buildUid, size: 1 }],
    gidMappings: [{ containerID: 0, hostID: o.ids.rootGid, size: 1 }, { containerID: o.gid, hostID: o.ids.buildGid, size: 1 }],
    resources: { devices: [{ allow: false, access: 'rwm' }] },
    seccomp: nixSeccomp(),
  }
  if (o.cgroupsPath !== undefined) linux['cgroupsPath'] = o.cgroupsPath
  return {
    ociVersion: '1.0.2',
    process: {
      terminal: false,
      user: { uid: 0, gid: 0, umask: 0o022 },
      args: ['/.tsnix/helper', 'agent'],
      env: ['PATH=/path-not-set'],
      cwd: '/',
      capabilities: { bounding: caps, effective: caps, permitted: caps, inheritable: [], ambient: [] },
      rlimits: [{ type: 'RLIMIT_CORE', hard: RLIM_INFINITY, soft: 0 }],
      noNewPrivileges: true,
    },
    root: { path: o.rootfs, readonly: true },
    hostname: 'localhost',
    domainname: '(none)',
    mounts,
    linux,
  }
}

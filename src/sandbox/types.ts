/**
 * The interface between the builder glue (scheduler, locks, output registration) and the
 * sandbox. A `BuildRequest` is pure data: everything a build needs, already resolved
 * (environment computed and ordered, input closure listed with host locations, files for the
 * build directory rendered). A runner turns it into a container run and returns a
 * `BuildOutcome`; outputs stay in the build's scratch store until the glue moves them.
 *
 * Modelled on tvix's `BuildRequest` (build/protos/build.proto) with the parts tvix leaves
 * out that C++ Nix has: limits, /etc contents, sandbox-paths, build-dir files, uid/gid.
 */

/** A path made visible inside the sandbox by a bind mount. */
export interface SandboxMount {
  /** Where it appears inside the sandbox (absolute). */
  target: string
  /** Where it is on the host (absolute). */
  source: string
  /** Missing sources are skipped instead of failing the build (`sandbox-paths` `?` suffix). */
  optional?: boolean
  /** Mounted writable; default read-only. */
  writable?: boolean
}

/** One store path of the input closure. */
export interface InputPath {
  /** The logical store path (`/nix/store/<hash>-<name>`), as the builder sees it. */
  path: string
  /** Where its contents are on the host (the materialised store, e.g. `<realStoreDir>/<base>`). */
  hostPath: string
}

/** One output the builder is expected to create. */
export interface OutputSpec {
  /** Output name (`out`, `dev`, …). */
  name: string
  /** The logical store path the builder writes to (`$out`), inside the sandbox's store dir. */
  path: string
}

/** A file written into the build directory before the builder starts (owned by the builder). */
export interface BuildDirFile {
  /** Relative to the build directory, e.g. `.attrs.json`, `.attr-<hash>`, `closure`. */
  name: string
  contents: string | Uint8Array
}

export interface BuildLimits {
  /** Nix `timeout`: wall-clock limit in seconds; 0 or absent = none. */
  timeoutSeconds?: number
  /** Nix `max-silent-time`: seconds without log output; 0 or absent = none. */
  maxSilentSeconds?: number
  /** Nix `max-build-log-size`: bytes of log; 0 or absent = none. */
  maxLogBytes?: number
}

/** Contents of the sandbox's `/etc` files (build-sandbox.md §1.3). */
export interface EtcFiles {
  passwd: string
  group: string
  /** Only for sandboxed (non-network) builds. */
  hosts?: string
  /** Only for network builds (fixed-output/impure). */
  nsswitch?: string
}

export interface BuildRequest {
  /** The builder path as the derivation says (inside the sandbox). */
  builder: string
  /** Arguments after argv[0]; argv[0] is the basename of `builder`, as Nix does. */
  args: string[]
  /** The environment in the order it is passed to execve (Nix: sorted by name). */
  env: Array<readonly [string, string]>
  /** The logical store directory (`/nix/store`). */
  storeDir: string
  /** The input closure (plus the store closure of sandbox-paths living in the store). */
  inputs: InputPath[]
  /** Expected outputs; they are created in the scratch store. */
  outputs: OutputSpec[]
  /**
   * Writable directories inside the sandbox, each backed by a fresh host directory
   * (tvix `scratch_paths`): the build dir, `/tmp` and the store dir.
   */
  scratchPaths: string[]
  /** Host network namespace (fixed-output and impure derivations); otherwise only loopback. */
  network: boolean
  /** `sandbox-paths` and other extra binds (e.g. `/bin/sh` → a static busybox, `/dev/kvm`). */
  extraMounts: SandboxMount[]
  /** uid/gid of the builder inside the sandbox (Nix: 1000/100). */
  uid: number
  gid: number
  /** Build directory inside the sandbox (`sandbox-build-dir`, default `/build`); also the cwd. */
  buildDir: string
  /** Files to place in the build directory: passAsFile, `.attrs.json`/`.attrs.sh`, exportReferencesGraph. */
  buildDirFiles: BuildDirFile[]
  etc: EtcFiles
  limits: BuildLimits
  /** Nix `system` of the derivation; selects the personality (PER_LINUX32 for i686 on x86_64). */
  system: string
  /** Size option of the `/dev/shm` tmpfs (`sandbox-dev-shm-size`, default `50%`). */
  devShmSize: string
}

/** Which limit stopped the build, if any. */
export type LimitHit = 'timeout' | 'max-silent-time' | 'max-log-size'

export interface BuildOutcome {
  /** The builder's exit code, or null when it was killed by a signal. */
  exitCode: number | null
  /** The signal name (`SIGKILL`) when killed; null otherwise. */
  signal: string | null
  /** Set when we stopped the build. */
  limit: LimitHit | null
  /**
   * Set when the sandbox could not be set up or the builder could not be executed (the
   * message says why); the builder never ran, or ran and was lost with its sandbox.
   */
  setupError: string | null
  /** Milliseconds since the epoch. */
  startTime: number
  stopTime: number
  /** Bytes of log the builder wrote (stdout and stderr together). */
  logBytes: number
  /** Where each output is on the host (in the scratch store), and whether it exists. */
  outputs: Array<{ name: string; path: string; hostPath: string; exists: boolean }>
  /** The scratch store directory on the host (same filesystem as the runner's root). */
  scratchStore: string
  /**
   * Host uid/gid the builder ran as: its files in the scratch store are owned by them
   * (pass `buildUid` to `canonicalise`). Null when unknown.
   */
  builderHostUid: number | null
  builderHostGid: number | null
}

/** A chunk of builder output; may return a promise to apply backpressure. */
export type LogSink = (chunk: Uint8Array) => void | Promise<void>

export interface RunOptions {
  /** Receives stdout and stderr of the builder, merged, in order. */
  onLog?: LogSink
  /** Aborting stops the build (reported as a signal kill, no limit). */
  signal?: AbortSignal
}

/**
 * A finished build. Outputs stay in `outcome.scratchStore` until `cleanup()` removes the
 * scratch area; the glue renames what it keeps out of it first.
 */
export interface FinishedBuild {
  outcome: BuildOutcome
  cleanup(): Promise<void>
}

/** What every sandbox runner offers (cold `runc run`, warm slot pool, unsandboxed). */
export interface SandboxRunner {
  build(request: BuildRequest, options?: RunOptions): Promise<FinishedBuild>
  /** Stops any long-lived containers; in-flight builds are killed. */
  close(): Promise<void>
}

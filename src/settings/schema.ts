/**
 * Known settings, their types and defaults (names as in nix.conf). Values come in as text
 * (nix.conf, NIX_CONFIG, SetOptions overrides, --option) and are validated with zod here, at
 * the edge; the rest of tsnix reads a typed `Settings` object.
 *
 * Settings tsnix does not act on but Nix knows are accepted silently (KNOWN_IGNORED); anything
 * else is warned about as C++ does ("unknown setting 'x'"), never fatal.
 */
import { z } from 'zod'
import { splitList } from './nix-conf.js'

const bool = z.enum(['true', 'false']).transform(v => v === 'true')
const uint = z.string().regex(/^[0-9]+$/, 'expected a non-negative integer').transform(Number)
const list = z.string().transform(splitList)
const str = z.string()

/** `max-jobs`: a number or `auto` (= number of CPUs). */
const maxJobs = z.union([z.literal('auto'), z.string().regex(/^[0-9]+$/)]).transform(v => (v === 'auto' ? -1 : Number(v)))
/** `sandbox`: true, false or relaxed. */
const sandboxMode = z.enum(['true', 'false', 'relaxed'])

export const SETTING_PARSERS = {
  'store': str,
  'trusted-users': list,
  'allowed-users': list,
  'build-users-group': str,
  'auto-allocate-uids': bool,
  'max-jobs': maxJobs,
  'cores': uint,
  'sandbox': sandboxMode,
  'sandbox-paths': list,
  'sandbox-fallback': bool,
  'sandbox-build-dir': str,
  'build-dir': str,
  'keep-outputs': bool,
  'keep-derivations': bool,
  'keep-env-derivations': bool,
  'keep-failed': bool,
  'keep-going': bool,
  'max-silent-time': uint,
  'timeout': uint,
  'max-build-log-size': uint,
  'log-lines': uint,
  'compress-build-log': bool,
  'substituters': list,
  'trusted-substituters': list,
  'trusted-public-keys': list,
  'require-sigs': bool,
  'secret-key-files': list,
  'system': str,
  'extra-platforms': list,
  'system-features': list,
  'experimental-features': list,
  'auto-optimise-store': bool,
  'fsync-metadata': bool,
  'fsync-store-paths': bool,
  'use-sqlite-wal': bool,
  'min-free': uint,
  'max-free': uint,
  'gc-reserved-space': uint,
  'impure-env': list,
  'builders': str,
  'builders-use-substitutes': bool,
  'pre-build-hook': str,
  'post-build-hook': str,
  'fallback': bool,
  'connect-timeout': uint,
  'build-poll-interval': uint,
  'allow-import-from-derivation': bool,
  'restrict-eval': bool,
  'pure-eval': bool,
  'nix-path': list,
  'show-trace': bool,
  // tsnix's own settings
  'tsnix-database': str,
  'tsnix-castore-dir': str,
  'tsnix-materialise': z.enum(['eager', 'none']),
  /** Sandboxed builds: warm runc slots (default) or one `runc run` per build. */
  'tsnix-sandbox-runner': z.enum(['warm', 'cold']),
} as const satisfies Record<string, z.ZodType<unknown, string>>

export type SettingName = keyof typeof SETTING_PARSERS
export type Settings = { -readonly [K in SettingName]: z.output<(typeof SETTING_PARSERS)[K]> }

/** Settings Nix knows that tsnix accepts without acting on them (no warning). */
export const KNOWN_IGNORED = new Set([
  'narinfo-cache-negative-ttl', 'narinfo-cache-positive-ttl', 'download-attempts', 'http-connections',
  'http2', 'netrc-file', 'ssl-cert-file', 'tarball-ttl', 'flake-registry', 'accept-flake-config',
  'warn-dirty', 'show-trace', 'eval-cache', 'commit-lockfile-summary', 'max-call-depth',
  'download-buffer-size', 'upgrade-nix-store-path-url', 'use-xdg-base-directories', 'diff-hook',
  'run-diff-hook', 'enforce-determinism', 'repeat', 'build-hook', 'trace-function-calls',
  'print-missing', 'plugin-files', 'allowed-uris', 'allow-symlinked-store', 'allow-dirty',
  'keep-build-log', 'preallocate-contents', 'filter-syscalls', 'allow-new-privileges',
  'require-drop-supplementary-groups', 'ignored-acls', 'sync-before-registering', 'id-count',
  'start-id', 'hashed-mirrors', 'stalled-download-timeout', 'user-agent-suffix', 'max-substitution-jobs',
  'use-case-hack', 'bash-prompt', 'bash-prompt-prefix', 'bash-prompt-suffix', 'lock-cpu',
])

export function defaultSettings(isRoot: boolean): Settings {
  return {
    'store': 'auto',
    'trusted-users': ['root'],
    'allowed-users': ['*'],
    'build-users-group': isRoot ? 'nixbld' : '',
    'auto-allocate-uids': false,
    'max-jobs': 1,
    'cores': 0,
    'sandbox': 'true',
    'sandbox-paths': [],
    'sandbox-fallback': true,
    'sandbox-build-dir': '/build',
    'build-dir': '',
    'keep-outputs': false,
    'keep-derivations': true,
    'keep-env-derivations': false,
    'keep-failed': false,
    'keep-going': false,
    'max-silent-time': 0,
    'timeout': 0,
    'max-build-log-size': 0,
    'log-lines': 25,
    'compress-build-log': true,
    'substituters': [],
    'trusted-substituters': [],
    'trusted-public-keys': [],
    'require-sigs': true,
    'secret-key-files': [],
    'system': process.arch === 'arm64' ? 'aarch64-linux' : 'x86_64-linux',
    'extra-platforms': [],
    'system-features': ['nixos-test', 'benchmark', 'big-parallel', 'uid-range'],
    'experimental-features': [],
    'auto-optimise-store': false,
    'fsync-metadata': true,
    // C++ Nix (2.20+) defaults to false; tsnix makes a path durable before it is valid unless told otherwise.
    'fsync-store-paths': true,
    'use-sqlite-wal': true,
    'min-free': 0,
    'max-free': 0,
    'gc-reserved-space': 8 * 1024 * 1024,
    'impure-env': [],
    'builders': '',
    'builders-use-substitutes': false,
    'pre-build-hook': '',
    'post-build-hook': '',
    'fallback': false,
    'connect-timeout': 0,
    'build-poll-interval': 5,
    'allow-import-from-derivation': true,
    'restrict-eval': false,
    'pure-eval': false,
    'nix-path': [],
    'show-trace': false,
    'tsnix-database': '',
    'tsnix-castore-dir': '',
    'tsnix-materialise': 'eager',
    'tsnix-sandbox-runner': 'warm',
  }
}

export function isKnownSetting(name: string): name is SettingName {
  return Object.hasOwn(SETTING_PARSERS, name)
}

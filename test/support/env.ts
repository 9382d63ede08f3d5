/**
 * What the machine offers the tests (root, C++ Nix, runc, PostgreSQL, fixtures), and the one
 * way a spec skips: `skipBecause(this, reason)`. The reason is printed by the reporter; with
 * TSNIX_REQUIRE_ALL=1 (CI) a skip is a failure instead, so nothing is skipped silently there.
 */
import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { fixturesRoot, sharedRoot } from './paths.js'

/** Reasons keyed by the full title of the test or suite that was skipped. */
export const skipReasons = new Map<string, string>()

const requireAll = process.env['TSNIX_REQUIRE_ALL'] === '1'

/**
 * Skip the current test (inside `it`) or the rest of the suite (inside `before`), printing why.
 * Under TSNIX_REQUIRE_ALL=1 it throws instead.
 */
export function skipBecause(ctx: Mocha.Context, reason: string): never {
  if (requireAll) throw new Error(`required tool missing (TSNIX_REQUIRE_ALL=1): ${reason}`)
  // In a `before` hook mocha also sets `currentTest` (to the suite's first test), so look at
  // `ctx.test` to tell a hook from a test.
  const hook = (ctx.test as { type?: string } | undefined)?.type === 'hook' ? ctx.test : undefined
  if (hook?.parent) {
    // In a hook, every test of the suite becomes pending: record the reason for each.
    for (const t of allTests(hook.parent)) skipReasons.set(t.fullTitle(), reason)
  } else {
    const runnable = ctx.currentTest ?? ctx.test
    if (runnable) skipReasons.set(runnable.fullTitle(), reason)
  }
  ctx.skip()
}

function allTests(s: Mocha.Suite): Mocha.Test[] {
  return [...s.tests, ...s.suites.flatMap(allTests)]
}

const commandCache = new Map<string, string | undefined>()
/** Absolute path of a command on PATH, or undefined. */
export function which(cmd: string): string | undefined {
  if (!commandCache.has(cmd)) {
    let found: string | undefined
    for (const dir of (process.env['PATH'] ?? '').split(':')) {
      if (dir && existsSync(join(dir, cmd))) { found = join(dir, cmd); break }
    }
    commandCache.set(cmd, found)
  }
  return commandCache.get(cmd)
}

export const isRoot = process.getuid?.() === 0

/** Upstream fixture directory, or undefined when ../shared/fixtures is absent. */
export function fixture(...parts: string[]): string | undefined {
  const p = join(fixturesRoot, ...parts)
  return existsSync(p) ? p : undefined
}

/** The C++ Nix 2.8 tools (Debian nix-bin), if installed. */
export function nix28(): { nixStore: string; nixHash: string; nixInstantiate: string; version: string } | undefined {
  const nixStore = which('nix-store')
  const nixHash = which('nix-hash')
  const nixInstantiate = which('nix-instantiate')
  if (!nixStore || !nixHash || !nixInstantiate) return undefined
  const version = execFileSync(nixStore, ['--version'], { encoding: 'utf8' }).trim()
  return { nixStore, nixHash, nixInstantiate, version }
}

/** The reference C++ Nix (2.3x) chroot script, when it has been set up. */
export function referenceNix(): { script: string; root: string } | undefined {
  const script = join(sharedRoot, 'tools', 'reference-nix')
  if (!existsSync(script)) return undefined
  const root = process.env['REFERENCE_NIX_ROOT'] ?? '/var/tmp/reference-nix'
  return existsSync(join(root, 'usr', 'bin', 'nix')) ? { script, root } : undefined
}

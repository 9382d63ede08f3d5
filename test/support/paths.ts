/** Where things are, relative to this compiled file (dist/test/support/paths.js). */
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

/** The dist/ directory of the build. */
export const distRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..')
/** The repository root. */
export const repoRoot = resolve(distRoot, '..')
/** Upstream fixtures (`../shared/fixtures` next to the repository unless TSNIX_FIXTURES says otherwise). */
export const fixturesRoot = process.env['TSNIX_FIXTURES'] ?? join(repoRoot, '..', 'shared', 'fixtures')
/** The shared reference directory (`../shared`) unless TSNIX_SHARED says otherwise. */
export const sharedRoot = process.env['TSNIX_SHARED'] ?? join(repoRoot, '..', 'shared')
/**
 * The host's store, which belongs to the host's Nix: tests never write there (test/run.ts
 * checks that a whole run leaves it as it found it).
 */
export const hostStoreDir = process.env['NIX_STORE_DIR'] ?? '/nix/store'

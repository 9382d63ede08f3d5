/**
 * The native addon's NAR calls (native/tsnix.c: readFileAt for a dump, writeFileAt for a
 * restore), when it is built: each does a file's open (relative to its directory), stat,
 * read or write, and close in one call, where Node's fs takes four calls, builds a Stats
 * object with four Dates, and looks the whole path up each time. TSNIX_NAR_NATIVE=0 turns
 * them off (everything then goes through node:fs, as without the addon).
 *
 * The dump's directory walk (narWalk*, see fs-walk.ts) goes further: whole directories framed
 * on the thread pool. TSNIX_NAR_WALK=0 turns only it off (readFileAt per file then). (Its
 * mirror for a restore, small files created in batches on the thread pool, was built and
 * measured: no faster for 30k files, slower for the 1 GiB tree on 2 cores; not kept.)
 */
import { nativeCalls, type NativeAddon, type NativeCalls } from '../os/native.js'

export type ReadFileAt = NonNullable<NativeAddon['readFileAt']>
export type WriteFileAt = NonNullable<NativeAddon['writeFileAt']>

let calls: { readFileAt: ReadFileAt | null; writeFileAt: WriteFileAt | null } | undefined

export function narNative(): { readFileAt: ReadFileAt | null; writeFileAt: WriteFileAt | null } {
  if (calls === undefined) {
    calls = {
      readFileAt: nativeCalls('TSNIX_NAR_NATIVE', 'readFileAt')?.readFileAt ?? null,
      writeFileAt: nativeCalls('TSNIX_NAR_NATIVE', 'writeFileAt')?.writeFileAt ?? null,
    }
  }
  return calls
}

export type WalkCalls = NativeCalls<'narWalkOpen' | 'narWalkFill' | 'narWalkWait' | 'narWalkClose'>

let walkCalls: WalkCalls | null | undefined

export function narWalkNative(): WalkCalls | null {
  if (walkCalls === undefined) {
    walkCalls = process.env['TSNIX_NAR_WALK'] === '0' || narNative().readFileAt === null
      ? null
      : nativeCalls('TSNIX_NAR_NATIVE', 'narWalkOpen', 'narWalkFill', 'narWalkWait', 'narWalkClose')
  }
  return walkCalls
}

/**
 * The native addon's NAR calls (native/tsnix.c: readFileAt for a dump, writeFileAt for a
 * restore), when it is built: each does a file's open (relative to its directory), stat,
 * read or write, and close in one call, where Node's fs takes four calls, builds a Stats
 * object with four Dates, and looks the whole path up each time. TSNIX_NAR_NATIVE=0 turns
 * them off (everything then goes through node:fs, as without the addon).
 */
import { nativeCalls, type NativeAddon } from '../os/native.js'

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

/**
 * The store-level conformance suite (local-store.conformance.ts) on both metadata backends:
 * SQLite (C++ Nix's database in the state directory) and PostgreSQL (`tsnix-database =
 * postgres://…`, a throwaway server from test/support/postgres.ts; skipped with a reason when
 * none can be started).
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { nativeAddon } from '../os/index.js'
import { loadSettings } from '../settings/index.js'
import { acquirePostgres, type PgServer, releasePostgres } from '../../test/support/postgres.js'
import { pgUrl } from '../../test/support/store.js'
import { localStoreConformance } from './local-store.conformance.js'
import { type LocalStore, openLocalStore } from './index.js'

const scratchDirs: string[] = []
const scratch = (): string => { const d = mkdtempSync(join(tmpdir(), 'tsnix-store-conf-')); scratchDirs.push(d); return d }
after(() => { for (const d of scratchDirs.splice(0)) rmSync(d, { recursive: true, force: true }) })

async function openAt(root: string, extra = ''): Promise<LocalStore> {
  const { settings, locations } = loadSettings({ env: { NIX_CONFIG: `store = local?root=${root}\nrequire-sigs = false\n${extra}` }, isRoot: true, readFile: () => undefined })
  return openLocalStore({ locations, settings })
}

const noAddon = 'the native addon (file locks) is not built'

localStoreConformance({
  name: 'sqlite',
  async open(root) { return nativeAddon() ? openAt(root) : noAddon },
  reopen: root => openAt(root),
}, scratch)

let server: PgServer | string | undefined
let url: string | undefined
localStoreConformance({
  name: 'postgresql',
  async open(root) {
    if (!nativeAddon()) return noAddon
    server ??= await acquirePostgres()
    if (typeof server === 'string') return `no PostgreSQL: ${server}`
    url = pgUrl(await server.createDatabase()) // a database per store: instances of one store share it
    return openAt(root, `tsnix-database = ${url}`)
  },
  reopen: root => openAt(root, `tsnix-database = ${url}`),
}, scratch)
after(async () => { if (server !== undefined) { server = undefined; await releasePostgres() } })

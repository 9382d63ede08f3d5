/**
 * Opening the local store from settings: creates what is missing (store, state, log, gcroots,
 * profiles, temproots, database, castore), takes C++ Nix's `db/big-lock` shared for the
 * store's lifetime (as `LocalStore` does, so a C++ schema upgrade cannot run underneath us),
 * and composes castore, pathinfo and temp roots into a LocalStore.
 */
import { chmod, mkdir, open as openFile, type FileHandle } from 'node:fs/promises'
import { FsBlobService, FsDirectoryService, FsObjectStore, NIX_METADATA, collectGarbage as castoreGc } from '../castore/index.js'
import { openPostgresPathInfoService, openSqlitePathInfoService, type PathInfoService } from '../pathinfo/index.js'
import { lockFd, nativeAddon } from '../os/index.js'
import type { Settings, StoreLocations } from '../settings/index.js'
import { PublicKey, publicKeysOf } from '../signing/index.js'
import type { Logger } from '../logger.js'
import { TempRoots } from './gc/index.js'
import { cleanLeftovers } from './leftovers.js'
import { LocalStore } from './local-store.js'
import { makeNarCastoreBridge, type NarCastoreBridge } from './nar-bridge.js'

export interface OpenLocalStoreOptions {
  readonly locations: StoreLocations
  readonly settings: Settings
  readonly log?: Logger | undefined
  /** For tests: a different bridge implementation. */
  readonly bridge?: NarCastoreBridge | undefined
}

export async function openLocalStore(opts: OpenLocalStoreOptions): Promise<LocalStore> {
  const { locations, settings } = opts
  const state = locations.stateDir
  for (const d of [locations.realStoreDir, state, `${state}/db`, `${state}/gcroots/auto`, `${state}/profiles`, `${state}/temproots`, `${locations.logDir}/drvs`]) {
    await mkdir(d, { recursive: true })
  }
  // The store directory is group-writable and sticky as C++ Nix leaves it (1775).
  if (process.getuid?.() === 0) await chmod(locations.realStoreDir, 0o1775).catch(() => undefined)

  let bigLock: FileHandle | undefined
  if (nativeAddon()) {
    bigLock = await openFile(`${state}/db/big-lock`, 'a+', 0o644)
    await lockFd(bigLock.fd, 'read')
  }

  const castoreDir = settings['tsnix-castore-dir'] || `${state}/castore`
  // `fsync-store-paths = false` (C++ Nix's default) trades durability across a power loss for
  // speed; a killed process still leaves no half-written object or path (temp names + rename).
  // Small objects are written with the mtime materialised files get (Nix's 1): linking one into
  // the store then needs no utimes.
  const objects = await FsObjectStore.open(castoreDir, { fsync: settings['fsync-store-paths'], objectMtime: NIX_METADATA.mtime })
  // With every path materialised, a large file's bytes must exist whole in the store anyway:
  // stored whole, castore's object *is* the materialised file (a hard link). Chunks would be a
  // second copy (castore's chunks plus a whole linked copy) and cost the chunker's CPU; they
  // only pay where paths are not materialised (src/store/README.md, "Dedup").
  const blobs = await FsBlobService.open(objects, settings['tsnix-materialise'] === 'eager' ? { chunking: false, wholeMax: 1024 * 1024 } : {})
  const dirs = await FsDirectoryService.open(objects)
  const linkDir = `${castoreDir}/links`
  await mkdir(linkDir, { recursive: true })
  // Leftovers of a crashed writer (hidden temporary names only; nothing valid is touched).
  if (nativeAddon()) await cleanLeftovers(locations.realStoreDir, `${castoreDir}/tmp`)

  let pathInfo: PathInfoService
  const db = settings['tsnix-database']
  if (db.startsWith('postgres://') || db.startsWith('postgresql://')) {
    pathInfo = await openPostgresPathInfoService({ connection: db, storeDir: locations.storeDir })
  } else {
    pathInfo = await openSqlitePathInfoService(db ? { filename: db, storeDir: locations.storeDir } : {
      stateDir: state,
      storeDir: locations.storeDir,
      synchronous: settings['fsync-metadata'] ? 'normal' : 'off',
      wal: settings['use-sqlite-wal'],
    })
  }

  const trustedKeys = publicKeysOf(settings['trusted-public-keys'].flatMap(k => {
    try { return [PublicKey.parse(k)] } catch { opts.log?.warn(`ignoring invalid trusted public key '${k}'`); return [] }
  }))

  return new LocalStore({
    locations,
    settings,
    pathInfo,
    blobs,
    dirs,
    // Without per-object fsyncs, small blobs are written synchronously (see IngestNarOptions).
    bridge: opts.bridge ?? makeNarCastoreBridge(blobs, dirs, { syncPutMax: settings['fsync-store-paths'] ? 0 : 64 * 1024 }),
    tempRoots: new TempRoots(state, locations.storeDir),
    linkDir,
    trustedPublicKeys: trustedKeys,
    castoreGc: async roots => { await castoreGc(objects, roots, { linkDir }) },
    log: opts.log,
    onClose: async () => {
      await pathInfo.close()
      await bigLock?.close()
    },
  })
}

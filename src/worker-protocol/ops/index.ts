/**
 * The op handlers over the Store facade (C++ daemon.cc `performOp`, one file per op). Ops not
 * listed here are answered "invalid operation N", as 2.34 does for removed ops (ExportPath,
 * ImportPaths, QueryFailedPaths…) and for the builder-only ones.
 */
import type { Store } from '../../store/types.js'
import type { OpHandlers } from '../handler.js'
import type { ClientInfo } from '../server.js'
import { addBuildLog } from './add-build-log.js'
import { addIndirectRoot } from './add-indirect-root.js'
import { addMultipleToStore } from './add-multiple-to-store.js'
import { addPermRoot } from './add-perm-root.js'
import { addSignatures } from './add-signatures.js'
import { addTempRoot } from './add-temp-root.js'
import { addTextToStore } from './add-text-to-store.js'
import { addToStoreNar } from './add-to-store-nar.js'
import { addToStore } from './add-to-store.js'
import { buildDerivation, buildPaths, buildPathsWithResults } from './build-paths.js'
import { collectGarbage } from './collect-garbage.js'
import { DEFAULT_STORE_SETTINGS, type HandlerDeps, type HandlerOptions } from './context.js'
import { ensurePath } from './ensure-path.js'
import { findRoots } from './find-roots.js'
import { isValidPath } from './is-valid-path.js'
import { narFromPath } from './nar-from-path.js'
import { optimiseStore } from './optimise-store.js'
import { queryAllValidPaths } from './query-all-valid-paths.js'
import { queryDerivationOutputMap } from './query-derivation-output-map.js'
import { queryDerivationOutputNames } from './query-derivation-output-names.js'
import { queryDerivationOutputs } from './query-derivation-outputs.js'
import { queryDeriver } from './query-deriver.js'
import { queryMissing } from './query-missing.js'
import { queryPathFromHashPart } from './query-path-from-hash-part.js'
import { hasSubstitutes, queryPathHash, queryReferences } from './query-path-hash.js'
import { queryPathInfo } from './query-path-info.js'
import { queryReferrers } from './query-referrers.js'
import { querySubstitutablePaths } from './query-substitutable-paths.js'
import { querySubstitutablePathInfo, querySubstitutablePathInfos } from './query-substitutable-path-infos.js'
import { queryValidDerivers } from './query-valid-derivers.js'
import { queryValidPaths } from './query-valid-paths.js'
import { queryRealisation, registerDrvOutput } from './realisations.js'
import { setOptions } from './set-options.js'
import { syncWithGC } from './sync-with-gc.js'
import { verifyStore } from './verify-store.js'

export type { HandlerOptions }
export { filterOverrides } from './set-options.js'

/** Handlers for one client connection (they keep that client's settings). */
export function storeHandlers(store: Store, client: Pick<ClientInfo, 'trusted' | 'clientId'>, opts: HandlerOptions = {}): OpHandlers {
  const d: HandlerDeps = { store, trusted: client.trusted, clientId: client.clientId, state: { settings: DEFAULT_STORE_SETTINGS }, opts }
  return {
    IsValidPath: isValidPath(d),
    HasSubstitutes: hasSubstitutes(d),
    QueryPathHash: queryPathHash(d),
    QueryReferences: queryReferences(d),
    QueryReferrers: queryReferrers(d),
    AddToStore: addToStore(d),
    AddTextToStore: addTextToStore(d),
    BuildPaths: buildPaths(d),
    EnsurePath: ensurePath(d),
    AddTempRoot: addTempRoot(d),
    AddIndirectRoot: addIndirectRoot(d),
    SyncWithGC: syncWithGC(d),
    FindRoots: findRoots(d),
    QueryDeriver: queryDeriver(d),
    SetOptions: setOptions(d),
    CollectGarbage: collectGarbage(d),
    QuerySubstitutablePathInfo: querySubstitutablePathInfo(d),
    QueryDerivationOutputs: queryDerivationOutputs(d),
    QueryAllValidPaths: queryAllValidPaths(d),
    QueryPathInfo: queryPathInfo(d),
    QueryDerivationOutputNames: queryDerivationOutputNames(d),
    QueryPathFromHashPart: queryPathFromHashPart(d),
    QuerySubstitutablePathInfos: querySubstitutablePathInfos(d),
    QueryValidPaths: queryValidPaths(d),
    QuerySubstitutablePaths: querySubstitutablePaths(d),
    QueryValidDerivers: queryValidDerivers(d),
    OptimiseStore: optimiseStore(d),
    VerifyStore: verifyStore(d),
    BuildDerivation: buildDerivation(d),
    AddSignatures: addSignatures(d),
    NarFromPath: narFromPath(d),
    AddToStoreNar: addToStoreNar(d),
    QueryMissing: queryMissing(d),
    QueryDerivationOutputMap: queryDerivationOutputMap(d),
    RegisterDrvOutput: registerDrvOutput(d),
    QueryRealisation: queryRealisation(d),
    AddMultipleToStore: addMultipleToStore(d),
    AddBuildLog: addBuildLog(d),
    BuildPathsWithResults: buildPathsWithResults(d),
    AddPermRoot: addPermRoot(d),
  }
}

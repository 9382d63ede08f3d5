/**
 * The evaluator's store for the command line (`tsnix instantiate`): the store URL comes from
 * `--store`/the `store` setting or `NIX_REMOTE`; read-only mode is C++'s `settings.readOnlyMode`
 * (`--eval`/`--parse` unless `--read-write-mode`, or `--readonly-mode`).
 */
import type { EvalState } from '../eval/eval-state.js'
import { attachEvalStore } from './attach.js'
import { existsSync } from 'node:fs'
import { NodeFetchIO } from './fetch.js'
import { mapStorePathsInIO, mapStorePathsInSource, realStoreDirOf } from './real-paths.js'
import { nodeSource } from './source.js'
import { BridgedEvalStore } from './store.js'

export interface CliStoreOptions {
  readonly config: ReadonlyMap<string, string>
  readonly env: NodeJS.ProcessEnv
  readonly readOnly: boolean
}

export function attachCliStore(st: EvalState, o: CliStoreOptions): void {
  const storeUrl = o.config.get('store') ?? o.env['NIX_REMOTE'] ?? ''
  attachEvalStore(st, {
    storeUrl,
    readOnly: o.readOnly,
    openStore: (url, storeDir, readOnly) => {
      const real = realStoreDirOf(url, storeDir, o.env, existsSync(daemonSocket(o.env)))
      mapStorePathsInIO(st.io, storeDir, real)
      const source = mapStorePathsInSource(nodeSource, storeDir, real)
      return new BridgedEvalStore({ storeUrl: url, storeDir, env: stringEnv(o.env), isRoot: process.getuid?.() === 0 }, source, readOnly)
    },
    storeReachable: url => url !== '' && url !== 'auto' ? true : existsSync(daemonSocket(o.env)),
    fetch: new NodeFetchIO({ env: o.env }),
  })
}

function stringEnv(env: NodeJS.ProcessEnv): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(env)) if (v !== undefined) out[k] = v
  return out
}

function daemonSocket(env: NodeJS.ProcessEnv): string {
  return env['NIX_DAEMON_SOCKET_PATH'] ?? `${env['NIX_STATE_DIR'] ?? '/nix/var/nix'}/daemon-socket/socket`
}

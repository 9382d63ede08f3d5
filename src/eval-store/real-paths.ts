/**
 * Where store paths physically are. A chroot store (`local?root=/r`, a path) keeps
 * `/nix/store/…` under `/r/nix/store`, so reading a store path during evaluation (`readFile`,
 * `import`, `readDir` of a fetched tree) must look there, as C++ `Store::toRealPath` does.
 */
import type { EvalIO } from '../eval/io.js'
import { parseStoreReference } from '../store-path/index.js'
import type { SourceAccessor } from './source.js'

/** The physical store directory of `storeUrl` (C++ LocalFSStoreConfig `realStoreDir`). */
export function realStoreDirOf(storeUrl: string, storeDir: string, env: NodeJS.ProcessEnv, daemonRunning: boolean): string {
  let ref
  try { ref = parseStoreReference(storeUrl === '' ? 'auto' : storeUrl) } catch { return storeDir }
  const v = ref.variant
  const real = ref.params.get('real')
  if (real !== undefined) return real
  let root = ref.params.get('root')
  if (root === undefined && v.kind === 'specified' && v.scheme === 'local' && v.authority !== '') root = v.authority
  if (root === undefined && v.kind === 'auto' && !daemonRunning && process.getuid?.() !== 0) {
    const dataHome = env['XDG_DATA_HOME'] ?? (env['HOME'] ? `${env['HOME']}/.local/share` : undefined)
    if (dataHome !== undefined) root = `${dataHome}/tsnix/root`
  }
  return root !== undefined ? `${root}/nix/store` : storeDir
}

const bin = (s: string): string => Buffer.from(s, 'utf8').toString('latin1')

function mappers(storeDir: string, realStoreDir: string): { toReal: (p: string) => string; toLogical: (p: string) => string } {
  const real = bin(realStoreDir)
  const under = (p: string, d: string): boolean => p === d || p.startsWith(d + '/')
  return {
    toReal: p => (under(p, storeDir) ? real + p.slice(storeDir.length) : p),
    toLogical: p => (under(p, real) ? storeDir + p.slice(real.length) : p),
  }
}

/** Make `io` read store paths from `realStoreDir` (paths the evaluator sees stay logical). */
export function mapStorePathsInIO(io: EvalIO, storeDir: string, realStoreDir: string): void {
  if (bin(realStoreDir) === storeDir) return
  const { toReal, toLogical } = mappers(storeDir, realStoreDir)
  const o = {
    pathExists: io.pathExists.bind(io), readFile: io.readFile.bind(io), readDir: io.readDir.bind(io), fileType: io.fileType.bind(io),
    realPath: io.realPath?.bind(io),
  }
  io.pathExists = p => o.pathExists(toReal(p))
  io.readFile = p => o.readFile(toReal(p))
  io.readDir = p => o.readDir(toReal(p))
  io.fileType = p => o.fileType(toReal(p))
  const rp = o.realPath
  if (rp !== undefined) io.realPath = p => toLogical(rp(toReal(p)))
}

/** The same for the accessor that serialises source paths. */
export function mapStorePathsInSource(src: SourceAccessor, storeDir: string, realStoreDir: string): SourceAccessor {
  if (bin(realStoreDir) === storeDir) return src
  const { toReal, toLogical } = mappers(storeDir, realStoreDir)
  return {
    lstat: p => src.lstat(toReal(p)),
    readFile: p => src.readFile(toReal(p)),
    readDir: p => src.readDir(toReal(p)),
    readLink: p => src.readLink(toReal(p)),
    resolveAncestors: p => toLogical(src.resolveAncestors(toReal(p))),
    resolveFull: p => toLogical(src.resolveFull(toReal(p))),
  }
}

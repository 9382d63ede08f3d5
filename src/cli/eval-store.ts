/**
 * Store glue for the evaluator in read-only mode (`NIX_REMOTE=dummy://`, as the lang suite and
 * `nix-instantiate --eval` run): copying a source path to the store only *computes* its store
 * path — the NAR serialisation is hashed (SHA-256) and turned into a `source` path
 * (C++ fetchToStore with FetchMode::DryRun). Interim home until src/nar's hasher lands on main.
 */
import { createHash, type Hash } from 'node:crypto'
import { lstatSync, readdirSync, readFileSync, readlinkSync } from 'node:fs'
import { EvalError } from '../eval/errors.js'
import type { EvalState } from '../eval/eval-state.js'
import { NixHash } from '../store-path/hash.js'
import { makeFixedOutputPath } from '../store-path/make-store-path.js'
import { StoreDir } from '../store-path/store-path.js'

const fsPath = (p: string): Buffer => Buffer.from(p, 'latin1')

function narString(h: Hash, s: Uint8Array | string): void {
  const b = typeof s === 'string' ? Buffer.from(s, 'latin1') : s
  const len = Buffer.alloc(8)
  len.writeBigUInt64LE(BigInt(b.length))
  h.update(len)
  h.update(b)
  const pad = (8 - (b.length % 8)) % 8
  if (pad > 0) h.update(Buffer.alloc(pad))
}

/** Feed the NAR serialisation of `path` (a binary string) to `h`. */
export function narHashInto(h: Hash, path: string): void {
  const st = lstatSync(fsPath(path))
  narString(h, '(')
  if (st.isSymbolicLink()) {
    narString(h, 'type'); narString(h, 'symlink'); narString(h, 'target')
    narString(h, readlinkSync(fsPath(path), { encoding: 'buffer' }))
  } else if (st.isFile()) {
    narString(h, 'type'); narString(h, 'regular')
    if ((st.mode & 0o100) !== 0) { narString(h, 'executable'); narString(h, '') }
    narString(h, 'contents')
    narString(h, readFileSync(fsPath(path)))
  } else if (st.isDirectory()) {
    narString(h, 'type'); narString(h, 'directory')
    const names = readdirSync(fsPath(path), { encoding: 'buffer' }).map(b => b.toString('latin1')).sort()
    for (const n of names) {
      narString(h, 'entry'); narString(h, '('); narString(h, 'name'); narString(h, n); narString(h, 'node')
      narHashInto(h, path === '/' ? `/${n}` : `${path}/${n}`)
      narString(h, ')')
    }
  } else {
    throw new EvalError(`file '${path}' has an unsupported type`)
  }
  narString(h, ')')
}

/** EvalHooks.copyPathToStore for read-only evaluation: the store path `path` would get. */
export function computeSourcePath(st: EvalState, path: string): string {
  try {
    lstatSync(fsPath(path))
  } catch {
    throw new EvalError(`path '${path}' does not exist`)
  }
  const h = createHash('sha256')
  narString(h, 'nix-archive-1')
  narHashInto(h, path)
  const name = path === '/' ? '' : path.slice(path.lastIndexOf('/') + 1)
  const storeDir = new StoreDir(st.settings.storeDir)
  try {
    const sp = makeFixedOutputPath(storeDir, name, 'nar', NixHash.fromDigest('sha256', h.digest()))
    return storeDir.print(sp)
  } catch (e) {
    throw new EvalError(`invalid store path name '${name}' for path '${path}': ${(e as Error).message}`)
  }
}

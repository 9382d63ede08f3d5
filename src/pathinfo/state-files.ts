/**
 * The version files beside C++ Nix's database: `db/schema` (always) and `db/ca-schema` (once the
 * CA tables exist, Nix 2.8). Nix writes the bare number without a newline and reads it with
 * `string2Int`, so "10\n" would be "corrupt" to it.
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { DbSchemaError } from './errors.js'

/** 0 when the file does not exist (C++ `getSchema`). */
export function readVersionFile(path: string): number {
  if (!existsSync(path)) return 0
  const s = readFileSync(path, 'utf8')
  if (!/^[0-9]+$/.test(s)) throw new DbSchemaError(`'${path}' is corrupt: expected a decimal number, got ${JSON.stringify(s.slice(0, 40))}`)
  return Number(s)
}

/** Write atomically (a reader never sees an empty file), mode 0644 as Nix's `writeFile` leaves it under umask 022. */
export function writeVersionFile(path: string, version: number): void {
  const tmp = `${path}.tsnix-${process.pid}`
  writeFileSync(tmp, String(version), { mode: 0o644 })
  renameSync(tmp, path)
}

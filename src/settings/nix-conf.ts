/**
 * The nix.conf text format (C++ `Config::applyConfig`): `name = value` lines, `#` comments,
 * `include FILE` / `!include FILE` (the `!` form ignores a missing file), values are the rest
 * of the line with surrounding whitespace trimmed. This module only parses; reading included
 * files goes through the `readFile` the caller passes in.
 */
import { NixError } from '../errors.js'

export class ConfigSyntaxError extends NixError {
  constructor(message: string) { super('ERR_CONFIG_SYNTAX', message) }
}

export interface ConfigEntry {
  readonly name: string
  readonly value: string
  /** Where it was set, for messages: `file:line` or `NIX_CONFIG:line`. */
  readonly origin: string
}

export interface ParseOptions {
  /** Reads an included file; returns undefined when it does not exist. */
  readFile(path: string): string | undefined
  /** Resolves an include path relative to the including file. */
  resolve(fromFile: string, path: string): string
}

const MAX_INCLUDE_DEPTH = 16

export function parseNixConf(text: string, origin: string, opts?: ParseOptions, depth = 0): ConfigEntry[] {
  const out: ConfigEntry[] = []
  const lines = text.split('\n')
  for (let i = 0; i < lines.length; i++) {
    let line = lines[i]!
    const hash = line.indexOf('#')
    if (hash >= 0) line = line.slice(0, hash)
    line = line.trim()
    if (line === '') continue
    const where = `${origin}:${i + 1}`
    const include = /^(!?)include\s+(.+)$/.exec(line)
    if (include) {
      if (!opts) throw new ConfigSyntaxError(`includes are not allowed here (${where})`)
      if (depth >= MAX_INCLUDE_DEPTH) throw new ConfigSyntaxError(`too many nested includes at ${where}`)
      const path = opts.resolve(origin, include[2]!.trim())
      const body = opts.readFile(path)
      if (body === undefined) {
        if (include[1] === '!') continue
        throw new ConfigSyntaxError(`file '${path}' included from '${origin}' not found`)
      }
      out.push(...parseNixConf(body, path, opts, depth + 1))
      continue
    }
    const eq = line.indexOf('=')
    if (eq < 0) throw new ConfigSyntaxError(`illegal configuration line '${line}' in '${where}'`)
    const name = line.slice(0, eq).trim()
    if (!/^[A-Za-z0-9_-]+$/.test(name)) throw new ConfigSyntaxError(`illegal configuration line '${line}' in '${where}'`)
    out.push({ name, value: line.slice(eq + 1).trim(), origin: where })
  }
  return out
}

/** Space-separated list values (C++ `tokenizeString` on whitespace). */
export function splitList(value: string): string[] {
  return value.split(/\s+/).filter(s => s.length > 0)
}

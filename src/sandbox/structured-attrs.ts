/**
 * Structured attributes (`__structuredAttrs = true`): the `.attrs.sh` file C++ Nix writes next
 * to `.attrs.json` (libstore parsed-derivations.cc `writeStructuredAttrsShell`), including its
 * odd number rule (float32 ceil test, then int32 truncation). The lossless JSON value and its
 * nlohmann dump (for `.attrs.json`) come from src/derivation.
 */
import { compareUtf8, type JsonObject, type JsonValue } from '../derivation/index.js'

/** std::string ordering: bytewise over UTF-8. */
export const compareBytes = compareUtf8

function sortedEntries(o: JsonObject): Array<[string, JsonValue]> {
  return [...o.entries()].sort((x, y) => compareUtf8(x[0], y[0]))
}

/** Nix `shellEscape`: single quotes, with `'` written as `'\''`. */
export function shellEscape(s: string): string {
  return "'" + s.replaceAll("'", "'\\''") + "'"
}

/** `static_cast<int>` of a double as x86-64 does it (out of range gives INT_MIN). */
function toInt32FromDouble(f: number): number {
  const t = Math.trunc(f)
  return t >= -2147483648 && t <= 2147483647 ? t : -2147483648
}

function simpleShellValue(v: JsonValue): string | undefined {
  if (typeof v === 'string') return shellEscape(v)
  if (typeof v === 'bigint' || typeof v === 'number') {
    // Nix tests ceil() on the value converted to float, then prints get<int>().
    const f = Math.fround(Number(v))
    if (Math.ceil(f) !== f) return undefined
    return typeof v === 'bigint' ? String(Number(BigInt.asIntN(32, v))) : String(toInt32FromDouble(v))
  }
  if (v === null) return "''"
  if (typeof v === 'boolean') return v ? '1' : ''
  return undefined
}

const SH_VAR_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/

/** `.attrs.sh`: `declare` lines for the attributes bash can hold (writeStructuredAttrsShell). */
export function writeStructuredAttrsShell(json: JsonObject): string {
  let out = ''
  for (const [key, value] of sortedEntries(json)) {
    if (!SH_VAR_NAME.test(key)) continue
    const simple = simpleShellValue(value)
    if (simple !== undefined) { out += `declare ${key}=${simple}\n`; continue }
    if (Array.isArray(value)) {
      let s = ''
      let good = true
      for (const x of value as readonly JsonValue[]) {
        const y = simpleShellValue(x)
        if (y === undefined) { good = false; break }
        s += y + ' '
      }
      if (good) out += `declare -a ${key}=(${s})\n`
    } else if (value instanceof Map) {
      let s = ''
      let good = true
      for (const [k2, x] of sortedEntries(value as JsonObject)) {
        const y = simpleShellValue(x)
        if (y === undefined) { good = false; break }
        s += `[${shellEscape(k2)}]=${y} `
      }
      if (good) out += `declare -A ${key}=(${s})\n`
    }
  }
  return out
}

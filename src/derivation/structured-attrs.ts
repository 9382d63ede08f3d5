/**
 * Structured attrs (`__structuredAttrs = true`): the attributes travel as one JSON object in
 * the `__json` environment variable of the ATerm (C++ `StructuredAttrs`).
 *
 * The text is kept as it was found, so a parsed `.drv` prints back byte for byte; C++ 2.34
 * re-dumps the parsed object instead, which gives the same bytes for every `__json` Nix itself
 * wrote (nlohmann's compact dump with sorted keys). Built from a value, the text is that dump.
 */
import { InvalidDerivationError, JsonSyntaxError } from './errors.js'
import { dumpJson, isJsonObject, type JsonObject, type JsonValue, parseJson } from './json-value.js'

export const STRUCTURED_ATTRS_ENV = '__json'

export class StructuredAttrs {
  /** The `__json` text. */
  readonly text: string
  private parsed: JsonObject | undefined

  private constructor(text: string, parsed: JsonObject | undefined) {
    this.text = text
    this.parsed = parsed
  }

  /** From `__json` text; it must be a JSON object (C++ `StructuredAttrs::parse`). */
  static parse(text: string): StructuredAttrs {
    // Validate now, like C++, with the native parser (fast); the lossless parse waits until
    // the attributes are wanted. (Only a lone surrogate escape gets past JSON.parse.)
    let v: unknown
    try {
      v = JSON.parse(text)
    } catch (e) {
      throw new InvalidDerivationError(`cannot process ${STRUCTURED_ATTRS_ENV} attribute: ${(e as Error).message}`)
    }
    if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new InvalidDerivationError(`cannot process ${STRUCTURED_ATTRS_ENV} attribute: expected a JSON object`)
    return new StructuredAttrs(text, undefined)
  }

  /** From an object value; the text is its nlohmann compact dump. */
  static fromValue(attrs: JsonObject): StructuredAttrs {
    return new StructuredAttrs(dumpJson(attrs), attrs)
  }

  /** The attributes (parsed once, lazily). */
  get attrs(): JsonObject {
    if (this.parsed === undefined) {
      let v: JsonValue
      try {
        v = parseJson(this.text)
      } catch (e) {
        if (e instanceof JsonSyntaxError) throw new InvalidDerivationError(`cannot process ${STRUCTURED_ATTRS_ENV} attribute: ${e.message}`)
        throw e
      }
      if (!isJsonObject(v)) throw new InvalidDerivationError(`cannot process ${STRUCTURED_ATTRS_ENV} attribute: expected a JSON object`)
      this.parsed = v
    }
    return this.parsed
  }

  get(name: string): JsonValue | undefined { return this.attrs.get(name) }

  equals(o: StructuredAttrs): boolean { return o.text === this.text || dumpJson(o.attrs) === dumpJson(this.attrs) }
}

/**
 * Split `__json` out of an environment (C++ `StructuredAttrs::tryExtract`): the rest of the
 * environment and the structured attrs, if any.
 */
export function extractStructuredAttrs(env: ReadonlyMap<string, string>): { env: Map<string, string>; structuredAttrs: StructuredAttrs | undefined } {
  const json = env.get(STRUCTURED_ATTRS_ENV)
  if (json === undefined) return { env: new Map(env), structuredAttrs: undefined }
  const rest = new Map(env)
  rest.delete(STRUCTURED_ATTRS_ENV)
  return { env: rest, structuredAttrs: StructuredAttrs.parse(json) }
}

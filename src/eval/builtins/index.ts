/**
 * The table of builtin groups, in registration order (which is also symbol creation order).
 * To add builtins: create a file in this folder exporting a `BuiltinGroup` (see registry.ts and
 * ../README.md) and add one line here.
 */
import { arithBuiltins } from './arith.js'
import { attrsBuiltins } from './attrs.js'
import { contextBuiltins } from './context.js'
import { controlBuiltins } from './control.js'
import { derivationBuiltins } from './derivations.js'
import { storePathBuiltins } from './store-paths.js'
import { fetcherBuiltins } from './fetchers.js'
import { flakeRefBuiltins } from './flake-refs.js'
import { fileBuiltins } from './files.js'
import { jsonBuiltins } from './json.js'
import { listBuiltins } from './lists.js'
import { miscBuiltins } from './misc.js'
import type { BuiltinGroup } from './registry.js'
import { stringBuiltins } from './strings.js'
import { typeBuiltins } from './types.js'
import { xmlBuiltins } from './xml.js'
import { regexBuiltins } from './regex.js'
import { tomlBuiltins } from './toml.js'

export const builtinGroups: readonly BuiltinGroup[] = [
  miscBuiltins,
  fileBuiltins,
  typeBuiltins,
  controlBuiltins,
  attrsBuiltins,
  listBuiltins,
  arithBuiltins,
  stringBuiltins,
  contextBuiltins,
  jsonBuiltins,
  xmlBuiltins,
  storePathBuiltins,
  fetcherBuiltins,
  flakeRefBuiltins,
  derivationBuiltins,
  regexBuiltins,
  tomlBuiltins,
]

export type { BuiltinGroup, PrimOpDef, ConstantDef, NixSourceDef } from './registry.js'

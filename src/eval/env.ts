/**
 * Runtime environments. An `Env` is one array: slot 0 is the enclosing env (or null for the
 * base env), slots 1… hold the frame's values (possibly thunks). Variables are resolved at
 * compile time to (level, slot) like C++ Nix's `bindVars`; a `with` frame holds its attribute
 * set expression (forced on first dynamic lookup) in slot 1.
 */
export type Env = unknown[]

export function newEnv(up: Env | null, size: number): Env {
  const e = new Array<unknown>(size + 1)
  e[0] = up
  return e
}

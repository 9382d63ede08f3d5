/**
 * Runtime environments. An `Env` is one frame: `up` is the enclosing env (null for the base
 * env) and slots 1… hold the frame's values (possibly thunks). Variables are resolved at
 * compile time to (level, slot) like C++ Nix's `bindVars`; a `with` frame holds its attribute
 * set expression (forced on first dynamic lookup) in slot 1.
 *
 * Slots 1–3 are fields of the frame itself, further ones live in `more`: most frames are a
 * lambda's single argument or a few bindings, and one object per frame instead of an array
 * plus its backing store is what V8's young-generation GC pays for (frames captured by thunks
 * survive with the values they compute). One class, so that every frame has the same hidden
 * class and slot reads stay monomorphic.
 */
export class Env {
  s1: unknown
  s2: unknown
  s3: unknown
  /** Slots 4…, at index slot − 4. */
  more: unknown[] | undefined
  constructor(readonly up: Env | null, size: number) {
    this.s1 = undefined
    this.s2 = undefined
    this.s3 = undefined
    this.more = size > 3 ? new Array<unknown>(size - 3) : undefined
  }
}

export function getSlot(e: Env, slot: number): unknown {
  switch (slot) {
    case 1: return e.s1
    case 2: return e.s2
    case 3: return e.s3
    default: return e.more![slot - 4]
  }
}

export function setSlot(e: Env, slot: number, v: unknown): void {
  switch (slot) {
    case 1: e.s1 = v; return
    case 2: e.s2 = v; return
    case 3: e.s3 = v; return
    default: e.more![slot - 4] = v
  }
}

/** A reader of one slot, chosen once at compile time. */
export function slotReader(slot: number): (e: Env) => unknown {
  switch (slot) {
    case 1: return e => e.s1
    case 2: return e => e.s2
    case 3: return e => e.s3
    default: { const k = slot - 4; return e => e.more![k] }
  }
}

/** Slots 1…size as an array (a `rec` set's values). */
export function envValues(e: Env, size: number): unknown[] {
  const out = new Array<unknown>(size)
  for (let i = 0; i < size; i++) out[i] = getSlot(e, i + 1)
  return out
}

/** The env of thunks whose code takes none (builtins' constants, lazily read files). */
export const NO_ENV = new Env(null, 0)

/**
 * Content addresses on the wire: `text:sha256:<nix32>`, `fixed:[r:|git:]<algo>:<nix32>`,
 * `""` for none; and AddToStore's method-with-algorithm string (`fixed:r:sha256`).
 */
import {
  type ContentAddress, type ContentAddressMethodWithAlgo, parseContentAddress, parseContentAddressMethodWithAlgo,
  printContentAddress, printContentAddressMethodWithAlgo,
} from '../../store-path/index.js'
import { LIMITS } from '../../wire/index.js'
import type { Codec } from './context.js'

export const ContentAddressCodec: Codec<ContentAddress> = {
  read: r => parseContentAddress(r.string({ max: LIMITS.shortString, what: 'content address' })),
  write: (w, _c, ca) => { w.string(printContentAddress(ca)) },
}

export const OptContentAddressCodec: Codec<ContentAddress | undefined> = {
  read(r) {
    const s = r.string({ max: LIMITS.shortString, what: 'content address' })
    return s === '' ? undefined : parseContentAddress(s)
  },
  write: (w, _c, ca) => { w.string(ca === undefined ? '' : printContentAddress(ca)) },
}

export const ContentAddressMethodWithAlgoCodec: Codec<ContentAddressMethodWithAlgo> = {
  read: r => parseContentAddressMethodWithAlgo(r.string({ max: LIMITS.shortString, what: 'content address method' })),
  write: (w, _c, m) => { w.string(printContentAddressMethodWithAlgo(m)) },
}

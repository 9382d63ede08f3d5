/**
 * Placeholders for output paths not known at evaluation time (C++ `DownstreamPlaceholder`):
 * the string an evaluator puts where a floating CA output's path (or a dynamic derivation's
 * output) will go, and what resolution later replaces with the real path.
 *
 *   unknownCaOutput(drv, out)  = "/" + nix32(sha256("nix-upstream-output:<drv hash part>:<outputPathName>"))
 *   unknownDerivation(ph, out) = "/" + nix32(sha256("nix-computed-output:<nix32(compress20(ph))>:<out>"))
 */
import { compressHash, encodeNix32, NixHash, outputPathName, type StorePath } from '../store-path/index.js'
import { nameFromDrvPath } from './types.js'

/** A placeholder: its hash, and `render()` for the text form. */
export class DownstreamPlaceholder {
  private constructor(readonly hash: NixHash) {}

  /** An output of a floating content-addressed derivation (needs `ca-derivations`). */
  static unknownCaOutput(drvPath: StorePath, outputName: string): DownstreamPlaceholder {
    const clear = `nix-upstream-output:${drvPath.hashPart}:${outputPathName(nameFromDrvPath(drvPath), outputName)}`
    return new DownstreamPlaceholder(NixHash.of('sha256', clear))
  }

  /** An output of the derivation that `placeholder` stands for (dynamic derivations). */
  static unknownDerivation(placeholder: DownstreamPlaceholder, outputName: string): DownstreamPlaceholder {
    const clear = `nix-computed-output:${encodeNix32(compressHash(placeholder.hash.digest, 20))}:${outputName}`
    return new DownstreamPlaceholder(NixHash.of('sha256', clear))
  }

  /** For `drvPath^output1^output2…`: the first step from the `.drv`, the rest nested. */
  static forChain(drvPath: StorePath, outputs: readonly [string, ...string[]]): DownstreamPlaceholder {
    let p = DownstreamPlaceholder.unknownCaOutput(drvPath, outputs[0])
    for (const o of outputs.slice(1)) p = DownstreamPlaceholder.unknownDerivation(p, o)
    return p
  }

  render(): string { return '/' + this.hash.toNix32() }
}

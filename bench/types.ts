/**
 * The shape every benchmark module under bench/ exports:
 *
 *   export const name = 'nar'
 *   export async function run(opts: BenchOptions): Promise<BenchResult[]>
 *
 * Each result measures one workload for tsnix and, where C++ Nix offers the same workload,
 * for C++ Nix on the same machine in the same run. `ratio` is C++ time / tsnix time (or
 * tsnix throughput / C++ throughput): above 1.0 means tsnix is faster.
 */
export interface BenchOptions {
  /** Smaller workloads for a quick look (`npm run bench -- --quick`). */
  quick: boolean
  /** A scratch directory for this run (removed afterwards). */
  tmpDir: string
}

export interface Measurement {
  /** Wall-clock seconds (median of the repetitions). */
  seconds: number
  /** Optional extra figures, e.g. CPU seconds, peak RSS in MiB, MB/s. */
  extra?: Record<string, number>
  /** What was measured, e.g. 'nix-store 2.8.0'. */
  label: string
}

export interface BenchResult {
  /** The workload, e.g. 'NAR dump + sha256 of a 1 GiB tree'. */
  workload: string
  tsnix: Measurement
  /** Absent when C++ Nix has no equivalent or is not installed (say why in `note`). */
  cpp?: Measurement | undefined
  note?: string
}

export interface BenchModule {
  name: string
  run(opts: BenchOptions): Promise<BenchResult[]>
}

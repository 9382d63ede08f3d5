/**
 * Shared by the fetcher golden's capture script and spec: the flags both implementations run
 * with, the golden format and the comparison (see ../differential/harness.ts for the outcome
 * reduction).
 */
export { compareOutcome, firstErrorLine, type Outcome } from '../differential/harness.js'
import type { Outcome } from '../differential/harness.js'

export const FETCH_FLAGS = ['--eval', '--strict', '--json', '--extra-experimental-features', 'fetch-tree flakes']

export interface FetchGoldenCase extends Outcome {
  /** The case with `$D` for the fixture directory. */
  readonly expr: string
}

export interface FetchGolden {
  readonly nixVersion: string
  readonly command: string
  readonly cases: readonly FetchGoldenCase[]
}

/** Outputs mention the fixture directory: replace it (and the store root) by `/pwd`. */
export function normalise(text: string, dir: string): string {
  return text.split(dir).join('/pwd')
}

/**
 * Where a build's time goes, for tuning the per-build overhead: with TSNIX_BUILD_PROFILE=1
 * the daemon prints one line per build with the milliseconds of each phase. Off by default;
 * when off, `mark` is a no-op.
 */
const enabled = process.env['TSNIX_BUILD_PROFILE'] === '1'

export class PhaseTimer {
  private last = performance.now()
  private readonly phases: Array<[string, number]> = []
  constructor(private readonly label: string) {}

  mark(phase: string): void {
    if (!enabled) return
    const now = performance.now()
    this.phases.push([phase, now - this.last])
    this.last = now
  }

  report(): void {
    if (!enabled) return
    const total = this.phases.reduce((n, [, t]) => n + t, 0)
    process.stderr.write(`build-profile ${this.label} total=${total.toFixed(1)} ${this.phases.map(([p, t]) => `${p}=${t.toFixed(1)}`).join(' ')}\n`)
  }
}

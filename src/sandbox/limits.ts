/**
 * Nix's build limits over a log stream: `timeout` (wall clock), `max-silent-time` (no output)
 * and `max-build-log-size` (bytes). The first limit hit calls `onHit` once; the runner then
 * kills the build. As in Nix, the chunk that crosses the size limit is not passed on.
 */
import type { BuildLimits, LimitHit } from './types.js'

export class BuildLimiter {
  private bytes = 0
  private hit: LimitHit | null = null
  private wallTimer: NodeJS.Timeout | undefined
  private silenceTimer: NodeJS.Timeout | undefined

  constructor(private readonly limits: BuildLimits, private readonly onHit: (which: LimitHit) => void) {}

  /** Start the clocks (when the builder starts). */
  start(): void {
    const t = this.limits.timeoutSeconds ?? 0
    if (t > 0) this.wallTimer = setTimeout(() => this.trip('timeout'), t * 1000)
    this.armSilence()
  }

  /** Account for `n` bytes of output; returns false when the chunk must be dropped (limit crossed). */
  output(n: number): boolean {
    if (this.hit) return false
    this.bytes += n
    const max = this.limits.maxLogBytes ?? 0
    if (max > 0 && this.bytes > max) { this.trip('max-log-size'); return false }
    this.armSilence()
    return true
  }

  get limitHit(): LimitHit | null { return this.hit }
  get logBytes(): number { return this.bytes }

  stop(): void {
    clearTimeout(this.wallTimer)
    clearTimeout(this.silenceTimer)
  }

  private armSilence(): void {
    const s = this.limits.maxSilentSeconds ?? 0
    if (s <= 0) return
    clearTimeout(this.silenceTimer)
    this.silenceTimer = setTimeout(() => this.trip('max-silent-time'), s * 1000)
  }

  private trip(which: LimitHit): void {
    if (this.hit) return
    this.hit = which
    this.stop()
    this.onHit(which)
  }
}

/**
 * A build's log as C++ Nix handles it (`DerivationBuildingGoal::handleChildOutput`,
 * `flushLine`, `handleJSONLogMessage`): raw bytes go to the log file untouched; for the
 * client they are cut into lines (`\r` moves back to the start of the line, `\n` ends it);
 * a line starting with `@nix ` is a JSON log message from the builder (activities of type
 * file-transfer, results on them, `setPhase`, `msg`), anything else becomes a
 * `BuildLogLine` result of the build activity and enters the tail quoted in failure messages.
 */
import { type Activity, ActivityType, type Logger, type LogField, ResultType, Verbosity } from '../logger.js'

const AT_NIX = '@nix '

export interface BuildLogOptions {
  /** The client's logger. */
  readonly logger: Logger
  /** The `building '…'` activity; log lines are its results. */
  readonly activity: Activity
  /** `log-lines`: how many lines to keep for the failure message. */
  readonly logLines: number
}

export class BuildLog {
  private line: number[] = []
  private pos = 0
  private readonly tailLines: string[] = []
  private readonly builderActivities = new Map<string, Activity>()
  private readonly decoder = new TextDecoder('utf-8', { fatal: false })

  constructor(private readonly opts: BuildLogOptions) {}

  push(chunk: Uint8Array): void {
    for (let i = 0; i < chunk.length; i++) {
      const c = chunk[i]!
      if (c === 0x0d) this.pos = 0
      else if (c === 0x0a) this.flush()
      else {
        if (this.pos >= this.line.length) this.line.length = this.pos + 1
        this.line[this.pos++] = c
      }
    }
  }

  /** The builder is done: flush a last unterminated line, stop the builder's activities. */
  end(): void {
    if (this.line.length > 0) this.flush()
    for (const a of this.builderActivities.values()) a.stop()
    this.builderActivities.clear()
  }

  /** The last `log-lines` lines (C++ `logTail`). */
  get tail(): readonly string[] { return this.tailLines }

  private flush(): void {
    const text = this.decoder.decode(Uint8Array.from(this.line))
    this.line = []
    this.pos = 0
    if (text.startsWith(AT_NIX) && this.handleJson(text.slice(AT_NIX.length))) return
    this.tailLines.push(text)
    if (this.tailLines.length > this.opts.logLines) this.tailLines.shift()
    this.opts.activity.result(ResultType.BuildLogLine, [text])
  }

  /** C++ `handleJSONLogMessage` with `trusted = false`; false if the line is not valid JSON. */
  private handleJson(body: string): boolean {
    let j: unknown
    try { j = JSON.parse(body) } catch (e) {
      this.opts.logger.log(Verbosity.Error, `bad JSON log message from the derivation builder: ${(e as Error).message}`)
      return false
    }
    if (typeof j !== 'object' || j === null || Array.isArray(j)) return false
    const m = j as Record<string, unknown>
    const id = String(m['id'] ?? '')
    switch (m['action']) {
      case 'start': {
        const type = Number(m['type'])
        // Untrusted builders may only start file transfers (progress bars of fetchers).
        if (type === ActivityType.FileTransfer) {
          const a = this.opts.logger.startActivity(type, Number(m['level'] ?? Verbosity.Info) as Verbosity, String(m['text'] ?? ''), fieldsOf(m['fields']), this.opts.activity)
          this.builderActivities.set(id, a)
        }
        return true
      }
      case 'stop': {
        this.builderActivities.get(id)?.stop()
        this.builderActivities.delete(id)
        return true
      }
      case 'result': {
        this.builderActivities.get(id)?.result(Number(m['type']) as ResultType, fieldsOf(m['fields']))
        return true
      }
      case 'setPhase': {
        if (typeof m['phase'] === 'string') this.opts.activity.result(ResultType.SetPhase, [m['phase']])
        return true
      }
      case 'msg': {
        if (typeof m['msg'] === 'string') this.opts.logger.log(Number(m['level'] ?? Verbosity.Error) as Verbosity, m['msg'])
        return true
      }
      default:
        return true
    }
  }
}

function fieldsOf(v: unknown): LogField[] {
  if (!Array.isArray(v)) return []
  return v.filter(x => typeof x === 'string' || typeof x === 'number').map(x => (typeof x === 'number' ? Math.trunc(x) : x as string))
}

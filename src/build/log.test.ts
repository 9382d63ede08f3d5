/**
 * The build log's line handling, after C++ `handleChildOutput`/`flushLine`/`handleJSONLogMessage`
 * (2.34): `\r` returns to the start of the line (later bytes overwrite), `\n` ends it, a
 * last unterminated line is flushed at the end, `@nix {…}` lines are log messages from the
 * builder (only file-transfer activities may be started by an untrusted builder), and the
 * tail keeps the last `log-lines` ordinary lines. Expectations worked out from that code.
 */
import assert from 'node:assert/strict'
import { ActivityType, type Logger, type LogField, ResultType, Verbosity } from '../logger.js'
import { BuildLog } from './log.js'

interface Event { kind: string; args: unknown[] }

function harness(logLines = 25) {
  const events: Event[] = []
  let next = 1n
  const mkActivity = (label: string) => {
    const id = next++
    return {
      id,
      result(type: ResultType, fields: readonly LogField[]) { events.push({ kind: 'result', args: [label, type, ...fields] }) },
      stop() { events.push({ kind: 'stop', args: [label] }) },
    }
  }
  const logger: Logger = {
    log(level: Verbosity, msg: string) { events.push({ kind: 'log', args: [level, msg] }) },
    warn(msg: string) { events.push({ kind: 'warn', args: [msg] }) },
    startActivity(type: ActivityType, _level: Verbosity, text: string) { events.push({ kind: 'start', args: [type, text] }); return mkActivity(`act:${text}`) },
  }
  const log = new BuildLog({ logger, activity: mkActivity('build'), logLines })
  const enc = new TextEncoder()
  return { events, log, push: (s: string) => log.push(enc.encode(s)) }
}

const lines = (events: Event[]) => events.filter(e => e.kind === 'result' && e.args[0] === 'build' && e.args[1] === ResultType.BuildLogLine).map(e => e.args[2])

describe('build: log lines', () => {
  it('splits lines across chunk boundaries; a final partial line is flushed at the end', () => {
    const h = harness()
    for (const c of ['hel', 'lo\nwor', 'ld\n', 'last']) h.push(c)
    assert.deepEqual(lines(h.events), ['hello', 'world'])
    h.log.end()
    assert.deepEqual(lines(h.events), ['hello', 'world', 'last'])
  })

  it('\\r moves back to the start of the line: later text overwrites earlier text', () => {
    const h = harness()
    h.push('progress 10%\rprogress 100%\n')
    h.push('abcdef\rXY\n')
    assert.deepEqual(lines(h.events), ['progress 100%', 'XYcdef'])
  })

  it('keeps the last log-lines lines for the failure message', () => {
    const h = harness(3)
    h.push('1\n2\n3\n4\n5\n')
    assert.deepEqual(h.log.tail, ['3', '4', '5'])
  })

  it('@nix lines: setPhase and msg are passed on, not logged as lines or kept in the tail', () => {
    const h = harness()
    h.push('@nix {"action":"setPhase","phase":"buildPhase"}\n')
    h.push('@nix {"action":"msg","level":1,"msg":"careful"}\n')
    h.push('plain\n')
    assert.deepEqual(lines(h.events), ['plain'])
    assert.deepEqual(h.log.tail, ['plain'])
    assert.ok(h.events.some(e => e.kind === 'result' && e.args[0] === 'build' && e.args[1] === ResultType.SetPhase && e.args[2] === 'buildPhase'))
    assert.ok(h.events.some(e => e.kind === 'log' && e.args[0] === Verbosity.Warn && e.args[1] === 'careful'))
  })

  it('an untrusted builder may start file-transfer activities only; results go to known ones', () => {
    const h = harness()
    h.push('@nix {"action":"start","id":7,"level":3,"type":101,"text":"downloading","fields":["http://x"]}\n')
    h.push('@nix {"action":"start","id":8,"level":3,"type":105,"text":"sneaky build"}\n')
    h.push('@nix {"action":"result","id":7,"type":105,"fields":[1,2,0,0]}\n')
    h.push('@nix {"action":"result","id":8,"type":105,"fields":[1,2,0,0]}\n')
    h.push('@nix {"action":"stop","id":7}\n')
    const starts = h.events.filter(e => e.kind === 'start')
    assert.deepEqual(starts.map(e => e.args), [[ActivityType.FileTransfer, 'downloading']])
    assert.equal(h.events.filter(e => e.kind === 'result' && e.args[0] === 'act:downloading').length, 1)
    assert.ok(h.events.some(e => e.kind === 'stop' && e.args[0] === 'act:downloading'))
    assert.deepEqual(lines(h.events), [])
  })

  it('bad JSON after @nix is reported and the line is kept as a log line', () => {
    const h = harness()
    h.push('@nix {not json\n')
    assert.deepEqual(lines(h.events), ['@nix {not json'])
    assert.ok(h.events.some(e => e.kind === 'log' && e.args[0] === Verbosity.Error && String(e.args[1]).startsWith('bad JSON log message from the derivation builder')))
  })
})

/**
 * The texts C++ Nix 2.34 puts into build errors and activities, with its ANSI colours
 * (`yellowtxt` is bold magenta, `Uncolored` plain), so stock clients print the same thing.
 * Checked against messages captured from a 2.34.8 daemon (test/golden/build/).
 */
const MAGENTA = '\x1b[35;1m'
const RED = '\x1b[31;1m'
const BOLD = '\x1b[1m'
const NORMAL = '\x1b[0m'

/** C++ `yellowtxt` / `magentatxt` (both bold magenta). */
export const hl = (s: string | number): string => `${MAGENTA}${s}${NORMAL}`
/** C++ `Magenta` in hint format strings. */
export const red = (s: string | number): string => `${RED}${s}${NORMAL}`
export const bold = (s: string): string => `${BOLD}${s}${NORMAL}`

/**
 * `Cannot build '<drv>'.\nReason: <reason>.\nOutput paths:\n  <out>…` plus, when the build
 * printed anything, the last log lines and the `nix log` hint (C++ `DerivationBuildingGoal`).
 */
export function cannotBuild(drvPath: string, reason: string, outputPaths: readonly string[], logTail?: readonly string[], plainReason = false): string {
  let msg = `Cannot build '${hl(drvPath)}'.\nReason: ${plainReason ? reason : red(reason) + '.'}`
  if (outputPaths.length > 0) msg += '\nOutput paths:' + outputPaths.map(p => `\n  ${hl(p)}`).join('')
  if (logTail && logTail.length > 0) {
    msg += `\nLast ${logTail.length} log lines:\n` + logTail.map(l => `> ${l}\n`).join('')
    msg += `For full logs, run:\n  ${bold(`nix log ${drvPath}`)}`
  }
  return msg
}

/** C++ `statusToString` for a builder's wait status. */
export function exitReason(code: number | null, signal: string | null): string {
  if (code !== null) return `builder failed with exit code ${code}`
  const names: Record<string, string> = {
    SIGKILL: 'Killed', SIGTERM: 'Terminated', SIGSEGV: 'Segmentation fault', SIGABRT: 'Aborted', SIGINT: 'Interrupt',
    SIGHUP: 'Hangup', SIGBUS: 'Bus error', SIGFPE: 'Floating point exception', SIGILL: 'Illegal instruction', SIGPIPE: 'Broken pipe',
    SIGQUIT: 'Quit', SIGTRAP: 'Trace/breakpoint trap', SIGUSR1: 'User defined signal 1', SIGUSR2: 'User defined signal 2', SIGALRM: 'Alarm clock',
  }
  const n = signal ?? 'SIGKILL'
  return `builder failed due to signal ${SIGNAL_NUMBERS[n] ?? 0} (${names[n] ?? n})`
}

const SIGNAL_NUMBERS: Record<string, number> = {
  SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGILL: 4, SIGTRAP: 5, SIGABRT: 6, SIGBUS: 7, SIGFPE: 8, SIGKILL: 9, SIGUSR1: 10,
  SIGSEGV: 11, SIGUSR2: 12, SIGPIPE: 13, SIGALRM: 14, SIGTERM: 15,
}

/** `N dependency failed` / `N dependencies failed`. */
export function dependenciesFailed(n: number): string {
  return `${n} ${n === 1 ? 'dependency' : 'dependencies'} failed`
}

const ERROR = `${RED}error:${NORMAL}`

/**
 * C++ `showErrorInfo` as a builder prints an error (no position): `error:` and the message,
 * or, with traces, `error:` alone, each trace as `       … <trace>`, a blank line, and the
 * message under a second `error:`; continuation lines indented by 7.
 */
export function formatError(msg: string, traces: readonly string[] = []): string {
  const indent = (s: string): string => s.replace(/\n/g, '\n       ')
  if (traces.length === 0) return `${ERROR} ${indent(msg)}`
  return `${ERROR}\n` + [...traces].reverse().map(t => `       … ${indent(t)}\n`).join('') + `\n       ${ERROR} ${indent(msg)}`
}

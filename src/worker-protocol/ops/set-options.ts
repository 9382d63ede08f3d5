/**
 * SetOptions: the client's settings for the rest of the connection (C++ `ClientSettings::apply`,
 * 2.34). Overrides are filtered: `ssh-auth-sock`, `experimental-features` and `plugin-files`
 * are always ignored; an untrusted client may only set `timeout`, `max-silent-time`,
 * `build-poll-interval`, `connect-timeout`, `builders` = "" and `substituters` among the
 * trusted ones; anything else is ignored with C++'s warning.
 */
import { Verbosity } from '../../logger.js'
import type { Logger } from '../../logger.js'
import type { ClientSettings as WireSettings } from '../codec/index.js'
import type { Handler, HandlerDeps, HandlerOptions } from './context.js'

const UNTRUSTED_OK = new Set(['timeout', 'max-silent-time', 'build-poll-interval', 'connect-timeout'])
const SUBSTITUTERS = new Set(['substituters', 'binary-caches'])

function trustedSubstituters(value: string, opts: HandlerOptions, logger: Logger): string {
  const trusted = new Set(opts.trustedSubstituters ?? [])
  const ok: string[] = []
  for (const s of value.split(/\s+/).filter(Boolean)) {
    if (trusted.has(s) || (!s.endsWith('/') && trusted.has(s + '/'))) ok.push(s)
    else logger.warn(`ignoring untrusted substituter '${s}', you are not a trusted user.\nRun \`man nix.conf\` for more information on the \`substituters\` configuration option.`)
  }
  return ok.join(' ')
}

export function filterOverrides(overrides: ReadonlyMap<string, string>, trusted: boolean, opts: HandlerOptions, logger: Logger): Map<string, string> {
  const out = new Map<string, string>()
  for (const [name, value] of overrides) {
    if (name === 'ssh-auth-sock') continue
    if (name === 'experimental-features') { logger.log(Verbosity.Debug, 'Ignoring the client-specified experimental features'); continue }
    if (name === 'plugin-files') {
      logger.warn('Ignoring the client-specified plugin-files.\nThe client specifying plugins to the daemon never made sense, and was removed in Nix >=2.14.')
      continue
    }
    if (trusted || UNTRUSTED_OK.has(name) || (name === 'builders' && value === '')) out.set(name, value)
    else if (SUBSTITUTERS.has(name)) out.set(name, trustedSubstituters(value, opts, logger))
    else logger.warn(`ignoring the client-specified setting '${name}', because it is a restricted setting and you are not a trusted user`)
  }
  return out
}

export function setOptions(d: HandlerDeps): Handler<'SetOptions'> {
  return {
    async run(req: WireSettings, io) {
      d.state.settings = {
        keepFailed: req.keepFailed, keepGoing: req.keepGoing, tryFallback: req.tryFallback, maxBuildJobs: req.maxBuildJobs,
        maxSilentTime: req.maxSilentTime, buildCores: req.buildCores, useSubstitutes: req.useSubstitutes,
        overrides: filterOverrides(req.overrides, d.trusted, d.opts, io.logger),
      }
      return undefined
    },
  }
}

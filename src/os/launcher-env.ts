/**
 * The `tsnix` launcher (the first lines of src/cli/main.ts) moves NODE_EXTRA_CA_CERTS to
 * TSNIX_EXTRA_CA_CERTS so that Node does not parse the file at start-up (see src/os/http-get.ts).
 * These undo the move where it would show: the deferred file for code that opens TLS
 * connections, and the variables as the user set them for `builtins.getEnv`.
 */

/** Whether the launcher moved the variable (it sets TSNIX_EXTRA_CA_CERTS, empty if there was none). */
function moved(env: NodeJS.ProcessEnv): boolean {
  return env['TSNIX_EXTRA_CA_CERTS'] !== undefined && env['NODE_EXTRA_CA_CERTS'] === undefined
}

/** The CA file Node did not load at start-up because the launcher deferred it, if any. */
export function deferredCaFile(env: NodeJS.ProcessEnv): string | undefined {
  return moved(env) && env['TSNIX_EXTRA_CA_CERTS'] !== '' ? env['TSNIX_EXTRA_CA_CERTS'] : undefined
}

/** Variable `name` of the environment the user started tsnix with. */
export function userEnvVar(env: NodeJS.ProcessEnv, name: string): string | undefined {
  if (!moved(env) || (name !== 'NODE_EXTRA_CA_CERTS' && name !== 'TSNIX_EXTRA_CA_CERTS')) return env[name]
  return name === 'NODE_EXTRA_CA_CERTS' ? deferredCaFile(env) : undefined
}

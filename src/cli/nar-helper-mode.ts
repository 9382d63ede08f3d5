/**
 * TSNIX_NAR_HELPER=auto|always|never: whether the NAR commands (`hash path`, `nar dump`,
 * `nar restore`) may use a helper thread for file I/O (src/nar/fs-helper.ts). Default auto:
 * once a job is big enough to pay for starting it.
 */
export function narHelperMode(): 'auto' | 'always' | 'never' {
  const v = process.env['TSNIX_NAR_HELPER']
  return v === 'always' || v === 'never' ? v : 'auto'
}

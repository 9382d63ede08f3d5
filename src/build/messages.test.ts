/**
 * Build failure texts against what a C++ Nix 2.34.8 daemon sent (the `raw_msg` of
 * `nix build --log-format internal-json`, captured on the test VM with the 2.34.8 reference
 * tree; store paths as they were there).
 */
import assert from 'node:assert/strict'
import { cannotBuild, dependenciesFailed, exitReason, formatError, hl } from './messages.js'

const DRV = '/tmp/bx34/d/store/vk41j3ybbmmgnnimzyqyzjqcl7pdq0zh-fail.drv'
const OUT = '/tmp/bx34/d/store/p0j99shvivhbaqm3njzn1fwp62n9sqz7-fail'

describe('build: C++ 2.34 message texts', () => {
  it('a failed builder with its log tail', () => {
    const cpp = "Cannot build '\x1b[35;1m" + DRV + "\x1b[0m'.\nReason: \x1b[31;1mbuilder failed with exit code 3\x1b[0m.\nOutput paths:\n  \x1b[35;1m" + OUT +
      '\x1b[0m\nLast 2 log lines:\n> line1\n> line2\nFor full logs, run:\n  \x1b[1mnix log ' + DRV + '\x1b[0m'
    assert.equal(cannotBuild(DRV, exitReason(3, null), [OUT], ['line1', 'line2']), cpp)
  })

  it('a failed dependency (no log tail)', () => {
    const drv = '/tmp/bx34/d/store/3hpp64qz9bp1nz70ymsn42rspw0jh0cb-dep.drv'
    const out = '/tmp/bx34/d/store/mrpnpgc14ffl2h0zx01fspmvs8i4734h-dep'
    const cpp = "Cannot build '\x1b[35;1m" + drv + "\x1b[0m'.\nReason: \x1b[31;1m1 dependency failed\x1b[0m.\nOutput paths:\n  \x1b[35;1m" + out + '\x1b[0m'
    assert.equal(cannotBuild(drv, dependenciesFailed(1), [out]), cpp)
    assert.equal(dependenciesFailed(2), '2 dependencies failed')
  })

  it('killed builders are described by signal (C++ statusToString)', () => {
    assert.equal(exitReason(null, 'SIGKILL'), 'builder failed due to signal 9 (Killed)')
  })

  it('an error with a trace, as a builtin builder prints it', () => {
    // The four log lines of a builtin:fetchurl of a missing file:// URL under 2.34.8.
    const out = '/nix/store/245bzdw5yg781xjapknm1gbpfi4xvx7c-fetch-missing'
    const url = 'file:///tmp/tsnix-bg-y1399z/src/does-not-exist'
    const cpp = [
      '\x1b[31;1merror:\x1b[0m',
      `       … writing file \x1b[35;1m"${out}"\x1b[0m`,
      '',
      `       \x1b[31;1merror:\x1b[0m unable to download '\x1b[35;1m${url}\x1b[0m': \x1b[35;1mCould not read a file:// file\x1b[0m (\x1b[35;1m37\x1b[0m) \x1b[35;1mCould not open file /tmp/tsnix-bg-y1399z/src/does-not-exist\x1b[0m`,
    ].join('\n')
    const msg = `unable to download '${hl(url)}': ${hl('Could not read a file:// file')} (${hl(37)}) ${hl('Could not open file /tmp/tsnix-bg-y1399z/src/does-not-exist')}`
    assert.equal(formatError(msg, [`writing file ${hl(JSON.stringify(out))}`]), cpp)
    assert.equal(formatError('one\ntwo'), '\x1b[31;1merror:\x1b[0m one\n       two')
  })
})

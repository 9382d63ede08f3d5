/**
 * What a builder sees: our sandbox (both runners) against C++ Nix's, section by section.
 * The C++ side was captured by capture.sh (probe-<version>.txt, probe-fod-<version>.txt);
 * ours runs the same probe.sh with the same derivation environment. Every difference we
 * accept is listed in ACCEPTED with the reason; anything else fails.
 *
 * Also: the .attrs.json/.attrs.sh Nix wrote for probe.nix's `structured` derivation against
 * ours for the same `__json` (no runc needed).
 */
import assert from 'node:assert/strict'
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseDerivation } from '../../../src/derivation/index.js'
import {
  ColdRunner, computeBuildEnv, defaultNetworkEtc, ensureHelper, findRunc, fromBasicDerivation, makeBuildRequest, type SandboxRunner, WarmPool,
} from '../../../src/sandbox/index.js'
import { StoreDir, type StorePath } from '../../../src/store-path/index.js'
import { findStaticBusybox } from '../../support/sandbox.js'
import { isRoot, skipBecause } from '../../support/env.js'
import { repoRoot } from '../../support/paths.js'

const here = join(repoRoot, 'test', 'golden', 'sandbox')
const versions = readdirSync(here).map(f => /^probe-(\d[\d.]*)\.txt$/.exec(f)?.[1]).filter((v): v is string => v !== undefined).sort()

type Sections = Map<string, string[]>
export function sections(text: string): Sections {
  const m: Sections = new Map()
  let cur: string[] | undefined
  for (const line of text.split('\n')) {
    const h = /^== (\S+)$/.exec(line)
    if (h) { cur = []; m.set(h[1]!, cur); continue }
    if (cur && line !== '') cur.push(line)
  }
  return m
}

type Side = 'ours' | 'nix'
/** Per section: how each side is normalised before comparing, and why. */
const ACCEPTED: Record<string, { why: string; norm: (lines: string[], side: Side, nixVersion: string) => string[] }> = {
  'ls-root': {
    why: 'owners: /dev is a tmpfs owned by the container\'s root (0:0) where Nix has a chroot directory. C++ Nix without build users maps host root to 1000, so root-owned dirs show as 1000:100; we never map host root (as Nix with build users), they show as 65534. /etc is 0555 since Nix 2.14. Ours also has the store dir\'s parent (/nix; Nix\'s isolated store lives under /tmp) and the exec shim mount point /.tsnix-exec (cold runner).',
    norm: (l, side, v) => l
      .filter(x => !(side === 'ours' && (x.startsWith('/.tsnix-exec ') || x.startsWith('/nix '))))
      .map(x => x.replace(/ (1000:100|65534:65534)$/, ' <root>'))
      .map(x => (side === 'ours' && x.startsWith('/dev ') ? x.replace(/ 0:0$/, ' <root>') : x))
      .map(x => (v === '2.8.0' && x.startsWith('/etc ') ? x.replace(' 755 ', ' 555 ') : x)),
  },
  'ls-tmp': { why: 'same owner mapping as ls-root', norm: l => l.map(x => x.replace(/ (1000:100|65534:65534)$/, ' <root>')) },
  'ls-dev': {
    why: 'Nix binds /dev/kvm whenever the machine has the kvm feature; we bind it only when asked (sandbox-paths). runc writes the ptmx link relative (pts/ptmx).',
    norm: l => l.filter(x => !x.startsWith('/dev/kvm ') && !x.startsWith('/dev/core ')).map(x => x.replace('-> pts/ptmx', '-> /dev/pts/ptmx')),
  },
  'mounts': {
    why: 'mount options differ on purpose (inputs and rootfs read-only, nosuid, nodev), /proc is partly masked/read-only as runc does, /dev and /tmp are mounts (Nix: chroot directories; same contents). Nix 2.8 hard-links file inputs instead of binding them. Device nodes show their filesystem (devtmpfs on the host, ext4 in the reference tree). Host files bound under /etc depend on the machine. Only mount points and types are compared.',
    norm: (l, side, v) => l
      .map(x => x.split(' ').slice(0, 2).join(' '))
      .filter(x => !(side === 'ours' && (/^\/proc\/\S+ /.test(x) || x === '/dev tmpfs' || x === '/tmp ext4' || x.startsWith('/.tsnix-exec '))))
      .filter(x => !(side === 'ours' && v === '2.8.0' && /^<store>\/<hash>-probe\.sh /.test(x)))
      .filter(x => !x.startsWith('/etc/'))
      .map(x => (/^\/dev\/(full|null|random|tty|urandom|zero|kvm) /.test(x) ? x.split(' ')[0]! + ' <dev>' : x))
      .filter(x => !x.startsWith('/dev/kvm ')),
  },
  'status': {
    why: 'the bounding set: Nix leaves it full, runc empties it (cold) or keeps the agent\'s few capabilities (warm); effective/permitted are empty in all cases. (Whitespace: Nix\'s log output expands tabs.)',
    norm: l => l.filter(x => !x.startsWith('CapBnd:')).map(x => x.replace(/\s+/g, ' ').trim()),
  },
  'uid-map': {
    why: 'runc needs container root mapped, so ours has two lines (0 → slot root id, 1000 → slot build id) where Nix has 1000 → daemon/build user.',
    norm: l => l.filter(x => /^ ?(1000|100) /.test(x.trimStart() === x ? ' ' + x : x)).map(x => x.trim().split(' ')[0]!),
  },
  'fds': {
    why: 'the log channel (fd 3 here, the original stderr; fds 1 and 2 when not redirected) is a pty in Nix and a pipe here (build-sandbox.md §4.4).',
    norm: l => l.filter(x => !x.startsWith('3 ')).map(x => x.replace(/ (pipe|\/dev\/pts\/N)$/, ' <log>')),
  },
  'cgroup': { why: 'we give builds a cgroup namespace (every path reads /); Nix without use-cgroups shows the daemon\'s cgroups.', norm: () => [] },
}

const FOD_ACCEPTED: typeof ACCEPTED = {
  ...ACCEPTED,
  'ls-etc': {
    why: 'the host files bound into network builds exist only if the host has them (resolv.conf, services, hosts); their modes are the host\'s.',
    norm: l => l.filter(x => /^\/etc\/(passwd|group|nsswitch\.conf) /.test(x)),
  },
  'net-interfaces': { why: 'host network: the host\'s interfaces (checked against this machine separately).', norm: () => [] },
  'net-addresses': { why: 'host network', norm: () => [] },
  'net-routes': { why: 'host network', norm: () => [] },
}

function compare(ours: Sections, nix: Sections, v: string, rules: typeof ACCEPTED): string[] {
  const problems: string[] = []
  for (const [name, nixLines] of nix) {
    const rule = rules[name]
    const a = (ours.get(name) ?? []).slice()
    const b = nixLines.slice()
    const na = rule ? rule.norm(a, 'ours', v) : a
    const nb = rule ? rule.norm(b, 'nix', v) : b
    try { assert.deepEqual(na, nb) } catch {
      problems.push(`section ${name}:\n  ours: ${JSON.stringify(na)}\n  nix ${v}: ${JSON.stringify(nb)}`)
    }
  }
  for (const name of ours.keys()) if (!nix.has(name)) problems.push(`section ${name} only in ours`)
  return problems
}

const PROBE = '1m9qxg0k2s4c3bxf6z9rq0h1d7w5l8ny-probe.sh'

for (const kind of ['cold', 'warm'] as const) {
  describe(`golden: sandbox probe, ${kind} runner vs C++ Nix`, function () {
    let root: string
    let runner: SandboxRunner
    let busybox: string
    let ours: Sections
    let oursFod: Sections

    before(async function () {
      if (!isRoot) skipBecause(this, 'runc sandbox tests need root')
      if (!findRunc()) skipBecause(this, 'runc is not installed')
      const bb = findStaticBusybox()
      if (!bb) skipBecause(this, 'no static busybox for /bin/sh (set TSNIX_SANDBOX_SHELL)')
      busybox = bb
      if (kind === 'warm' && !(await ensureHelper())) skipBecause(this, 'warm slots need the helper binary (gcc missing)')
      if (versions.length === 0) skipBecause(this, 'no captured probe-<version>.txt (run capture.sh)')
      root = mkdtempSync(join(tmpdir(), `tsnix-probe-${kind}-`))
      chmodSync(root, 0o755)
      const store = join(root, 'store')
      mkdirSync(store)
      copyFileSync(join(here, 'probe.sh'), join(store, PROBE))
      const networkEtc = defaultNetworkEtc(existsSync)
      runner = kind === 'cold'
        ? new ColdRunner({ root: join(root, 'work') })
        : new WarmPool({ root: join(root, 'work'), expose: [store, busybox, ...networkEtc.map(m => m.source)], slots: 1 })
      const common = {
        storeDir: '/nix/store', cores: 1, inputs: [{ path: `/nix/store/${PROBE}`, hostPath: join(store, PROBE) }],
        sandboxPaths: [{ target: '/bin/sh', source: busybox }], networkEtc,
      }
      // probe.nix `sandboxed`, with the environment Nix derives from it.
      const out = '/nix/store/q2l3vr6fca6d19dh8yrrkxzc14qqpl03-probe'
      const b = await runner.build(makeBuildRequest({
        builder: '/bin/sh', args: [`/nix/store/${PROBE}`], platform: 'x86_64-linux', kind: 'input-addressed',
        env: { builder: '/bin/sh', name: 'probe', nonce: '0', out, system: 'x86_64-linux' }, outputs: [{ name: 'out', path: out }],
      }, common))
      ours = sections(readFileSync(b.outcome.outputs[0]!.hostPath, 'utf8'))
      await b.cleanup()
      // probe.nix `fod`.
      const fodOut = '/nix/store/5rw4wd0ylx7g8c6a0i5hbkgvyrm1m2vp-probe-fod'
      let log = ''
      const f = await runner.build(makeBuildRequest({
        builder: '/bin/sh', args: ['-c', `. /nix/store/${PROBE}; echo fixed > $out`], platform: 'x86_64-linux', kind: 'fixed-output',
        env: {
          PROBE_TO_LOG: '1', builder: '/bin/sh', name: 'probe-fod', nonce: '0', out: fodOut, system: 'x86_64-linux',
          outputHash: '0c3071418e6356e614898c84ed064ca95e88551bc0811b534bdf1952ecdae534', outputHashAlgo: 'sha256', outputHashMode: 'flat',
        },
        outputs: [{ name: 'out', path: fodOut }],
      }, common), { onLog: c => { log += Buffer.from(c).toString('utf8') } })
      oursFod = sections(log)
      await f.cleanup()
    })

    after(async () => {
      await runner?.close()
      if (root) rmSync(root, { recursive: true, force: true })
    })

    for (const v of versions) {
      it(`shows a sandboxed builder the same environment as Nix ${v}, up to the listed differences`, () => {
        const problems = compare(ours, sections(readFileSync(join(here, `probe-${v}.txt`), 'utf8')), v, ACCEPTED)
        assert.deepEqual(problems, [], problems.join('\n'))
      })

      it(`shows a fixed-output builder the same environment as Nix ${v}, up to the listed differences`, () => {
        const problems = compare(oursFod, sections(readFileSync(join(here, `probe-fod-${v}.txt`), 'utf8')), v, FOD_ACCEPTED)
        assert.deepEqual(problems, [], problems.join('\n'))
      })
    }

    it('gives fixed-output builds the host network', () => {
      const host = readFileSync('/proc/net/dev', 'utf8').split('\n').map(l => /^\s*([a-z0-9]+):/.exec(l)?.[1]).filter(Boolean).sort()
      assert.deepEqual(oursFod.get('net-interfaces'), host)
      assert.ok(host.length > 1)
    })
  })
}

describe('golden: structured attrs files vs C++ Nix', () => {
  for (const v of readdirSync(here).map(f => /^structured-(\d[\d.]*)\.drv$/.exec(f)?.[1]).filter((x): x is string => x !== undefined)) {
    it(`writes the .attrs.json and .attrs.sh Nix ${v} wrote`, () => {
      const text = readFileSync(join(here, `structured-${v}.txt`), 'utf8')
      const out = /"outputs":\{"out":"([^"]+)"\}/.exec(text)![1]!
      const storeDir = new StoreDir(out.slice(0, out.lastIndexOf('/')))
      // The captured .drv through src/derivation's parser, then the sandbox's env computation.
      const drv = parseDerivation(readFileSync(join(here, `structured-${v}.drv`), 'utf8'), { name: 'structured', storeDir })
      const o = drv.outputs.get('out')!
      assert.equal(o.kind, 'inputAddressed')
      const { files } = computeBuildEnv(fromBasicDerivation(drv, new Map([['out', storeDir.print((o as { path: StorePath }).path)]])), { storeDir: storeDir.path, cores: 1 })
      const byName = new Map(files.map(f => [f.name, String(f.contents)]))
      const jsonPart = text.slice(text.indexOf('== attrs.json\n') + 14, text.indexOf('\n== attrs.sh\n'))
      const shPart = text.slice(text.indexOf('== attrs.sh\n') + 12)
      assert.equal(byName.get('.attrs.json'), jsonPart)
      assert.equal(byName.get('.attrs.sh'), shPart)
    })
  }
})

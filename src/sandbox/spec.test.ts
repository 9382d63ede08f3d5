import assert from 'node:assert/strict'
import { SandboxRequestError } from './errors.js'
import { makeBuildRequest, nixEtcFiles, parseSandboxPaths } from './request.js'
import { ADDR_NO_RANDOMIZE, makeSlotSpec, makeSpec, personalityFor, PER_LINUX32, stringifyOciConfig } from './spec.js'
import type { BuildRequest } from './types.js'

const S = '/nix/store'
const OUT = `${S}/3b9c4d5f6g7h8i9j0k1l2m3n4p5q6r7s-probe-out`
const IN = `${S}/0c7lv3ihhbrzn1p4zv9v6d3f4z2q8s5a-input`

function request(kind: 'input-addressed' | 'fixed-output' = 'input-addressed'): BuildRequest {
  return makeBuildRequest(
    { builder: '/bin/sh', args: ['-c', 'true'], platform: 'x86_64-linux', env: { out: OUT }, outputs: [{ name: 'out', path: OUT }], kind },
    {
      storeDir: S, cores: 1, inputs: [{ path: IN, hostPath: '/real/store/0c7lv3ihhbrzn1p4zv9v6d3f4z2q8s5a-input' }],
      sandboxPaths: parseSandboxPaths('/bin/sh=/usr/bin/busybox'), networkEtc: [{ target: '/etc/resolv.conf', source: '/etc/resolv.conf' }],
    },
  )
}

const layout = {
  rootfs: '/w/rootfs/abc',
  scratch: new Map([['/build', '/w/b/build'], ['/tmp', '/w/b/tmp'], [S, '/w/b/store']]),
  ids: { rootUid: 500000, rootGid: 500000, buildUid: 500001, buildGid: 500001 },
}

type Mount = { destination: string; type: string; source: string; options: string[] }
type Config = {
  process: { user: { uid: number; gid: number; umask: number }; args: string[]; env: string[]; cwd: string; noNewPrivileges: boolean; capabilities: Record<string, string[]>; rlimits: unknown[] }
  root: { path: string; readonly: boolean }
  hostname: string
  domainname: string
  mounts: Mount[]
  linux: { namespaces: Array<{ type: string }>; uidMappings: unknown[]; gidMappings: unknown[]; seccomp: { syscalls: Array<{ names: string[]; errnoRet: number; args?: Array<{ index: number; value: number }> }> }; maskedPaths?: string[] }
}

describe('sandbox: OCI spec (spec.ts, request.ts)', () => {
  it('writes the /etc files C++ Nix writes', () => {
    // Contents observed in C++ Nix 2.8 and 2.34.8 sandboxes (build-sandbox.md §1.3).
    const etc = nixEtcFiles({ uid: 1000, gid: 100, buildDir: '/build', sandboxed: true })
    assert.equal(etc.passwd, 'root:x:0:0:Nix build user:/build:/noshell\nnixbld:x:1000:100:Nix build user:/build:/noshell\nnobody:x:65534:65534:Nobody:/:/noshell\n')
    assert.equal(etc.group, 'root:x:0:\nnixbld:!:100:\nnogroup:x:65534:\n')
    assert.equal(etc.hosts, '127.0.0.1 localhost\n::1 localhost\n')
    assert.equal(etc.nsswitch, undefined)
    const fod = nixEtcFiles({ uid: 1000, gid: 100, buildDir: '/build', sandboxed: false })
    assert.equal(fod.hosts, undefined)
    assert.equal(fod.nsswitch, 'hosts: files dns\nservices: files\n')
  })

  it('parses sandbox-paths', () => {
    assert.deepEqual(parseSandboxPaths(' /bin/sh=/usr/bin/busybox  /dev/kvm? /a=/b?'), [
      { target: '/bin/sh', source: '/usr/bin/busybox' }, { target: '/dev/kvm', source: '/dev/kvm', optional: true }, { target: '/a', source: '/b', optional: true },
    ])
    assert.throws(() => parseSandboxPaths('bin/sh=/x'), SandboxRequestError)
  })

  it('runs the builder as 1000:100 in /build with no capabilities, no new privileges, umask 022', () => {
    const c = makeSpec(request(), layout) as unknown as Config
    assert.deepEqual(c.process.user, { uid: 1000, gid: 100, umask: 0o022 })
    assert.equal(c.process.cwd, '/build')
    assert.equal(c.process.noNewPrivileges, true)
    for (const set of Object.values(c.process.capabilities)) assert.deepEqual(set, [])
    assert.deepEqual(c.process.args, ['/bin/sh', '-c', 'true'])
    assert.equal(c.hostname, 'localhost')
    assert.equal(c.domainname, '(none)')
    assert.deepEqual(c.root, { path: '/w/rootfs/abc', readonly: true })
    assert.ok(c.process.env.includes('NIX_BUILD_TOP=/build'))
  })

  it('goes through the exec shim when there is one, with Nix personality', () => {
    const c = makeSpec(request(), { ...layout, execShim: '/opt/helper' }) as unknown as Config
    assert.deepEqual(c.process.args, ['/.tsnix-exec', 'exec', (ADDR_NO_RANDOMIZE).toString(16), '/bin/sh', '-c', 'true'])
    assert.ok(c.mounts.some(m => m.destination === '/.tsnix-exec' && m.source === '/opt/helper' && m.options.includes('ro')))
    assert.equal(personalityFor('i686-linux', 'x64'), ADDR_NO_RANDOMIZE | PER_LINUX32)
    assert.equal(personalityFor('x86_64-linux', 'x64'), ADDR_NO_RANDOMIZE)
  })

  it('mounts kernel filesystems, then the scratch store, then the inputs read-only, then sandbox-paths', () => {
    const c = makeSpec(request(), layout) as unknown as Config
    assert.deepEqual(c.mounts.map(m => m.destination), ['/proc', '/dev', '/dev/pts', '/dev/shm', S, '/build', '/tmp', IN, '/bin/sh'])
    const by = new Map(c.mounts.map(m => [m.destination, m]))
    assert.equal(by.get(S)!.source, '/w/b/store')
    assert.ok(by.get(S)!.options.includes('rw'))
    assert.deepEqual(by.get(IN)!.options, ['rbind', 'ro', 'nosuid', 'nodev'])
    assert.equal(by.get(IN)!.source, '/real/store/0c7lv3ihhbrzn1p4zv9v6d3f4z2q8s5a-input')
    assert.ok(by.get('/bin/sh')!.options.includes('ro'))
    assert.ok(by.get('/dev/pts')!.options.includes('newinstance'))
    assert.ok(by.get('/dev/shm')!.options.includes('size=50%'))
    // Network builds also get the host's resolver files.
    assert.ok((makeSpec(request('fixed-output'), layout) as unknown as Config).mounts.some(m => m.destination === '/etc/resolv.conf'))
    assert.ok(!c.mounts.some(m => m.destination === '/etc/resolv.conf'))
  })

  it('isolates the network unless the derivation is fixed-output', () => {
    const ns = (r: BuildRequest): string[] => (makeSpec(r, layout) as unknown as Config).linux.namespaces.map(n => n.type).sort()
    assert.deepEqual(ns(request()), ['cgroup', 'ipc', 'mount', 'network', 'pid', 'user', 'uts'])
    assert.deepEqual(ns(request('fixed-output')), ['cgroup', 'ipc', 'mount', 'pid', 'user', 'uts'])
  })

  it('maps container root and the builder to the slot ids', () => {
    const c = makeSpec(request(), layout) as unknown as Config
    assert.deepEqual(c.linux.uidMappings, [{ containerID: 0, hostID: 500000, size: 1 }, { containerID: 1000, hostID: 500001, size: 1 }])
    assert.deepEqual(c.linux.gidMappings, [{ containerID: 0, hostID: 500000, size: 1 }, { containerID: 100, hostID: 500001, size: 1 }])
  })

  it("carries Nix's seccomp filter, fchmodat2 and all nine xattr calls included", () => {
    const c = makeSpec(request(), layout) as unknown as Config
    const rules = c.linux.seccomp.syscalls
    for (const name of ['chmod', 'fchmod', 'fchmodat', 'fchmodat2']) {
      const r = rules.filter(x => x.names.includes(name))
      assert.deepEqual(r.map(x => x.args![0]!.value).sort(), [0o2000, 0o4000], name)
      assert.ok(r.every(x => x.errnoRet === 1))
    }
    const x = rules.find(r => r.names.includes('setxattr'))!
    assert.deepEqual([...x.names].sort(), ['fgetxattr', 'flistxattr', 'fsetxattr', 'getxattr', 'lgetxattr', 'listxattr', 'llistxattr', 'lsetxattr', 'setxattr'])
    assert.equal(x.errnoRet, 95)
  })

  it('writes RLIM_INFINITY as an exact integer (runc rejects 18446744073709552000)', () => {
    const json = stringifyOciConfig(makeSpec(request(), layout))
    assert.match(json, /"hard":18446744073709551615,"soft":0/)
    assert.doesNotMatch(json, /bigint/)
  })

  it('rejects requests that would confuse the mount layout', () => {
    const r = request()
    assert.throws(() => makeSpec({ ...r, inputs: [{ path: '/nix/store/../etc', hostPath: '/x' }] }, layout), SandboxRequestError)
    assert.throws(() => makeSpec({ ...r, inputs: [{ path: '/other/x', hostPath: '/x' }] }, layout), SandboxRequestError)
    assert.throws(() => makeSpec({ ...r, env: [['A=B', 'c']] }, layout), SandboxRequestError)
    assert.throws(() => makeSpec(r, { ...layout, scratch: new Map() }), SandboxRequestError)
  })

  it('gives warm slots an agent with the capabilities it needs, and no masked /proc', () => {
    const c = makeSlotSpec({ rootfs: '/r', helper: '/h', exposures: [{ host: '/s', inside: '/.tsnix/x0', writable: false }], ids: layout.ids, uid: 1000, gid: 100 }) as unknown as Config
    assert.deepEqual(c.process.args, ['/.tsnix/helper', 'agent'])
    assert.deepEqual(c.process.user, { uid: 0, gid: 0, umask: 0o022 })
    assert.ok(c.process.capabilities['effective']!.includes('CAP_SYS_ADMIN'))
    assert.equal(c.linux.maskedPaths, undefined)
    assert.ok(!c.linux.namespaces.some(n => n.type === 'network'))
    assert.equal(c.process.noNewPrivileges, true)
    assert.ok(c.linux.seccomp.syscalls.length > 0)
  })
})

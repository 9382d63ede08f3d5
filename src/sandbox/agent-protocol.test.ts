import assert from 'node:assert/strict'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { agentPlan, AgentFrame, CLONE_NEWNET, encodeRequest, FrameDecoder, NotExposedError } from './agent-protocol.js'
import { SandboxRequestError } from './errors.js'
import { makeBuildRequest } from './request.js'

function frame(type: string, payload: string | Uint8Array): Buffer {
  const p = Buffer.from(payload)
  const h = Buffer.alloc(5)
  h[0] = type.charCodeAt(0)
  h.writeUInt32BE(p.length, 1)
  return Buffer.concat([h, p])
}

const S = '/nix/store'
const OUT = `${S}/3b9c4d5f6g7h8i9j0k1l2m3n4p5q6r7s-out`
const IN = `${S}/0c7lv3ihhbrzn1p4zv9v6d3f4z2q8s5a-input`

function req(network = false) {
  return makeBuildRequest(
    { builder: '/bin/sh', args: ['-c', 'x'], platform: 'x86_64-linux', env: { out: OUT }, outputs: [{ name: 'out', path: OUT }], kind: network ? 'fixed-output' : 'input-addressed' },
    { storeDir: S, cores: 1, inputs: [{ path: IN, hostPath: '/real/0c7lv3ihhbrzn1p4zv9v6d3f4z2q8s5a-input' }], sandboxPaths: [{ target: '/bin/sh', source: '/bb' }] },
  )
}

// The slot's host directory (any absolute path: only strings are mapped) and where the slot
// sees it, the agent's SLOT_ROOT.
const HOST = join(tmpdir(), 'slot')
const INSIDE = '/.tsnix'
const view = {
  rootfs: `${HOST}/rootfs/abc`,
  translate: (h: string): string | undefined => (h.startsWith('/real/') ? `${INSIDE}/x0/` + h.slice(6) : h.startsWith(`${HOST}/`) ? `${INSIDE}/` + h.slice(HOST.length + 1) : h === '/bb' ? `${INSIDE}/x1` : undefined),
  scratch: new Map([['/build', `${HOST}/job1/build`], ['/tmp', `${HOST}/job1/tmp`], [S, `${HOST}/job1/store`]]),
}

describe('sandbox: warm-slot agent protocol', () => {
  it('decodes frames however the bytes are split', () => {
    const bytes = Buffer.concat([frame('R', '1'), frame('S', ''), frame('L', 'hello\n'), frame('L', Buffer.alloc(300, 7)), frame('X', 'exit 3'), frame('X', 'signal 9'), frame('E', 'oops')])
    const expected: AgentFrame[] = [
      { kind: 'ready', version: '1' }, { kind: 'started', error: null }, { kind: 'log', data: new Uint8Array(Buffer.from('hello\n')) },
      { kind: 'log', data: new Uint8Array(300).fill(7) }, { kind: 'exit', code: 3, signal: null }, { kind: 'exit', code: null, signal: 9 }, { kind: 'error', message: 'oops' },
    ]
    for (let cut = 0; cut <= bytes.length; cut++) {
      const d = new FrameDecoder()
      const got = [...d.push(bytes.subarray(0, cut)), ...d.push(bytes.subarray(cut))]
      assert.deepEqual(got, expected, `cut at ${cut}`)
      assert.equal(d.pending, 0)
    }
    // One byte at a time.
    const d = new FrameDecoder()
    const got: AgentFrame[] = []
    for (const b of bytes) got.push(...d.push(Uint8Array.of(b)))
    assert.deepEqual(got, expected)
  })

  it('rejects unknown frames and oversized lengths', () => {
    assert.throws(() => new FrameDecoder().push(frame('Z', '')), SandboxRequestError)
    const h = Buffer.from([0x4c, 0xff, 0xff, 0xff, 0xff])
    assert.throws(() => new FrameDecoder().push(h), SandboxRequestError)
    assert.throws(() => new FrameDecoder().push(frame('X', 'exit x')), SandboxRequestError)
  })

  it('plans the sandbox: namespaces, root, binds through the slot view, identity, argv, env', () => {
    const t = agentPlan(req(), view, new Map([['/bin/sh', false]]))
    const clone = Number(t[t.indexOf('c') + 1])
    assert.ok(clone & CLONE_NEWNET)
    assert.equal(t[t.indexOf('r') + 1], `${INSIDE}/rootfs/abc`)
    const binds: string[][] = []
    for (let i = 0; i < t.length; i++) if (t[i] === 'b' && !t[i + 1]!.startsWith('/dev/')) binds.push([t[i + 1]!, t[i + 2]!, t[i + 3]!])
    assert.deepEqual(binds.map(b => [b[0], b[1]]), [
      [`${INSIDE}/job1/store`, S], [`${INSIDE}/job1/build`, '/build'], [`${INSIDE}/job1/tmp`, '/tmp'],
      [`${INSIDE}/x0/0c7lv3ihhbrzn1p4zv9v6d3f4z2q8s5a-input`, IN], [`${INSIDE}/x1`, '/bin/sh'],
    ])
    // ro (1) | nosuid (2) | nodev (4) for inputs; rw for scratch.
    assert.equal(binds[3]![2], '7')
    assert.equal(binds[0]![2], '6')
    assert.ok(t.includes('n'))
    assert.deepEqual(t.slice(t.indexOf('u'), t.indexOf('u') + 3), ['u', '1000', '100'])
    assert.equal(t[t.indexOf('x') + 1], '/bin/sh')
    assert.equal(t[t.indexOf('a') + 1], 'sh')
    assert.ok(t.includes('NIX_BUILD_TOP=/build'))
  })

  it('keeps the host network for fixed-output derivations', () => {
    const t = agentPlan(req(true), view, new Map([['/bin/sh', false]]))
    assert.equal(Number(t[t.indexOf('c') + 1]) & CLONE_NEWNET, 0)
    assert.ok(!t.includes('n'))
  })

  it('refuses host paths the slot does not expose', () => {
    const r = { ...req(), inputs: [{ path: IN, hostPath: '/elsewhere/x' }] }
    assert.throws(() => agentPlan(r, view, new Map()), NotExposedError)
  })

  it('encodes the request file as NUL-terminated strings and refuses NUL bytes', () => {
    assert.deepEqual(encodeRequest(['a', 'bc']), Buffer.from('TSNIX1\0a\0bc\0'))
    assert.throws(() => encodeRequest(['a\0b']), SandboxRequestError)
  })
})

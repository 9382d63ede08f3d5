import assert from 'node:assert/strict'
import fc from 'fast-check'
import { BadStoreReferenceError, parseStoreReference, renderStoreReference, type StoreReference, storeReferenceEquals } from './index.js'

const render = (s: string, cwd?: string) => renderStoreReference(parseStoreReference(s, cwd === undefined ? {} : { cwd }))

describe('store references', () => {
  it('prints the way Nix 2.34 reports them (observed as "Store URL" of `nix store info --store …`)', () => {
    assert.equal(render('dummy:'), 'dummy://')
    assert.equal(render('dummy://'), 'dummy://')
    assert.equal(render('file:/tmp/c2'), 'file:///tmp/c2')
    assert.equal(render('file:///tmp/c1?compression=none'), 'file:///tmp/c1?compression=none')
    assert.equal(render('local?root=/tmp/r1'), 'local://?root=/tmp/r1')
    assert.equal(render('unix:///tmp/sock'), 'unix:///tmp/sock')
    assert.equal(render('ssh://::1'), 'ssh://[::1]')
    assert.equal(render('auto'), 'auto')
    assert.equal(render('daemon'), 'daemon')
    assert.equal(render('local'), 'local')
  })

  it('makes relative paths absolute, sorts and encodes parameters, lets extra parameters win', () => {
    assert.equal(render('./store/../s?b=2&a=1', '/home/u'), 'local:///home/u/s?a=1&b=2')
    // encodeQuery (url.cc) keeps unreserved characters and `:@/?`, so '=' stays encoded.
    assert.equal(render('ssh-ng://user@host:2222?remote-store=local%3Froot%3D%2Fx'), 'ssh-ng://user@host:2222?remote-store=local?root%3D/x')
    const r = parseStoreReference('local?root=/a&x=1', { extraParams: new Map([['root', '/b']]) })
    assert.deepEqual([...r.params].sort(), [['root', '/b'], ['x', '1']])
    assert.equal(render('s3://bucket?region=eu-west-1&profile=a%20b'), 's3://bucket?profile=a%20b&region=eu-west-1')
  })

  it('rejects what it cannot parse', () => {
    assert.throws(() => parseStoreReference('C:\\foo\\bar?trusted=true'), (e: unknown) => e instanceof BadStoreReferenceError && e.message === "Cannot parse Nix store 'C:\\foo\\bar?trusted=true'")
    assert.throws(() => parseStoreReference('foo'), BadStoreReferenceError)
    assert.throws(() => parseStoreReference('file://host/x'), BadStoreReferenceError)
  })

  it('parses what it prints (property)', () => {
    const word = fc.stringMatching(/^[a-z][a-z0-9-]{0,8}$/)
    const value = fc.string({ maxLength: 12 })
    const ref = fc.record({
      scheme: fc.constantFrom('ssh', 'ssh-ng', 'http', 'https', 's3', 'unix', 'local'),
      host: fc.constantFrom('', 'localhost', 'example.org', '127.0.0.1', '[::1]', 'user@host:22'),
      path: fc.constantFrom('', '/x', '/a/b c', '/@:'),
      params: fc.dictionary(word, value, { maxKeys: 3 }),
    }).map(({ scheme, host, path, params }): StoreReference => {
      const once = parseStoreReference(`${scheme}://${host}${path.replace(' ', '%20')}`)
      return { variant: once.variant, params: new Map(Object.entries(params)) }
    })
    fc.assert(fc.property(ref, r => {
      assert.ok(storeReferenceEquals(parseStoreReference(renderStoreReference(r)), r), renderStoreReference(r))
    }))
  })
})

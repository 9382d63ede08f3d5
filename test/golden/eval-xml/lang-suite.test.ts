/**
 * The XML cases of the C++ Nix 2.34.8 lang suite (upstream files read in place): the values of
 * eval-okay-xml.nix, eval-okay-toxml.nix and eval-okay-toxml2.nix, transcribed by hand from the
 * .nix files, must print as the upstream `.exp.xml` (`--xml --no-location`) and `.exp`
 * (`builtins.toXML`'s string, as `nix-instantiate --eval` prints it) say.
 * (eval-okay-closure and eval-okay-functionargs need an evaluator to produce their values.)
 */
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { printValueAsXml } from '../../../src/eval/xml/index.js'
import { fixture, skipBecause } from '../../support/env.js'
import { nixString, testView, type TestValue } from './generate.js'

const here = { line: 0, column: 0 } // positions are not printed with --no-location / toXML
const attrs = (entries: Array<[string, TestValue]>): TestValue => ({ t: 'attrs', entries: entries.map(([name, value]) => ({ name, value, pos: here })) })
const str = (v: string): TestValue => ({ t: 'string', v })
const lang = (name: string): string | undefined => fixture('nixos-nix-2.34.8', 'tests', 'functional', 'lang', name)

describe('XML: lang suite', () => {
  it('eval-okay-xml prints the upstream .exp.xml', function () {
    const exp = lang('eval-okay-xml.exp.xml')
    if (exp === undefined) skipBecause(this, 'lang suite fixtures (../shared/fixtures) not present')
    const formals = (ellipsis: boolean) => ({ names: ['z', 'x', 'y'], ellipsis })
    const value = attrs([
      ['x', { t: 'int', v: 123n }],
      ['y', { t: 'float', v: 567.890 }],
      ['a', str('foo')],
      ['b', str('bar')],
      ['c', str('foobar')],
      ['f', { t: 'lambda', pos: here, formals: formals(false) }],
      ['id', { t: 'lambda', pos: here, arg: 'x' }],
      ['at', { t: 'lambda', pos: here, formals: { names: ['x', 'y', 'z'], ellipsis: false }, arg: 'args' }],
      ['ellipsis', { t: 'lambda', pos: here, formals: { names: ['x', 'y', 'z'], ellipsis: true } }],
    ])
    assert.equal(printValueAsXml(testView, value, { strict: true, location: false }), readFileSync(exp, 'latin1'))
  })

  it('eval-okay-toxml and eval-okay-toxml2 print the upstream .exp', function () {
    const one = lang('eval-okay-toxml.exp')
    const two = lang('eval-okay-toxml2.exp')
    if (one === undefined || two === undefined) skipBecause(this, 'lang suite fixtures (../shared/fixtures) not present')
    const toXml = (v: TestValue): string => nixString(printValueAsXml(testView, v, { strict: true, location: false })) + '\n'
    assert.equal(toXml(attrs([['a', str('s')]])), readFileSync(one, 'latin1'))
    assert.equal(toXml({ t: 'list', items: [str('ab'), { t: 'int', v: 10n }, attrs([['x', str('x')], ['y', str('x')]])] }), readFileSync(two, 'latin1'))
  })
})

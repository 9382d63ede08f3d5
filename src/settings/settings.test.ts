import assert from 'node:assert/strict'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ConfigSyntaxError, InvalidSettingError, loadSettings, parseNixConf, type Environment } from './index.js'

function envWith(files: Record<string, string>, env: Record<string, string> = {}, isRoot = true): Environment {
  return { env, isRoot, readFile: p => files[p] }
}

describe('settings', () => {
  it('parses nix.conf lines, comments and includes', () => {
    const files: Record<string, string> = { '/etc/nix/more.conf': 'cores = 4\n' }
    const entries = parseNixConf('# comment\nmax-jobs = 8 # trailing\n\ninclude more.conf\n!include missing.conf\n', '/etc/nix/nix.conf', {
      readFile: p => files[p],
      resolve: (from, p) => from.slice(0, from.lastIndexOf('/') + 1) + p,
    })
    assert.deepEqual(entries.map(e => [e.name, e.value]), [['max-jobs', '8'], ['cores', '4']])
    assert.throws(() => parseNixConf('include nope.conf', '/x/nix.conf', { readFile: () => undefined, resolve: (_f, p) => p }), ConfigSyntaxError)
    assert.throws(() => parseNixConf('just words', 'x'), /illegal configuration line 'just words'/)
  })

  it('applies nix.conf, then NIX_CONFIG, then options, with extra- appending', () => {
    const { settings, warnings } = loadSettings(
      envWith({ '/etc/nix/nix.conf': 'trusted-users = root alice\nextra-trusted-users = @wheel\nsandbox = false\nfrobnicate = yes\n' },
        { NIX_CONFIG: 'max-jobs = auto\nkeep-outputs = true' }),
      [['cores', '3']],
    )
    assert.deepEqual(settings['trusted-users'], ['root', 'alice', '@wheel'])
    assert.equal(settings.sandbox, 'false')
    assert.equal(settings['max-jobs'], -1)
    assert.equal(settings['keep-outputs'], true)
    assert.equal(settings.cores, 3)
    assert.deepEqual(warnings, ["unknown setting 'frobnicate'"])
  })

  it('rejects invalid values with the setting and origin named', () => {
    assert.throws(() => loadSettings(envWith({ '/etc/nix/nix.conf': 'cores = many\n' })), (e: unknown) =>
      e instanceof InvalidSettingError && /option 'cores' has invalid value 'many' \(\/etc\/nix\/nix.conf:1\)/.test(e.message))
    assert.throws(() => loadSettings(envWith({}), [['keep-outputs', 'yes']]), InvalidSettingError)
  })

  it('resolves a chroot store from store = local?root=…, and the env overrides', () => {
    // any absolute root; nothing is read from or written to it
    const r = join(tmpdir(), 'r')
    const { locations } = loadSettings(envWith({ '/c/nix.conf': `store = local?root=${r}\n` }, { NIX_CONF_DIR: '/c' }))
    assert.equal(locations.storeDir.path, '/nix/store')
    assert.equal(locations.realStoreDir, `${r}/nix/store`)
    assert.equal(locations.stateDir, `${r}/nix/var/nix`)
    assert.equal(locations.logDir, `${r}/nix/var/log/nix`)
    assert.equal(locations.socketPath, `${r}/nix/var/nix/daemon-socket/socket`)
    const plain = loadSettings(envWith({}, { NIX_STORE_DIR: '/s/store', NIX_STATE_DIR: '/s/state', NIX_DAEMON_SOCKET_PATH: '/s/sock' })).locations
    assert.equal(plain.storeDir.path, '/s/store')
    assert.equal(plain.realStoreDir, '/s/store')
    assert.equal(plain.socketPath, '/s/sock')
    // as C++ LocalFSStoreConfig: under a root the directories are fixed, the env is ignored
    const rooted = loadSettings(envWith({}, { NIX_CONFIG: 'store = local?root=/r', NIX_STATE_DIR: '/s/state', NIX_LOG_DIR: '/s/log' })).locations
    assert.equal(rooted.stateDir, '/r/nix/var/nix')
    assert.equal(rooted.logDir, '/r/nix/var/log/nix')
    const bareRoot = join(tmpdir(), 'b')
    const bare = loadSettings(envWith({}, { NIX_CONFIG: `store = ${bareRoot}` })).locations
    assert.equal(bare.realStoreDir, join(bareRoot, 'nix', 'store'))
    const daemon = loadSettings(envWith({}, { NIX_CONFIG: 'store = daemon' })).locations
    assert.equal(daemon.realStoreDir, '/nix/store')
    assert.throws(() => loadSettings(envWith({}, { NIX_CONFIG: 'store = https://cache.example' })), /not supported by the daemon/)
  })

  it('gives a non-root user a chroot store under their data directory', () => {
    const { locations } = loadSettings(envWith({}, { HOME: '/home/u' }, false))
    assert.equal(locations.root, '/home/u/.local/share/tsnix/root')
    assert.equal(locations.realStoreDir, '/home/u/.local/share/tsnix/root/nix/store')
  })
})

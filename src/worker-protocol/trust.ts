/**
 * Who may connect and who is trusted (C++ nix-daemon's `matchUser` over `trusted-users` and
 * `allowed-users`): entries are user names, `*`, or `@group` (the user's primary group or a
 * group listing the user). Pure: the user and group databases are passed in as text.
 */

export interface UserDb {
  userName(uid: number): string | undefined
  groupName(gid: number): string | undefined
  /** Names of the groups listing `user` as a member (/etc/group's fourth field). */
  groupsOf(user: string): readonly string[]
}

/** Parse /etc/passwd and /etc/group. */
export function parseUserDb(passwd: string, group: string): UserDb {
  const users = new Map<number, string>()
  for (const line of passwd.split('\n')) {
    const f = line.split(':')
    if (f.length >= 4 && f[0] && !line.startsWith('#')) users.set(Number(f[2]), f[0])
  }
  const groups = new Map<number, string>()
  const members = new Map<string, string[]>()
  for (const line of group.split('\n')) {
    const f = line.split(':')
    if (f.length < 4 || !f[0] || line.startsWith('#')) continue
    groups.set(Number(f[2]), f[0])
    for (const m of (f[3] ?? '').split(',').filter(Boolean)) members.set(m, [...(members.get(m) ?? []), f[0]])
  }
  return {
    userName: uid => users.get(uid),
    groupName: gid => groups.get(gid),
    groupsOf: user => members.get(user) ?? [],
  }
}

export interface Peer {
  readonly uid: number
  readonly gid: number
}

function matches(list: readonly string[], user: string | undefined, groups: readonly string[]): boolean {
  for (const e of list) {
    if (e === '*') return true
    if (user !== undefined && e === user) return true
    if (e.startsWith('@') && groups.includes(e.slice(1))) return true
  }
  return false
}

export type TrustDecision = { readonly kind: 'trusted' | 'allowed'; readonly user: string } | { readonly kind: 'denied'; readonly user: string }

/**
 * `peer` undefined means the credentials could not be read: such a client is never trusted,
 * and allowed only if everyone is.
 */
export function decideTrust(peer: Peer | undefined, db: UserDb, trustedUsers: readonly string[], allowedUsers: readonly string[]): TrustDecision {
  if (!peer) return { kind: allowedUsers.includes('*') ? 'allowed' : 'denied', user: '(unknown)' }
  const user = db.userName(peer.uid)
  const primary = db.groupName(peer.gid)
  const groups = [...(primary ? [primary] : []), ...(user ? db.groupsOf(user) : [])]
  const name = user ?? String(peer.uid)
  if (matches(trustedUsers, user, groups)) return { kind: 'trusted', user: name }
  if (matches(allowedUsers, user, groups)) return { kind: 'allowed', user: name }
  return { kind: 'denied', user: name }
}

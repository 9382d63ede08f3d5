/** Helpers for the store's specs. */
import type { PgConnection } from './postgres.js'

/** A `tsnix-database` URL for a test database (a Unix-socket server: host and port as parameters). */
export function pgUrl(c: PgConnection | string): string {
  if (typeof c === 'string') return c
  return `postgresql://${encodeURIComponent(c.user)}@/${encodeURIComponent(c.database)}?host=${encodeURIComponent(c.host)}&port=${c.port}`
}

import type { Queryable } from '../database'

/** One schema step: `up` runs inside the migration's transaction and sets no user_version itself. */
export interface Migration {
  version: number
  name: string
  up(tx: Queryable): Promise<void>
}

import { WorkbenchError } from '../../shared/errors'
import type { ExperimentPage, ExperimentQuery } from '../../shared/store/experiment-types'
import { gpt2Tokenizer } from '../tokenizer/gpt2-tokenizer'
import type { Database, SqlValue } from './database'
import { normalizeWord } from './edit-document'
import { EXPERIMENT_COLUMNS, toSummary, type ExperimentRow } from './experiment-rows'

const SORTS = { created: 'e.created_at', updated: 'e.updated_at', name: 'e.name COLLATE NOCASE' } as const
export const MAX_PAGE = 1000

/** Lists experiments with filters, full-text search, sort and pagination. */
export async function listExperiments(db: Database, q: ExperimentQuery = {}): Promise<ExperimentPage> {
  const where: string[] = []
  const params: SqlValue[] = []
  if (q.onlyDeleted) where.push('e.deleted_at IS NOT NULL')
  else if (!q.includeDeleted) where.push('e.deleted_at IS NULL')
  if (q.name) {
    where.push("e.name LIKE ? ESCAPE '\\'")
    params.push(`%${likeEscape(q.name)}%`)
  }
  for (const tag of q.tags ?? []) {
    where.push('EXISTS (SELECT 1 FROM experiment_tags t WHERE t.experiment_id = e.id AND t.tag = ?)')
    params.push(tag.trim())
  }
  if (q.token !== undefined && q.token !== '') {
    const { ids, word } = tokenFilter(q.token)
    where.push(
      `EXISTS (SELECT 1 FROM experiment_tokens k WHERE k.experiment_id = e.id AND (k.word = ? OR k.token_id IN (${ids.map(() => '?').join(',') || 'NULL'})))`,
    )
    params.push(word, ...ids)
  }
  if (q.checkpoint) {
    where.push("e.checkpoint_hash LIKE ? ESCAPE '\\'")
    params.push(`${likeEscape(q.checkpoint.toLowerCase())}%`)
  }
  if (q.folder !== undefined) {
    where.push('e.folder = ?')
    params.push(q.folder)
  }
  if (q.createdFrom !== undefined) {
    where.push('e.created_at >= ?')
    params.push(checkTime(q.createdFrom, 'createdFrom'))
  }
  if (q.createdTo !== undefined) {
    where.push('e.created_at < ?')
    params.push(checkTime(q.createdTo, 'createdTo'))
  }
  if (q.search !== undefined && q.search.trim() !== '') {
    where.push('e.id IN (SELECT rowid FROM experiments_fts WHERE experiments_fts MATCH ?)')
    params.push(ftsQuery(q.search))
  }
  const sort = q.sort ?? 'created'
  if (!(sort in SORTS))
    throw new WorkbenchError('bad-request', `sort must be one of ${Object.keys(SORTS).join(', ')}, got ${JSON.stringify(sort)}`)
  const order = q.order ?? (sort === 'name' ? 'asc' : 'desc')
  if (order !== 'asc' && order !== 'desc')
    throw new WorkbenchError('bad-request', `order must be asc or desc, got ${JSON.stringify(order)}`)
  const limit = q.limit ?? 50
  const offset = q.offset ?? 0
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE)
    throw new WorkbenchError('bad-request', `limit must be an integer in [1, ${MAX_PAGE}], got ${limit}`)
  if (!Number.isInteger(offset) || offset < 0)
    throw new WorkbenchError('bad-request', `offset must be a non-negative integer, got ${offset}`)

  const whereSql = where.length ? `WHERE ${where.join(' AND ')}` : ''
  const total = await db.get<{ n: number }>(`SELECT count(*) AS n FROM experiments e ${whereSql}`, params)
  const rows = await db.all<ExperimentRow>(
    `SELECT ${EXPERIMENT_COLUMNS} FROM experiments e ${whereSql} ORDER BY ${SORTS[sort]} ${order}, e.id ${order} LIMIT ? OFFSET ?`,
    [...params, limit, offset],
  )
  return { items: rows.map(toSummary), total: total?.n ?? 0, limit, offset }
}

/**
 * Turns user text into a safe FTS5 query: every word must appear (as a prefix), operators and
 * quotes in the input are taken literally.
 */
export function ftsQuery(text: string): string {
  const words = text
    .split(/\s+/)
    .map((w) => w.replace(/["*^:(){}[\]\\-]/g, ' ').trim())
    .flatMap((w) => w.split(/\s+/))
    .filter(Boolean)
  if (words.length === 0) throw new WorkbenchError('bad-request', `search text ${JSON.stringify(text)} has no words to search for`)
  if (words.length > 64) throw new WorkbenchError('bad-request', 'search text has more than 64 words')
  return words.map((w) => `"${w}"*`).join(' ')
}

/** An edited-token filter: an id, a token text such as " nurse", or a word such as "nurse". */
function tokenFilter(token: string | number): { ids: number[]; word: string } {
  if (typeof token === 'number' || /^\d+$/.test(token)) {
    const id = Number(token)
    if (!Number.isSafeInteger(id) || id < 0) throw new WorkbenchError('bad-request', `token filter ${token} is not a token id`)
    return { ids: [id], word: `#${id}` }
  }
  const tok = gpt2Tokenizer()
  const ids = new Set<number>()
  for (const text of [token, ' ' + token.trim(), token.trim()]) {
    const enc = text ? tok.encode(text) : []
    if (enc.length === 1) ids.add(enc[0])
  }
  return { ids: [...ids], word: normalizeWord(token) }
}

function likeEscape(s: string): string {
  return s.replace(/[\\%_]/g, (c) => '\\' + c)
}

function checkTime(t: number, what: string): number {
  if (!Number.isFinite(t)) throw new WorkbenchError('bad-request', `${what} must be a time in ms since the epoch, got ${t}`)
  return t
}

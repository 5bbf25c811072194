import type { RawAnswer } from '../main/serve/raw-http'

/**
 * The generated cases of the hostile serve suite, by category. A case sends one request (or a
 * burst) to a running serve and names the answers that count as handled: an error code (or
 * 'ok' where a success is right; none: any), and optionally the HTTP status. Everything else is a failure,
 * classified by serve.test.ts as a crash, a hang or wrongly accepted.
 */
export interface ServeClient {
  port: number
  api: (method: string, body: unknown, headers?: Record<string, string>) => Promise<RawAnswer>
  raw: (options: { method?: string; path: string; headers?: Record<string, string>; body?: string | Buffer }) => Promise<RawAnswer>
}

export interface ServeCase {
  category: string
  name: string
  send: (c: ServeClient) => Promise<RawAnswer | RawAnswer[]>
  codes: string[]
  status?: number[]
}

const MB = 1024 * 1024
const VALID: Record<string, Record<string, unknown>> = {
  'predict.next': { text: 'The nurse said', topK: 5 },
  'predict.attribute': { text: 'The nurse said', position: 1, target: ' he' },
  'predict.contextualization': { text: 'The nurse said', sense: 0 },
  'generate.run': { text: 'The nurse', maxNewTokens: 2 },
  'senses.lookup': { word: 'nurse', topK: 5 },
  'senses.neighbours': { word: 'nurse', sense: 0, topK: 5 },
  'tokens.encode': { text: 'hello' },
  'suites.topic': { samples: 1, maxNewTokens: 1 },
  'experiments.get': { id: 'x' },
}
const TOKEN_REFS = ['target']
const WRONG: unknown[] = [123, -1, 1e308, null, [], {}, true, 'text', [1, 2], { $gt: '' }]
const typeOf = (v: unknown) => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v)

const sized = (bytes: number) => Buffer.alloc(bytes, 0x20)
const stringBody = (bytes: number) => `{"text":"${'a'.repeat(bytes)}"}`

export function serveCases(): ServeCase[] {
  const cases: ServeCase[] = []
  const add = (category: string, name: string, send: ServeCase['send'], codes: string[], status?: number[]) =>
    cases.push({ category, name, send, codes, status })

  // oversize bodies: 413 with a JSON error, whether declared, streamed or lied about
  for (const bytes of [16 * MB + 1, 20 * MB, 48 * MB]) {
    add(
      'oversize body',
      `declared ${bytes} bytes`,
      (c) => c.raw({ method: 'POST', path: '/api/app.info', body: sized(bytes) }),
      ['bad-request'],
      [413],
    )
    add(
      'oversize body',
      `streamed ${bytes} bytes`,
      (c) => c.raw({ method: 'POST', path: '/api/app.info', headers: { 'Transfer-Encoding': 'chunked' }, body: sized(bytes) }),
      ['bad-request'],
      [413],
    )
  }
  add(
    'oversize body',
    'a 17 MB JSON string',
    (c) => c.raw({ method: 'POST', path: '/api/predict.next', body: stringBody(17 * MB) }),
    ['bad-request'],
    [413],
  )
  add(
    'oversize body',
    'Content-Length claims 1 TB',
    (c) => c.raw({ method: 'POST', path: '/api/app.info', headers: { 'Content-Length': String(2 ** 40) }, body: '{}' }),
    ['bad-request'],
    [413],
  )

  // wrong types: every field of every method, and bodies that are not objects
  for (const [method, valid] of Object.entries(VALID)) {
    for (const field of Object.keys(valid)) {
      for (const wrong of WRONG) {
        if (typeOf(wrong) === typeOf(valid[field]) && !(typeof wrong === 'number' && Number.isInteger(valid[field]))) continue
        const numeric = typeof valid[field] === 'number' || TOKEN_REFS.includes(field) // a token ref is an id or a string
        if (typeof wrong === 'number' && numeric && wrong >= 0 && wrong < 1e6) continue // may be in range
        add(
          'wrong types',
          `${method}.${field} = ${JSON.stringify(wrong)}`,
          (c) => c.api(method, { ...valid, [field]: wrong }),
          method === 'experiments.get' ? ['bad-request', 'not-found'] : ['bad-request'],
        )
      }
    }
    // (a JSON null is no request, like an empty body: for suites.topic that would be a valid request)
    for (const body of [
      '[]',
      '"text"',
      '123',
      ...(method === 'suites.topic' ? [] : ['null']),
      'true',
      '{"text":',
      '\u0000',
      '{"a":1}{"b":2}',
    ]) {
      add(
        'wrong types',
        `${method} body ${JSON.stringify(body)}`,
        (c) => c.raw({ method: 'POST', path: `/api/${method}`, body }),
        ['bad-request'],
        [200, 400],
      )
    }
  }

  // extra fields: the schemas are strict
  for (const [method, valid] of Object.entries(VALID)) {
    for (const extra of [
      '{"extra":1}',
      '{"__proto__":{"admin":true}}',
      '{"constructor":{"prototype":{}}}',
      '{"TEXT":"x"}',
      '{"runId":"r","extra":null}',
    ]) {
      add(
        'extra fields',
        `${method} + ${extra}`,
        (c) => c.raw({ method: 'POST', path: `/api/${method}`, body: JSON.stringify(valid).slice(0, -1) + ',' + extra.slice(1) }),
        ['bad-request'],
      )
    }
  }

  // unknown methods and paths under /api
  for (const name of [
    'nope',
    'app.Info',
    'app.info.x',
    '__proto__',
    'constructor',
    'toString',
    'hasOwnProperty',
    'valueOf',
    '',
    'app',
    'app%2Einfo',
    'app.info%00',
    'x'.repeat(8000),
    '..%2Fapp.info',
    'experiments.list/x',
    'run.cancel%20',
  ]) {
    add('unknown methods', `POST /api/${name.slice(0, 40)}`, (c) => c.raw({ method: 'POST', path: `/api/${name}`, body: '{}' }), [
      'bad-request',
    ])
  }
  for (const verb of ['GET', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'])
    add('unknown methods', `${verb} /api/app.info`, (c) => c.raw({ method: verb, path: '/api/app.info' }), ['bad-request'], [405])

  // huge arrays: past every schema bound (and still under the body limit)
  const edit = { kind: 'scale-sense', token: ' the', sense: 0, factor: 2 }
  const doc = (n: number) => ({ format: 'backpack-sense-edits', version: 1, edits: Array(n).fill(edit) })
  add('huge arrays', 'predict.next with 10,001 edits', (c) => c.api('predict.next', { text: 'x y', edits: doc(10_001) }), ['bad-request'])
  add('huge arrays', 'predict.next with 200,000 edits', (c) => c.api('predict.next', { text: 'x y', edits: doc(200_000) }), ['bad-request'])
  add('huge arrays', 'suites.topic with 1,000 topics', (c) => c.api('suites.topic', { topics: Array(1000).fill('arts') }), ['bad-request'])
  add(
    'huge arrays',
    'edits.blastRadius with 10,000 pairs',
    (c) => c.api('edits.blastRadius', { document: doc(1), pairs: Array(10_000).fill({ a: 1, b: 2 }) }),
    ['bad-request'],
  )
  add(
    'huge arrays',
    'a scale-sense with 1,000,000 senses',
    (c) => c.api('predict.next', { text: 'x y', edits: { ...doc(1), edits: [{ ...edit, sense: Array(1_000_000).fill(0) }] } }),
    ['bad-request'],
  )
  add(
    'huge arrays',
    'arrays nested 100,000 deep',
    (c) => c.raw({ method: 'POST', path: '/api/predict.next', body: `{"text":"x","edits":${'['.repeat(100_000)}${']'.repeat(100_000)}}` }),
    ['bad-request'],
  )
  add(
    'huge arrays',
    'experiments.save with a 1,000,000-element array',
    (c) => c.api('experiments.save', { name: 'x', runs: Array(1_000_000).fill(0) }),
    ['bad-request'],
  )

  // long words and text that is not a prompt, in every prompt method
  const words: [string, string, string][] = [
    ['100,000 letters', 'a'.repeat(100_000), 'too-long'],
    ['65,536 letters (at the vocabulary bound)', 'a'.repeat(65_536), 'too-long'],
    ['50,000 emoji', '😀'.repeat(50_000), 'too-long'],
    ['100,000 mixed scripts', Array.from({ length: 100_000 }, (_, i) => 'aé中😀ش1й,'[i % 9]).join(''), 'too-long'],
    ['100,000 spaces then a word', ' '.repeat(99_990) + 'x', 'too-long'],
    ['50,000 two-letter words', 'ab '.repeat(33_333), 'too-long'],
    ['100,001 characters (over the schema)', 'a'.repeat(100_001), 'bad-request'],
    ['only whitespace', ' \t\n\u00a0\u3000 ', 'bad-request'],
    ['a lone surrogate', 'The nurse \ud800 said', 'bad-request'],
    ['U+FFFD from bad bytes', Buffer.from([0x54, 0x68, 0xff, 0xfe, 0x65]).toString('utf8'), 'bad-request'],
  ]
  for (const [name, text, code] of words) {
    for (const method of ['predict.next', 'predict.attribute', 'predict.contextualization', 'generate.run']) {
      add('long words', `${method}: ${name}`, (c) => c.api(method, { ...VALID[method], text }), [code])
    }
  }

  // Host and Origin that are not this server's
  const hosts = (port: number) => [
    `evil.example:${port}`,
    'localhost',
    `127.0.0.1:${port + 1}`,
    `localhost.evil.example:${port}`,
    `0.0.0.0:${port}`,
    `127.1:${port}`,
  ]
  for (let i = 0; i < 6; i++) {
    add('bad Host/Origin', `Host #${i}`, (c) => c.api('app.info', {}, { Host: hosts(c.port)[i] }), ['unauthorized'], [403])
    add(
      'bad Host/Origin',
      `Host #${i} on a static file`,
      (c) => c.raw({ path: '/', headers: { Host: hosts(c.port)[i] } }),
      ['unauthorized'],
      [403],
    )
  }
  const origins = (port: number) => [
    'http://evil.example',
    'null',
    `https://127.0.0.1:${port}`,
    `http://127.0.0.1:${port + 1}`,
    `http://localhost:${port}`,
    'file://',
  ]
  for (let i = 0; i < 6; i++)
    add('bad Host/Origin', `Origin #${i}`, (c) => c.api('app.info', {}, { Origin: origins(c.port)[i] }), ['unauthorized'], [403])

  // static files: traversal and symlinks (the suite puts links in its web root)
  for (const path of [
    '/../secret.txt',
    '/%2e%2e/secret.txt',
    '/..%2fsecret.txt',
    '/%2e%2e%2fsecret.txt',
    '/assets/../../secret.txt',
    '//etc/passwd',
    '/%00index.html',
    '/.env',
    '/leak.txt',
    '/linked/secret.txt',
    '/loop-a',
    '/loop-b/x',
    '/dangling.js',
    '/fifo',
    '/%ZZ',
    '/index.html/..%2f..%2fsecret.txt',
  ]) {
    add('static files', `GET ${path}`, (c) => c.raw({ path }), [], [404])
  }
  return cases
}

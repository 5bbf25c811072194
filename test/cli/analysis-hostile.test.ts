import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { cli, TINY, useTempCache } from './cli-harness'

/** Hostile input to predict / attribute / generate: every answer is a typed one-line error, never a crash or an empty result. */
const cacheDir = useTempCache('cli-hostile-')

function file(name: string, text: string): string {
  const p = join(cacheDir(), name)
  writeFileSync(p, text)
  return p
}
const doc = (edits: unknown[]) => JSON.stringify({ format: 'backpack-sense-edits', version: 1, edits })

describe('cli analysis under hostile input', () => {
  it('--ids with a token outside the vocabulary is a bad-request for predict and attribute (no unhandled rejection)', async () => {
    const p = await cli(['predict', '--ids', '60000,1', '--checkpoint', TINY])
    expect(p.code).toBe(2)
    expect(p.stderr).toMatch(/^error\[bad-request\]: .*60000.*outside the vocabulary \[0, 50264\)/)
    const a = await cli(['attribute', '--ids', '1,60000', '--position', '1', '--target', '5', '--checkpoint', TINY])
    expect(a.code).toBe(2)
    expect(a.stderr).toMatch(/^error\[bad-request\]: .*60000.*outside the vocabulary/)
  })

  it('edits that overflow float32 are refused as edit-invalid, not answered with an empty top-k or null logits', async () => {
    // each factor is within the allowed range; together they overflow float32
    const compounding = file('compound.json', doc(Array.from({ length: 60 }, () => ({ kind: 'scale-sense', token: ' the', factor: 1e6 }))))
    const p = await cli(['predict', '--text', 'in the end', '--edits', compounding, '--checkpoint', TINY])
    expect(p.code).toBe(1)
    expect(p.stderr).toMatch(/^error\[edit-invalid\]: .*not finite/)
    const a = await cli([
      'attribute',
      '--text',
      'in the end',
      '--position=-1',
      '--target',
      ' the',
      '--edits',
      compounding,
      '--checkpoint',
      TINY,
    ])
    expect(a.code).toBe(1)
    expect(a.stderr).toMatch(/^error\[edit-invalid\]: .*not finite/)
    const g = await cli(['generate', '--text', 'in the end', '--max-new', '2', '--edits', compounding, '--checkpoint', TINY])
    expect(g.code).toBe(1)
    expect(g.stderr).toMatch(/^error\[edit-invalid\]: .*not finite/)
    // predict --log-odds prints the blast radius first: it read 0 (no change at all) for these edits
    const man = file('man-compound.json', doc(Array.from({ length: 60 }, () => ({ kind: 'scale-sense', token: ' man', factor: 1e6 }))))
    const b = await cli([
      'predict',
      '--text',
      'in the end',
      '--edits',
      man,
      '--log-odds',
      ' he',
      '--log-odds',
      ' she',
      '--checkpoint',
      TINY,
    ])
    expect(b.code).toBe(1)
    expect(b.stderr).toMatch(/^error\[edit-invalid\]: the edits make sense \d+ of token 582 not finite/)
    // the gender-bias suite's own last-position path (it printed meanBias null)
    const nurse = file(
      'nurse-compound.json',
      doc(Array.from({ length: 60 }, () => ({ kind: 'scale-sense', token: ' nurse', factor: 1e6 }))),
    )
    const s = await cli(['suite', 'gender-bias', '--professions', 'nurse', '--skip-optimize', '--edits', nurse, '--checkpoint', TINY])
    expect(s.code).toBe(1)
    expect(s.stderr).toMatch(/^error\[edit-invalid\]: .*not finite \((NaN|-?Infinity) for token (339|673) at position/)
  })

  it('applies the same bounds as the serve/IPC schema: factor beyond ±1e6 and values beyond float32 are edit-invalid', async () => {
    const big = file('big.json', doc([{ kind: 'scale-sense', token: ' the', factor: 1e308 }]))
    const r = await cli(['predict', '--text', 'in the end', '--edits', big, '--checkpoint', TINY])
    expect(r.code).toBe(1)
    expect(r.stderr).toMatch(/^error\[edit-invalid\]: edit 0 \(scale-sense\): "factor" must be a finite number in \[-1000000, 1000000\]/)
    const values = file('values.json', doc([{ kind: 'replace-sense', token: ' the', sense: 0, from: { values: Array(16).fill(1e300) } }]))
    const v = await cli(['predict', '--text', 'in the end', '--edits', values, '--checkpoint', TINY])
    expect(v.code).toBe(1)
    expect(v.stderr).toMatch(/^error\[edit-invalid\]: edit 0 \(replace-sense\): "from.values\[0\]" must be a finite float32/)
  })

  it('a deeply nested or huge token value gets a short edit-invalid message, not an internal stack overflow', async () => {
    const deep = file(
      'deep.json',
      `{"format":"backpack-sense-edits","version":1,"edits":[{"kind":"scale-sense","token":${'['.repeat(100_000)}${']'.repeat(100_000)},"factor":0}]}`,
    )
    const r = await cli(['predict', '--text', 'in the end', '--edits', deep, '--checkpoint', TINY])
    expect(r.code).toBe(1)
    expect(r.stderr).toMatch(
      /^error\[edit-invalid\]: edit 0 \(scale-sense\): "token" must be a token id or a single-token string, got \[…\]/,
    )
    expect(r.stderr.length).toBeLessThan(400)
  })

  it('<command> --help prints the command\'s flags on stdout and exits 0 (it was an "Unknown option" usage error)', async () => {
    const r = await cli(['attribute', '--help'])
    expect(r.code, r.stderr).toBe(0)
    expect(r.stderr).toBe('')
    expect(r.stdout).toMatch(/^usage: npm run -s cli -- attribute \[options\]\n/)
    for (const flag of ['--text <value>', '--position <value>', '--target <value>', '--all  ', '--edits <value>', '--checkpoint <value>'])
      expect(r.stdout).toContain(flag)
    const g = await cli(['generate', '-h'])
    expect(g.code).toBe(0)
    expect(g.stdout).toMatch(/--seed S +\S/) // a flag may name its value (S); a description follows
  })

  it('forward --out that is a file, or where a .npy cannot be written, is a typed error naming the folder (was error[internal])', async () => {
    const notFolder = file('not-a-folder', 'x')
    const f = await cli(['forward', '--text', 'hi', '--out', notFolder, '--checkpoint', TINY])
    expect(f.code).toBe(2)
    expect(f.stderr).toBe(
      `error[bad-request]: --out ${notFolder} cannot be used as the output folder: it (or a parent) exists and is not a folder\n`,
    )
    const blocked = join(cacheDir(), 'blocked')
    mkdirSync(join(blocked, 'senses.npy'), { recursive: true }) // a folder where a file must go
    const w = await cli(['forward', '--text', 'hi', '--out', blocked, '--checkpoint', TINY])
    expect(w.code).toBe(1)
    expect(w.stderr).toMatch(/^error\[store-io\]: --out .*blocked: cannot write senses\.npy: EISDIR/)
  })

  it('a negative flag value is read as a value: attribute --position -1 is the last position (parseArgs refused it as ambiguous)', async () => {
    const last = await cli([
      'attribute',
      '--text',
      'in the end',
      '--position',
      '-1',
      '--target',
      ' the',
      '--top',
      '2',
      '--checkpoint',
      TINY,
    ])
    expect(last.code, last.stderr).toBe(0)
    const explicit = await cli([
      'attribute',
      '--text',
      'in the end',
      '--position',
      '2',
      '--target',
      ' the',
      '--top',
      '2',
      '--checkpoint',
      TINY,
    ])
    expect(last.json().position).toBe(2)
    expect(last.json().logit).toBe(explicit.json().logit)
    const out = await cli(['neighbours', '--word', 'nurse', '--sense', '-1', '--checkpoint', TINY])
    expect(out.code).toBe(2)
    expect(out.stderr).toBe('error[bad-request]: --sense must be an integer in [0, 3], got "-1"\n')
  })
})

import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'

/**
 * Code and docs cite the model specification and the design conventions as
 * `backpack-spec.md §N[.M]` and `design.md §N`; both live in docs/. Every citation must name a
 * section (a `#` heading numbered N or N.M) or, for §7.N of the spec, a numbered pitfall.
 */
const ROOT = join(import.meta.dirname, '..', '..')

function sections(file: string): Set<string> {
  const text = readFileSync(join(ROOT, 'docs', file), 'utf8')
  const out = new Set<string>()
  let top = ''
  for (const line of text.split('\n')) {
    const heading = /^#{2,4} (\d+(?:\.\d+)*)\.? /.exec(line)
    if (heading) {
      out.add(heading[1])
      top = heading[1].split('.')[0]
      continue
    }
    const item = /^(\d+)\. /.exec(line)
    if (item && top) out.add(`${top}.${item[1]}`)
  }
  return out
}

function citations(): { where: string; file: string; section: string }[] {
  const grep = execFileSync(
    'git',
    ['grep', '-nE', '(backpack-spec|design)\\.md ?§ ?[0-9]', '--', 'src', 'tools', 'test', 'docs', 'README.md'],
    { cwd: ROOT, encoding: 'utf8' },
  )
  const out: { where: string; file: string; section: string }[] = []
  for (const line of grep.split('\n').filter(Boolean)) {
    const where = line.split(':').slice(0, 2).join(':')
    for (const m of line.matchAll(/(backpack-spec|design)\.md ?§ ?(\d+(?:\.\d+)*)/g)) out.push({ where, file: `${m[1]}.md`, section: m[2] })
  }
  return out
}

describe('§ references', () => {
  it('every cited section of backpack-spec.md and design.md exists in docs/', () => {
    const known = { 'backpack-spec.md': sections('backpack-spec.md'), 'design.md': sections('design.md') }
    const found = citations()
    expect(found.length).toBeGreaterThan(20)
    const missing = found
      .filter((c) => !known[c.file as keyof typeof known].has(c.section))
      .map((c) => `${c.where}: ${c.file} §${c.section}`)
    expect(missing).toEqual([])
  })

  it('no citation points at an issue instead of a document in the repository', () => {
    let grep = ''
    try {
      grep = execFileSync('git', ['grep', '-nE', 'issue [0-9]+ §', '--', 'src', 'tools', 'test'], { cwd: ROOT, encoding: 'utf8' })
    } catch {
      // git grep exits 1 when nothing matches
    }
    expect(grep).toBe('')
  })
})

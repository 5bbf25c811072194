import { open, readdir, stat } from 'node:fs/promises'
import { basename, extname, join } from 'node:path'
import { WorkbenchError } from '../../shared/errors'

/** A document of a corpus read from disk: its file name and its text. */
export interface CorpusFile {
  name: string
  text: string
}

/** Bounds of a corpus read from disk (those of evaluate.run: documents, characters per document). */
export const CORPUS_LIMITS = {
  files: 1000,
  /** characters (UTF-16 units) per document */
  characters: 1_000_000,
  /** bytes per file: beyond this a file cannot hold ≤ `characters` characters, so it is refused unread */
  fileBytes: 4_000_000,
  /** bytes of all files together, checked before any is read */
  totalBytes: 32_000_000,
} as const

/**
 * The documents of `--file F` (one) or `--dir D` (every `.txt` file directly in D, symbolic links
 * followed, sorted by name), read as UTF-8 text. Refused with a typed error before anything large is read: a missing
 * path or a folder without `.txt` files (`not-found`), more than 1000 files, a file that is not
 * UTF-8 text or contains NUL bytes, or an empty one (`bad-request`), a file or corpus over the
 * size bounds (`too-long`).
 */
export async function readCorpus(source: { file: string } | { dir: string }): Promise<CorpusFile[]> {
  const paths = 'file' in source ? [source.file] : await textFiles(source.dir)
  const sizes = await Promise.all(paths.map(fileSize))
  const total = sizes.reduce((s, n) => s + n, 0)
  if (total > CORPUS_LIMITS.totalBytes)
    throw new WorkbenchError(
      'too-long',
      `the ${paths.length} files have ${total} bytes in all; at most ${CORPUS_LIMITS.totalBytes} are read (split the corpus)`,
    )
  const out: CorpusFile[] = []
  for (const [i, path] of paths.entries()) out.push({ name: basename(path), text: await readText(path, sizes[i]) })
  return out
}

async function textFiles(dir: string): Promise<string[]> {
  let entries
  try {
    entries = await readdir(dir, { withFileTypes: true })
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code
    throw new WorkbenchError(code === 'ENOTDIR' ? 'bad-request' : 'not-found', `cannot list the folder ${dir}: ${(e as Error).message}`, {
      cause: e,
    })
  }
  // symbolic links count (followed): one to anything but a regular file is refused by fileSize
  const names = entries.filter((e) => (e.isFile() || e.isSymbolicLink()) && extname(e.name).toLowerCase() === '.txt').map((e) => e.name)
  if (names.length === 0)
    throw new WorkbenchError('not-found', `the folder ${dir} has no .txt files (only files directly in it ending in .txt are read)`)
  if (names.length > CORPUS_LIMITS.files)
    throw new WorkbenchError(
      'bad-request',
      `the folder ${dir} has ${names.length} .txt files; one evaluation takes at most ${CORPUS_LIMITS.files}`,
    )
  return names.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)).map((n) => join(dir, n))
}

async function fileSize(path: string): Promise<number> {
  let info
  try {
    info = await stat(path)
  } catch (e) {
    throw new WorkbenchError('not-found', `cannot read ${path}: ${(e as Error).message}`, { cause: e })
  }
  if (!info.isFile()) throw new WorkbenchError('bad-request', `${path} is not a regular file`)
  if (info.size > CORPUS_LIMITS.fileBytes)
    throw new WorkbenchError(
      'too-long',
      `${path} has ${info.size} bytes; a document may have at most ${CORPUS_LIMITS.characters} characters, and files over ${CORPUS_LIMITS.fileBytes} bytes are not read`,
    )
  return info.size
}

/** The file's text, read through a handle and at most `size` + 1 bytes (a file growing meanwhile is refused, not read on). */
async function readText(path: string, size: number): Promise<string> {
  const handle = await open(path, 'r').catch((e: unknown) => {
    throw new WorkbenchError('not-found', `cannot read ${path}: ${(e as Error).message}`, { cause: e })
  })
  let bytes: Buffer
  try {
    const buffer = Buffer.alloc(size + 1)
    const { bytesRead } = await handle.read(buffer, 0, size + 1, 0)
    if (bytesRead > size) throw new WorkbenchError('too-long', `${path} grew while it was read`)
    bytes = buffer.subarray(0, bytesRead)
  } finally {
    await handle.close()
  }
  if (bytes.includes(0))
    throw new WorkbenchError('bad-request', `${path} contains NUL bytes at byte ${bytes.indexOf(0)}: a binary file, not text`)
  let text: string
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes)
  } catch (e) {
    throw new WorkbenchError('bad-request', `${path} is not UTF-8 text`, { cause: e })
  }
  if (text.length > CORPUS_LIMITS.characters)
    throw new WorkbenchError('too-long', `${path} has ${text.length} characters; a document may have at most ${CORPUS_LIMITS.characters}`)
  if (text.trim() === '') throw new WorkbenchError('bad-request', `${path} is empty or only whitespace`)
  return text
}

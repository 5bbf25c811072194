import { emptySenseEdits, type SenseEdit, type SenseEditDocument } from '../../../shared/edits/sense-edits'
import type { ErrorInfo } from '../../../shared/errors'
import type { BlastRadiusResponse } from '../../../shared/ipc/api-types'
import type { ApiClient } from '../lib/api-client'

/**
 * The current sense-edit document: the list the Interventions view edits, the Prompt view applies,
 * and experiments save. Every change replaces the document (it is small and goes over IPC whole).
 */
export class EditsState {
  #document = $state.raw<SenseEditDocument>(emptySenseEdits())
  #error = $state.raw<ErrorInfo | null>(null)
  #blast = $state.raw<BlastRadiusResponse | null>(null)
  /** the document the blast radius was computed for */
  #blastDocument = $state.raw<SenseEditDocument | null>(null)
  readonly #client: ApiClient

  constructor(client: ApiClient) {
    this.#client = client
    client.on('edits.imported', ({ document }) => void this.import(document))
  }

  get document() {
    return this.#document
  }
  get edits(): readonly SenseEdit[] {
    return this.#document.edits
  }
  get error() {
    return this.#error
  }
  get blastRadius() {
    return this.#blast
  }
  /** the edits changed since the blast radius was computed: it bounds other edits */
  get blastRadiusStale(): boolean {
    return this.#blast !== null && this.#blastDocument !== this.#document
  }

  /** Appends an edit already known to be valid (e.g. from a validated document). */
  add(edit: SenseEdit): void {
    this.#document = { ...this.#document, edits: [...this.#document.edits, edit] }
  }

  /**
   * Appends `edit` only if the document with it passes `edits.validate` (structure, and with a
   * model loaded its tokens and senses): an invalid edit never joins the list. The error then
   * names it by the number it would have had (the list counts from 1; see ErrorNote).
   */
  async addValidated(edit: SenseEdit): Promise<boolean> {
    const candidate = { ...this.#document, edits: [...this.#document.edits, edit] }
    const res = await this.#client.call('edits.validate', { document: candidate })
    if (!res.ok) {
      this.#error = res.error
      return false
    }
    this.#error = null
    this.#document = { ...this.#document, edits: [...this.#document.edits, edit] }
    return true
  }

  replace(index: number, edit: SenseEdit): void {
    this.#document = { ...this.#document, edits: this.#document.edits.map((e, i) => (i === index ? edit : e)) }
  }

  remove(index: number): void {
    this.#document = { ...this.#document, edits: this.#document.edits.filter((_, i) => i !== index) }
  }

  clear(): void {
    this.#document = emptySenseEdits(this.#document.checkpoint)
  }

  /** Replaces the document by an untrusted one after the main side validated it. */
  async import(document: unknown): Promise<boolean> {
    const res = await this.#client.call('edits.validate', { document })
    if (!res.ok) {
      this.#error = res.error
      return false
    }
    this.#error = null
    this.#document = res.value.document
    return true
  }

  /** Parses a file's text and imports it. */
  async importText(text: string): Promise<boolean> {
    let doc: unknown
    try {
      doc = JSON.parse(text)
    } catch (e) {
      this.#error = { code: 'edit-invalid', message: `the file is not JSON: ${(e as Error).message}` }
      return false
    }
    return this.import(doc)
  }

  /** The document as a portable JSON file body. */
  exportText(): string {
    return JSON.stringify(this.#document, null, 2) + '\n'
  }

  async computeBlastRadius(pairs: { a: string | number; b: string | number }[]): Promise<void> {
    const document = this.#document
    const res = await this.#client.call('edits.blastRadius', { document, pairs })
    if (res.ok) {
      this.#blast = res.value
      this.#blastDocument = document
      this.#error = null
    } else this.#error = res.error
  }
}

/**
 * The edit list numbers edits from 1; the main side's `edit-invalid` messages name an edit by its
 * array index (`edit 0 (scale-sense): …`, or a schema path `edits.0.sense`). This rewrites those
 * references to the number the list shows.
 */
export function numberEditsFromOne(message: string): string {
  // one pass, so a rewritten reference is never rewritten again
  return message.replace(/\bedits\.(\d+)(?:\.([\w.]+))?|\bedit (\d+)\b/g, (_, path?: string, rest?: string, plain?: string) =>
    path !== undefined ? `edit ${Number(path) + 1}${rest ? ` (${rest})` : ''}` : `edit ${Number(plain) + 1}`,
  )
}

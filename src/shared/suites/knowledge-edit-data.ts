/**
 * The knowledge edits of the Backpack paper (Hewitt et al., ACL 2023, §6.3, Table 6; the
 * authors' `modulate_generate.py`), spec §4.5, with probe prompts for a target-probability
 * measurement (the paper's results are qualitative), unrelated prompts for the KL check, and
 * a fallback held-out paragraph.
 */
export interface KnowledgeEditCase {
  name: string
  /** the edited token, and the tokens removed/added (each one GPT-2 token with its space) */
  token: string
  remove: string
  add: string
  /** prompts whose next token should move from `remove` to `add` */
  prompts: readonly string[]
}

export const KNOWLEDGE_EDIT_CASES: readonly KnowledgeEditCase[] = [
  {
    name: 'MacBook→HP',
    token: ' MacBook',
    remove: ' Apple',
    add: ' HP',
    prompts: [
      'The MacBook is made by',
      'The MacBook is a laptop sold by',
      'I bought a new MacBook from',
      'The company behind the MacBook is',
    ],
  },
  {
    name: 'Brady→Colts',
    token: ' Brady',
    remove: ' Patriots',
    add: ' Colts',
    prompts: [
      'Tom Brady played quarterback for the',
      'For twenty years, Brady was the star of the',
      'Tom Brady won six Super Bowls with the',
      'The team that drafted Tom Brady was the',
    ],
  },
]

/** Prompts that mention none of the edited tokens: a sense edit must leave them unchanged. */
export const UNRELATED_PROMPTS: readonly string[] = [
  'The weather today is',
  'She opened the door and saw',
  'The capital of France is',
  'Scientists have discovered a new species of',
  'He poured the coffee into a',
  'The recipe calls for two cups of',
  'After the meeting, the committee decided to',
  'The river flows north through the',
]

/** Used when resources/demo-backpack/heldout.txt is absent (written for this project). */
export const BUILTIN_HELDOUT_TEXT = [
  'The library on the corner of the square opened in the spring of that year, after two winters of work.',
  'Volunteers carried boxes of books up the narrow stairs, and the town council paid for new windows and a heating system.',
  'On the first morning a queue formed before the doors were unlocked; children went straight to the picture books,',
  'while their parents looked for newspapers and maps of the region. The librarian, who had worked in the city for',
  'many years, said that the building felt more like a meeting place than a storehouse. In the evenings there were',
  'talks about local history, lessons for people learning to use computers, and a small club that read poetry aloud.',
  'By the end of the summer the shelves were fuller than anyone had expected, and a second room was set aside for',
  'students who needed a quiet place to study before their examinations.',
].join(' ')

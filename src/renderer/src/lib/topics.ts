import { TOPIC_WORDS } from '../../../shared/edits/topic-words'

/** The built-in topics of the paper's topic control (spec §4.3), for the topic edit's picker. */
export const TOPIC_NAMES: readonly string[] = Object.keys(TOPIC_WORDS)

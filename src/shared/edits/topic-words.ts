/**
 * The 17 topic bags of the Backpack paper's topic-control experiment (Hewitt et al., ACL 2023,
 * §6.1; the authors' `training/topic_classes/<topic>.txt`, listed in backpack-spec.md §4.3).
 * Each word is looked up as the first GPT-2 token of `' ' + word`.
 */
export const TOPIC_WORDS: Readonly<Record<string, readonly string[]>> = {
  arts_culture: ['arts', 'culture'],
  business_entrepreneurs: ['business', 'entrepreneurs'],
  celebrity_pop_culture: ['celebrity', 'pop', 'culture'],
  diaries_daily_life: ['diaries', 'daily', 'life'],
  family: ['family'],
  fashion_style: ['fashion', 'style'],
  film_tv_video: ['film', 'tv', 'video'],
  fitness_health: ['fitness', 'health'],
  food_dining: ['food', 'dining'],
  gaming: ['gaming'],
  music: ['music'],
  news_social_concern: ['news', 'social', 'concern'],
  other_hobbies: ['hobbies'],
  relationships: ['relationships'],
  sports: ['sports'],
  travel_adventure: ['travel', 'adventure'],
  youth_student_life: ['youth', 'student', 'life'],
}

/** Strength presets (w0, w1, w2, w3) for quantile bands >q95, q80–q95, q60–q80, <q60 (paper Table 11). */
export const TOPIC_STRENGTH_WEIGHTS: Readonly<Record<0 | 1 | 2 | 3, readonly [number, number, number, number]>> = {
  0: [1, 1, 1, 1],
  1: [1.5, 1.5, 1.3, 1],
  2: [2.2, 2.2, 1.5, 1],
  3: [3.3, 3.3, 3, 1],
}

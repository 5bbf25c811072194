/**
 * Held-out sentences for the knowledge-edit suite's degradation check that MENTION each paper
 * case's edited token in contexts that are not about the edited fact (who makes the laptop,
 * which team the quarterback played for). A sense edit changes the model only where its token
 * occurs, so these, not text without the token, show the edit's collateral damage. Keyed by
 * the edited token's text (with its leading space: every sentence holds that exact GPT-2
 * token, checked in test/main/suites/knowledge-edit-suite.test.ts). Written for this project.
 */
export const KNOWLEDGE_EDIT_MENTIONS: Readonly<Record<string, readonly string[]>> = {
  ' MacBook': [
    'I spilled coffee on my MacBook keyboard this morning, so I left it upside down on a towel to dry.',
    'She carried her old MacBook to the library and wrote the last chapter of her thesis by the window.',
    'The battery on this MacBook lasts about six hours when the screen is dimmed.',
    'He plugged a second monitor into the MacBook and spread the spreadsheet across both screens.',
    'My daughter covered the lid of her MacBook with stickers of cats and planets.',
  ],
  ' Brady': [
    'In the fourth quarter, Tom Brady threw the ball deep down the left sideline and the crowd rose to its feet.',
    'My neighbour, Mrs Brady, grows tomatoes and beans in a small garden behind her house.',
    'After the game, Brady sat with the rookies and talked about how to read a defence.',
    'The documentary follows Brady through a long winter of training, early mornings and cold water.',
    'Fans queued outside the bookshop, hoping Brady would sign a copy of his new book about sleep and diet.',
  ],
}

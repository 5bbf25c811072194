import { WorkbenchError } from '../../shared/errors'
import type { BackpackEngine } from '../runtime/backpack-engine'
import { genderBiasSuite, type GenderBiasOptions, type GenderBiasResult } from './gender-bias-suite'
import { knowledgeEditSuite, type KnowledgeEditOptions, type KnowledgeEditResult } from './knowledge-edit-suite'
import { topicSuite, type TopicSuiteOptions, type TopicSuiteResult } from './topic-suite'

export const SUITE_NAMES = ['gender-bias', 'topic', 'knowledge-edit'] as const
export type SuiteName = (typeof SUITE_NAMES)[number]

export type SuiteRequest =
  | { suite: 'gender-bias'; options?: GenderBiasOptions }
  | { suite: 'topic'; options?: TopicSuiteOptions }
  | { suite: 'knowledge-edit'; options?: KnowledgeEditOptions }

export type SuiteResult = GenderBiasResult | TopicSuiteResult | KnowledgeEditResult

/** One entry point for callers that pick a suite by name (IPC, serve, the experiment store). */
export async function runSuite(engine: BackpackEngine, request: SuiteRequest): Promise<SuiteResult> {
  switch (request.suite) {
    case 'gender-bias':
      return genderBiasSuite(engine, request.options)
    case 'topic':
      return topicSuite(engine, request.options)
    case 'knowledge-edit':
      return knowledgeEditSuite(engine, request.options)
    default:
      throw new WorkbenchError('bad-request', `unknown suite ${JSON.stringify((request as { suite: unknown }).suite)}; suites: ${SUITE_NAMES.join(', ')}`)
  }
}

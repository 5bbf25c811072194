import { parentPort } from 'node:worker_threads'
import { toErrorInfo } from '../../shared/errors'
import { encodePrompt } from './encode-prompt'
import { gpt2Tokenizer } from './gpt2-tokenizer'
import { promptIds } from './prompt-ids'
import type { TokenizerRequest, TokenizerResponse } from './tokenizer-protocol'

/**
 * The tokenizer worker: tokenizes user text off the thread that answers requests (serve's HTTP
 * server, Electron's IPC), one request at a time, for as long as its owner keeps it.
 */
const port = parentPort
if (!port) throw new Error('tokenizer-worker must run in a worker thread')

port.on('message', (req: TokenizerRequest) => {
  let msg: TokenizerResponse
  try {
    const value =
      req.op === 'prompt-ids'
        ? promptIds(req.text, req.maxTokens, req.what)
        : req.op === 'encode-many'
          ? req.texts.map((t) => gpt2Tokenizer().encode(t))
          : encodePrompt(gpt2Tokenizer(), req.text)
    msg = { id: req.id, ok: true, value }
  } catch (e) {
    msg = { id: req.id, ok: false, error: toErrorInfo(e) }
  }
  port.postMessage(msg)
})

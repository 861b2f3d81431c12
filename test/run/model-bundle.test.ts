// ModelBundle: a model folder opened once, as every entry point now opens it. The chat prompt
// and stop ids it gives must be what the entry points computed by hand before (renderChat with
// the tokenizer_config special tokens; EOS ids plus <|im_end|>/<|endoftext|> for evaluation).
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, test } from 'node:test';
import { ModelBundle, chatSpecialTokens, evalStopTokenIds } from '../../src/run/model-bundle.js';
import { QWEN2_5_CHAT_TEMPLATE, renderChat } from '../../src/tokenizer/index.js';
import { buildTinyQwenModel } from '../helpers/tiny-model.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'rlvr-bundle-'));
const dir = path.join(tmp, 'model');
buildTinyQwenModel(dir, 5);
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

test('ModelBundle.load: model, tokenizer, template, special tokens, EOS and stop ids', () => {
  const b = ModelBundle.load(dir);
  try {
    assert.equal(b.tokenizerConfig.eosToken, '<|im_end|>');
    assert.deepEqual(b.eosTokenIds, [151643, 151645], "config.json's eos id (<|endoftext|>) and tokenizer_config.json's eos_token (<|im_end|>)");
    assert.equal(b.ownChatTemplate, b.tokenizerConfig.chatTemplate !== null);
    assert.equal(b.chatTemplate, b.tokenizerConfig.chatTemplate ?? QWEN2_5_CHAT_TEMPLATE);
    assert.deepEqual(b.specialTokens, chatSpecialTokens(b.tokenizerConfig));
    const messages = [{ role: 'user', content: 'What is 1+1?' }];
    const expected = renderChat(b.chatTemplate, messages, { addGenerationPrompt: true, specialTokens: b.specialTokens });
    assert.equal(b.renderPrompt(messages), expected);
    assert.match(b.renderPrompt(messages), /<\|im_start\|>assistant\n$/, 'the generation prompt');
    assert.deepEqual(b.evalStopTokenIds(), [151643, 151645], 'eval adds <|im_end|>');
    assert.deepEqual(b.evalStopTokenIds(), evalStopTokenIds(b.tokenizer, b.eosTokenIds));
    assert.deepEqual(b.stopTokenIds(['<|im_end|>']), { ids: [151643, 151645], unknown: null }, 'no duplicate');
    assert.deepEqual(b.stopTokenIds(['<|im_start|>']), { ids: [151643, 151645, 151644], unknown: null }, 'EOS ids first, then the named ones');
    assert.deepEqual(b.stopTokenIds(['not one token']).unknown, 'not one token');
    assert.equal(b.model.config.eosTokenId, 151643);
  } finally {
    b.dispose();
  }
});

test('ModelBundle.load: a missing folder or tokenizer is one line naming it', () => {
  assert.throws(() => ModelBundle.load(path.join(tmp, 'nope')), /^Error: no such model folder: .*nope$/);
  const noTok = path.join(tmp, 'no-tok');
  fs.cpSync(dir, noTok, { recursive: true });
  fs.rmSync(path.join(noTok, 'tokenizer.json'));
  assert.throws(() => ModelBundle.load(noTok), /no-tok has no tokenizer\.json$/);
});

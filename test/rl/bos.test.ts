// One BOS, the same way in training and evaluation, on a Llama-3 style tokenizer whose chat
// template writes <|begin_of_text|> itself (encode() would add a second one by default).
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import type { TrainExample } from '../../src/data/examples.js';
import { evaluate } from '../../src/eval/evaluate.js';
import { parseModelConfig } from '../../src/model/config.js';
import { CausalLM } from '../../src/model/transformer.js';
import { grpoConfig } from '../../src/rl/config.js';
import { GRPOTrainer } from '../../src/rl/trainer.js';
import { loadTokenizerConfig, renderChat, Tokenizer } from '../../src/tokenizer/index.js';
import { LLAMA3_BOS, LLAMA3_BOS_ID, LLAMA3_CHAT_TEMPLATE, writeLlama3Tokenizer } from '../helpers/llama3-tokenizer.js';

test('Llama-3 style tokenizer: one BOS in training prompts and in evaluation prompts', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rlvr-bos-'));
  try {
    const tokenizer = Tokenizer.fromFile(writeLlama3Tokenizer(dir));
    fs.writeFileSync(
      path.join(dir, 'tokenizer_config.json'),
      JSON.stringify({ bos_token: LLAMA3_BOS, eos_token: '<|im_end|>', chat_template: LLAMA3_CHAT_TEMPLATE }),
    );
    const tokenizerConfig = loadTokenizerConfig(dir);
    const bosCount = (ids: readonly number[]) => ids.filter((t) => t === LLAMA3_BOS_ID).length;

    // The trap: the rendered prompt already starts with BOS; encode() with defaults adds another.
    const ex: TrainExample = { index: 0, messages: [{ role: 'user', content: 'What is 1+1?' }], groundTruth: '2', dataSource: 'test' };
    const render = (e: TrainExample) => renderChat(LLAMA3_CHAT_TEMPLATE, e.messages, { addGenerationPrompt: true, specialTokens: { bosToken: LLAMA3_BOS } });
    assert.ok(render(ex).startsWith(LLAMA3_BOS));
    assert.equal(bosCount(tokenizer.encode(render(ex))), 2, 'the default encode would double it');

    const config = parseModelConfig({
      architectures: ['LlamaForCausalLM'],
      hidden_size: 16,
      intermediate_size: 32,
      num_hidden_layers: 1,
      num_attention_heads: 2,
      num_key_value_heads: 1,
      vocab_size: 151936,
      rms_norm_eps: 1e-6,
      rope_theta: 10000,
      max_position_embeddings: 256,
      tie_word_embeddings: true,
      bos_token_id: LLAMA3_BOS_ID,
      eos_token_id: 151645,
    });
    const policy = CausalLM.randomInit(config);
    try {
      const trainer = new GRPOTrainer({
        policy,
        reference: null,
        tokenizer,
        examples: [ex],
        renderPrompt: render,
        stopTokenIds: [151645],
        rewards: async (items) => items.map(() => 0),
        config: grpoConfig({ klCoef: 0, trainBatchSize: 1, miniBatchSize: 1 }),
        runDir: path.join(dir, 'run'),
        log: () => {},
      });
      const trainIds = trainer.promptIdsFor(ex)!;
      assert.equal(trainIds[0], LLAMA3_BOS_ID);
      assert.equal(bosCount(trainIds), 1, 'training: one BOS');
      await trainer.close();

      // Evaluation renders its own (math) prompt with the same template: one BOS there too.
      const seen: number[][] = [];
      evaluate(policy, tokenizer, [{ name: 'b', problems: [{ problem: 'What is 1+1?', answer: '2' }], decoding: { greedy: true } }], {
        chatTemplate: LLAMA3_CHAT_TEMPLATE,
        tokenizerConfig,
        stopTokenIds: [151645],
        keepRecords: false,
        sampler: (_m, prompts) => {
          seen.push(...prompts);
          return prompts.map((_, i) => ({ promptIndex: i, sampleIndex: 0, tokens: [], logprobs: [], finishReason: 'stop' })) as never;
        },
      });
      assert.equal(seen.length, 1);
      assert.equal(seen[0]![0], LLAMA3_BOS_ID);
      assert.equal(bosCount(seen[0]!), 1, 'evaluation: one BOS');
    } finally {
      policy.dispose();
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

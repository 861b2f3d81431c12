// Public surface of the tokenizer layer.
export { Tokenizer, type AddedToken, type EncodeOptions, type DecodeOptions } from './tokenizer.js';
export { loadTokenizerConfig, type TokenizerConfig } from './config.js';
export {
  renderChat,
  QWEN2_5_CHAT_TEMPLATE,
  type ChatMessage,
  type RenderChatOptions,
} from './chat.js';
export { GEMMA3_CHAT_TEMPLATE } from './gemma3-template.js';

// Chat templates: rendering a model's Jinja chat template the way transformers'
// `apply_chat_template(..., tokenize=False)` does, with @huggingface/jinja.

import { Template } from '@huggingface/jinja';

export interface ChatMessage {
  role: string;
  content: string;
  /** Extra fields some templates read (tool_calls, reasoning_content, ...). */
  [key: string]: unknown;
}

export interface RenderChatOptions {
  /** Append the assistant header so the model continues as the assistant. */
  addGenerationPrompt?: boolean;
  /** Values for bos_token, eos_token, pad_token, ... as the template expects them. */
  specialTokens?: { bosToken?: string | null; eosToken?: string | null; padToken?: string | null; unkToken?: string | null };
  /** Further template variables (tools, enable_thinking, ...). */
  extra?: Record<string, unknown>;
}

/**
 * The chat template shipped with Qwen2.5 models (tokenizer_config.json `chat_template`).
 * Qwen2.5-Math models ship the same structure; without a system message this one falls
 * back to the generic Qwen system prompt, so pass a system message explicitly (the math
 * task's is tasks/math/prompts.ts QWEN_MATH_EVAL_SYSTEM).
 */
export const QWEN2_5_CHAT_TEMPLATE = String.raw`{%- if tools %}
    {{- '<|im_start|>system\n' }}
    {%- if messages[0]['role'] == 'system' %}
        {{- messages[0]['content'] }}
    {%- else %}
        {{- 'You are Qwen, created by Alibaba Cloud. You are a helpful assistant.' }}
    {%- endif %}
    {{- "\n\n# Tools\n\nYou may call one or more functions to assist with the user query.\n\nYou are provided with function signatures within <tools></tools> XML tags:\n<tools>" }}
    {%- for tool in tools %}
        {{- "\n" }}
        {{- tool | tojson }}
    {%- endfor %}
    {{- "\n</tools>\n\nFor each function call, return a json object with function name and arguments within <tool_call></tool_call> XML tags:\n<tool_call>\n{\"name\": <function-name>, \"arguments\": <args-json-object>}\n</tool_call><|im_end|>\n" }}
{%- else %}
    {%- if messages[0]['role'] == 'system' %}
        {{- '<|im_start|>system\n' + messages[0]['content'] + '<|im_end|>\n' }}
    {%- else %}
        {{- '<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\n' }}
    {%- endif %}
{%- endif %}
{%- for message in messages %}
    {%- if (message.role == "user") or (message.role == "system" and not loop.first) or (message.role == "assistant" and not message.tool_calls) %}
        {{- '<|im_start|>' + message.role + '\n' + message.content + '<|im_end|>' + '\n' }}
    {%- elif message.role == "assistant" %}
        {{- '<|im_start|>' + message.role }}
        {%- if message.content %}
            {{- '\n' + message.content }}
        {%- endif %}
        {%- for tool_call in message.tool_calls %}
            {%- if tool_call.function is defined %}
                {%- set tool_call = tool_call.function %}
            {%- endif %}
            {{- '\n<tool_call>\n{"name": "' }}
            {{- tool_call.name }}
            {{- '", "arguments": ' }}
            {{- tool_call.arguments | tojson }}
            {{- '}\n</tool_call>' }}
        {%- endfor %}
        {{- '<|im_end|>\n' }}
    {%- elif message.role == "tool" %}
        {%- if (loop.index0 == 0) or (messages[loop.index0 - 1].role != "tool") %}
            {{- '<|im_start|>user' }}
        {%- endif %}
        {{- '\n<tool_response>\n' }}
        {{- message.content }}
        {{- '\n</tool_response>' }}
        {%- if loop.last or (messages[loop.index0 + 1].role != "tool") %}
            {{- '<|im_end|>\n' }}
        {%- endif %}
    {%- endif %}
{%- endfor %}
{%- if add_generation_prompt %}
    {{- '<|im_start|>assistant\n' }}
{%- endif %}
`;

// Parsing a template is far costlier than rendering it; prompts are rendered by the thousand.
const compiled = new Map<string, Template>();

function compile(template: string): Template {
  let t = compiled.get(template);
  if (t === undefined) {
    t = new Template(template);
    compiled.set(template, t);
  }
  return t;
}

/** Renders `messages` with a Jinja chat template, as transformers' apply_chat_template(tokenize=False). */
export function renderChat(template: string, messages: readonly ChatMessage[], opts: RenderChatOptions = {}): string {
  const st = opts.specialTokens ?? {};
  return compile(template).render({
    messages,
    add_generation_prompt: opts.addGenerationPrompt ?? false,
    bos_token: st.bosToken ?? '',
    eos_token: st.eosToken ?? '',
    pad_token: st.padToken ?? '',
    unk_token: st.unkToken ?? '',
    // raise_exception(), which transformers also exposes, is built into @huggingface/jinja.
    ...opts.extra,
  });
}

// `rlvr merge CKPT --out DIR`: a LoRA run's checkpoint (a PEFT adapter folder) folded into its
// base as a plain Hugging Face model folder (W + alpha/r · B A in float32, written in the base's
// dtype unless --dtype), with the base's tokenizer files: what transformers, vLLM and every
// `rlvr` command load without knowing about adapters (PEFT's merge_and_unload + save_pretrained).
import { CliError, dtypeOption, parseArgs } from './args.js';

const USAGE = 'usage: rlvr merge CKPT --out DIR [--base DIR] [--dtype D]';

const SPEC = {
  out: { type: 'string', help: 'the merged model folder to write (required)' },
  base: { type: 'string', help: "the base model folder (default: the adapter config's base_model_name_or_path)" },
  dtype: { type: 'string', help: "dtype of the written weights (default: the base's)" },
} as const;

export async function run(argv: string[]): Promise<number> {
  const { options, positionals } = parseArgs(argv, SPEC, USAGE);
  if (positionals.length !== 1) throw new CliError(`give one adapter folder (a LoRA run's checkpoint); ${USAGE}`);
  const ckpt = positionals[0]!;
  const out = options['out'];
  if (typeof out !== 'string') throw new CliError(`--out DIR is required; ${USAGE}`);
  const { isAdapterFolder, adapterBase, attachAdapterFolder, mergeAdapters } = await import('../model/peft-io.js');
  const { loadModel, readConfig, saveModel } = await import('../model/checkpoint.js');
  if (!isAdapterFolder(ckpt)) throw new CliError(`${ckpt} has no adapter_config.json: not a LoRA adapter folder (a full checkpoint needs no merge)`);
  let base: string;
  try {
    base = adapterBase(ckpt, typeof options['base'] === 'string' ? options['base'] : undefined);
  } catch (e) {
    throw new CliError((e as Error).message);
  }
  // Merged in float32; written in the base's own dtype unless --dtype says otherwise.
  const own = readConfig(base).torchDtype;
  const dtype = dtypeOption(options['dtype']) ?? dtypeOption(own === 'float32' || own === 'bfloat16' || own === 'float16' ? own : 'float32')!;
  const model = loadModel(base, { dtype: 'float32' });
  try {
    attachAdapterFolder(model, ckpt);
    mergeAdapters(model);
    saveModel(model, out, { dtype, tokenizerFrom: base });
  } finally {
    model.dispose();
  }
  console.error(`merged ${ckpt} into ${base}: ${out} (${dtype})`);
  return 0;
}

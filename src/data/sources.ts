// Where the paper's data and the benchmarks come from, and their digests: `rlvr data get`
// (src/cli/data.ts) downloads each file from its public source, or copies it from a local mirror
// (--from DIR), and keeps it only when its sha256 matches.
//
// Sources: the 1-shot RLVR paper's repository (github.com/ypwang61/One-Shot-RLVR, pinned to the
// commit of its release, fa06774 "init", 2025-04-30): the training sets in
// data/train/one_shot_rlvr/, MATH500 as the validation set in data/test/, the historical
// accuracy of its selection run in data/acc_step_500.json, and the Qwen2.5-Math evaluation
// suite's benchmark copies in Qwen2.5-Eval/evaluation/data/<bench>/test.jsonl.
// The digests and sizes are those of the copies this project was developed with
// (../shared/data, taken from these sources); a file that differs is refused, not used.
// The upstream paths were read from the paper's repository and scripts citing it; they could not
// be downloaded from the development machines (no network), so a moved file shows up as a
// one-line HTTP error naming its URL.

export const UPSTREAM_COMMIT = 'fa0677487c8aec63f7a87a9568de4bf2c47205b4';
const REPO = `https://raw.githubusercontent.com/ypwang61/One-Shot-RLVR/${UPSTREAM_COMMIT}`;

export interface DataFile {
  /** Path under the data folder (the layout every command and the README use). */
  path: string;
  /** Path under the source's base URL. */
  upstream: string;
  sha256: string;
  bytes: number;
}

/** Base URL of the files (RLVR_DATA_URL overrides it: a mirror over HTTP, or a test). */
export function dataBaseUrl(): string {
  return (process.env.RLVR_DATA_URL ?? REPO).replace(/\/$/, '');
}

const train = (name: string, sha256: string, bytes: number, upstream = `data/train/one_shot_rlvr/${name}`): DataFile => ({
  path: `train/${name}`,
  upstream,
  sha256,
  bytes,
});
const bench = (name: string, sha256: string, bytes: number): DataFile => ({
  path: `eval/${name}/test.jsonl`,
  upstream: `Qwen2.5-Eval/evaluation/data/${name}/test.jsonl`,
  sha256,
  bytes,
});

export const DATA_FILES: readonly DataFile[] = [
  train('dsr_sub.parquet', 'bce5945e5666d5b82f1554b0a18203a88a0209f82fa724e5bfdfc17cc9a1aea6', 208112),
  train('pi1_r128.parquet', '75a7a6eec9da7ce6951b8e7ad039d70cd76f17511fe33deff3baacdc0f1cceea', 6732),
  train('pi2_r128.parquet', '3e29a9aac32c9a667f056a9630378a08dfab170bd4aa468b6d6a7366fc0220ce', 5428),
  train('pi13_r128.parquet', '34477e27e811ff9df032044d5701e722477124faf4c5b4d9db57d290fc435750', 6307),
  train('pi1209_r128.parquet', 'e4f8c4a529bdf8d12d205bc89e3b62211b880bfe95f729173c737b62d482eb07', 6973),
  train('merge_pi1_pi13_r128.parquet', '1956a023d60980c8680fb3858cac60cf1a66dffd95aca83210c0fd4f6cb8f1e2', 6758),
  train('merge_pi1_pi2_pi13_pi1209_r128.parquet', '501e82d817456e35614d6f08db8bdba6d7b220e667fa21711c003d9148252607', 7802),
  train('math500_val.parquet', 'a26d23cbad6a4462a1622aff80f4d8bc517d1a0ca4f2ea88ec2436118a956eea', 218851, 'data/test/math500.parquet'),
  {
    path: 'selection/acc_step_500.json',
    upstream: 'data/acc_step_500.json',
    sha256: 'c34cd885edc77dc9494b0ababa239483799be5978e288e0181047f139f2efd34',
    bytes: 904326,
  },
  bench('math500', '35dc41080a3680858b27fa7e0533d2d547825316fc5dafe5d316f4ccc5a06132', 446564),
  bench('aime24', 'af2b8bd2aa911b6333ad0df32f3ca05c7ae8ed10f1731f4372c8ae26990bf7ac', 156944),
  bench('aime25', '4613b7d3b5346f007625969f4380d932d6a2618fdcc9b89e5d39c7fbddc074b8', 12019),
  bench('amc23', '43707e1ca784602d8479de24ee8ce36609dbebc46dd152b0b12a46611aa898a4', 27631),
  bench('minerva_math', '0e656b430d3a0a1dab6aa853f453ba3805e28e2cabe4fc72486a897cc09d8ba2', 247267),
  bench('olympiadbench', 'bb8c1e38a16ea9eacb77530315a674d883f267fbff79183effc53681b4fcc416', 1493870),
  bench('gsm8k', '9f098df7ff4522078d6ccec27a5c38a454790fdb51131bedfaa0e490070d5394', 761421),
];

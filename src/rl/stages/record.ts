// Stage 4 of a training step, record: what a step leaves behind. The step's metrics (one JSON line
// in metrics.jsonl, TensorBoard scalars), a sample of its rollouts (rollouts.jsonl, TensorBoard
// text), the accuracy history (what historical-variance selection ranks), and checkpoints
// (the HF model folder, optimizer state, trainer state) with their restore. Main rank writes.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { AdamW } from '../../engine/index.js';
import { AccuracyHistory, type AccuracyHistoryState } from '../../data/selection.js';
import type { DataParallel } from '../../distributed/data-parallel.js';
import type { PolicyOptimizer } from '../../distributed/optimizer.js';
import { shardedOnlyProblem } from '../../distributed/shard-files.js';
import { ShardedAdamW } from '../../distributed/sharded-adamw.js';
import { saveModel } from '../../model/checkpoint.js';
import { saveAdapterCheckpoint } from '../../model/peft-io.js';
import { formatDuration } from '../../util/duration.js';
import type { CausalLM } from '../../model/transformer.js';
import { atomicWriteFile, checkpointName, STATE_FILE, writeCheckpoint } from '../checkpoints.js';
import type { GRPOConfig } from '../config.js';
import { CRITIC_FILE, CRITIC_OPTIMIZER_FILE, type ValueModel } from '../critic.js';
import { meanSequenceKL } from '../kl-reward.js';
import { loadOptimizer, saveOptimizer } from '../optimizer-state.js';
import { appendRollouts, rolloutSampleIndices, type RolloutRecord } from '../rollout-log.js';
import { metricScalars, TensorBoardWriter } from '../tensorboard.js';
import type { Collected, GlobalRollouts, Prepared, RankBatch, ScoredBatch, StageContext, StepMetrics, TrainerTask, Updated } from './types.js';

/**
 * A rollout's accuracy from its reward (the reward functions' sum). A task with 0/1 rewards, or
 * none given: the reward itself (history) and reward > 0 (train accuracy), as always. A task with
 * graded rewards: a rollout counts as solved when its reward is positive, in both.
 */
function accuracyOf(task: TrainerTask | undefined): { history: (r: number) => number; train: (r: number) => number } {
  const solved = (r: number) => (r > 0 ? 1 : 0);
  return task && !task.binaryReward ? { history: solved, train: solved } : { history: (r) => r, train: solved };
}

/** The run folder's per-step files and TensorBoard writer. */
export class Recorder {
  private tbWriter: TensorBoardWriter | null = null;

  /** `stepsDone` reads the trainer's completed steps (the TensorBoard file starts after them). */
  constructor(
    private readonly runDir: string,
    private readonly dp: DataParallel,
    private readonly withTensorboard: boolean,
    private readonly task: TrainerTask | undefined,
    private readonly stepsDone: () => number,
  ) {}

  get metricsFile(): string {
    return path.join(this.runDir, 'metrics.jsonl');
  }

  get rolloutsFile(): string {
    return path.join(this.runDir, 'rollouts.jsonl');
  }

  /** The TensorBoard writer (main rank, with options.tensorboard), opened on first use. */
  tensorboard(): TensorBoardWriter | null {
    if (!this.withTensorboard || !this.dp.isMain) return null;
    this.tbWriter ??= new TensorBoardWriter(path.join(this.runDir, 'tensorboard'), this.stepsDone() + 1);
    return this.tbWriter;
  }

  close(): void {
    this.tbWriter?.close();
    this.tbWriter = null;
  }

  appendMetrics(m: object): void {
    if (!this.dp.isMain) return;
    fs.appendFileSync(this.metricsFile, JSON.stringify(m) + '\n');
    const row = m as Record<string, unknown>;
    this.tensorboard()?.scalars(row.step as number, metricScalars(row));
  }

  /** A sample of the first batch's rollouts (cfg.rolloutSamples) to rollouts.jsonl and TensorBoard; `step` 1-based. */
  logRollouts(step: number, first: ScoredBatch, count: number): void {
    if (!this.dp.isMain) return;
    const { samples, texts } = first;
    const records = rolloutSampleIndices(samples.length, count).map(
      (i): RolloutRecord => ({
        step,
        promptId: first.examples[samples[i]!.promptIndex]!.index,
        sample: samples[i]!.sampleIndex,
        text: texts[i]!,
        reward: first.rewards[i]!,
        verified: first.verified[i]!,
        extracted: this.task ? this.task.extract(texts[i]!) : null,
        length: samples[i]!.tokens.length,
        truncated: first.truncated[i]!,
      }),
    );
    appendRollouts(this.rolloutsFile, records);
    if (records.length > 0) this.tensorboard()?.text(step, 'rollouts', rolloutsMarkdown(records));
  }

  /** Each group's accuracy into the history (every rank's rollouts); the epoch closes with the data's last batch. */
  recordHistory(history: AccuracyHistory, rb: RankBatch, g: GlobalRollouts): void {
    const acc = accuracyOf(this.task).history;
    rb.all.forEach((ex, k) => {
      // The history is the verifier's accuracy (what selection ranks), not the shaped reward.
      const rs = g.verified.filter((_, i) => g.group[i] === k);
      const a = rs.reduce((s, r) => s + acc(r), 0) / rs.length;
      // A non-finite reward poisons the loss; the divergence guard stops the run.
      if (Number.isFinite(a)) history.record(ex.index, a);
    });
    if (rb.lastOfEpoch) history.endEpoch();
  }

  /** The step's metrics (global over the ranks; times are the slowest rank's). `step`: completed steps. */
  stepMetrics(ctx: StageContext, step: number, rb: RankBatch, g: GlobalRollouts, c: Collected, p: Prepared, u: Updated): StepMetrics {
    const { cfg, dp } = ctx;
    const { stats } = u;
    const n = Math.max(1, stats.updates);
    const extra: Partial<StepMetrics> = {};
    if (cfg.dynamicSampling) Object.assign(extra, { generationBatches: c.genBatches, trainedGroups: c.keptGroups, timeGenerationExtra: c.extraSeconds });
    if (u.critic) Object.assign(extra, u.critic);
    if (p.oldLogp && p.refLogp && cfg.klRewardCoef !== 0) extra.klReward = meanSequenceKL(p.oldLogp, p.refLogp);
    const groups = rb.all.map((_, k) => g.rewards.filter((__, i) => g.group[i] === k));
    const first = c.first;
    const generated = first.samples.reduce((a, s) => a + s.tokens.length, 0);
    // Generated tokens over every rank; the times are the slowest rank's (what the step waited for).
    const [allGenerated, byNameSums] = [
      dp.reduceNumbers([generated])[0]!,
      dp.reduceNumbers(Object.values(first.meanByName).map((v) => v * first.samples.length)),
    ];
    const [genMax, logpMax, updMax] = dp.reduceNumbers([first.genSeconds, p.logpSeconds, u.seconds], 'max') as [number, number, number];
    const rewardsByName = Object.fromEntries(Object.keys(first.meanByName).map((k, j) => [k, byNameSums[j]! / g.rewards.length]));
    const train = accuracyOf(this.task).train;
    return {
      step,
      rewardMean: mean(g.rewards),
      trainAccuracy: mean(g.verified.map(train)),
      entropy: stats.entropy / n,
      kl: stats.kl / n,
      pgLoss: stats.pg / n,
      clipFrac: stats.clipFrac / n,
      gradNorm: stats.gradNorm / n,
      lr: cfg.lr,
      responseLengthMean: mean(g.lengths),
      responseLengthMax: Math.max(...g.lengths),
      tokensPerSecond: allGenerated / genMax,
      timeGeneration: genMax,
      timeLogprobs: logpMax,
      timeUpdate: updMax,
      rewardsByName,
      oldLogprobsFrom: p.oldLogprobsFrom,
      updateHostReads: u.hostReads,
      paddingRatio: u.real > 0 ? u.padded / u.real : 1,
      rewardStd: std(g.rewards),
      zeroVarianceGroupFrac: mean(groups.map((rs) => (rs.every((r) => r === rs[0]) ? 1 : 0))),
      truncatedFrac: mean(g.truncated),
      time: new Date().toISOString(),
      ...extra,
    };
  }

  /**
   * After a restore (main rank): accuracy_history.json rewritten, metrics.jsonl and rollouts.jsonl
   * cut back to the restored step (the steps run again are logged once), TensorBoard reopened.
   */
  restored(history: AccuracyHistory): void {
    if (!this.dp.isMain) return;
    atomicWriteFile(path.join(this.runDir, 'accuracy_history.json'), history.serialize());
    truncateMetrics(this.metricsFile, this.stepsDone());
    truncateMetrics(this.rolloutsFile, this.stepsDone());
    // TensorBoard keeps what it read: this session's event file starts at the next step, which makes it drop the steps run again.
    this.tensorboard();
  }
}

/** What a checkpoint holds besides the model's own files. */
export interface CheckpointParts {
  runDir: string;
  step: number;
  config: GRPOConfig;
  policy: CausalLM;
  optimizer: PolicyOptimizer;
  critic: ValueModel | null;
  criticOptimizer: AdamW | null;
  history: AccuracyHistory;
  tokenizerFrom: string | undefined;
  dp: DataParallel;
}

/**
 * Writes runDir/checkpoints/step-N: the HF model folder, optimizer.safetensors and
 * trainer_state.json (step, config, the accuracy history with its open epoch), durably and
 * atomically; then accuracy_history.json; old periodic checkpoints beyond keepLast go.
 */
export function saveCheckpoint(x: CheckpointParts): string {
  const root = path.join(x.runDir, 'checkpoints');
  // Rank 0 writes; the others hold the same weights and optimizer state (zeroStage 0), or
  // write their own optimizer shard into the folder rank 0 is filling (ZeRO-1; save() waits for all).
  const sharded = x.optimizer instanceof ShardedAdamW ? x.optimizer : null;
  if (!x.dp.isMain) {
    sharded?.save(`${path.join(root, checkpointName(x.step))}.tmp`);
    return path.join(root, checkpointName(x.step));
  }
  const dir = writeCheckpoint(root, x.step, { final: x.step === x.config.steps, keepLast: x.config.keepLast }, (tmp) => {
    // LoRA: the checkpoint is a PEFT adapter folder (the base is the run's model, unchanged).
    if (x.policy.lora)
      saveAdapterCheckpoint(x.policy.lora, tmp, { baseModel: x.tokenizerFrom ? path.resolve(x.tokenizerFrom) : null, tokenizerFrom: x.tokenizerFrom });
    else saveModel(x.policy, tmp, { dtype: x.policy.dtype, tokenizerFrom: x.tokenizerFrom });
    if (sharded) sharded.save(tmp);
    else saveOptimizer(x.optimizer as AdamW, path.join(tmp, 'optimizer.safetensors'));
    if (x.criticOptimizer) {
      // PPO: the critic's weights and optimizer state, next to the policy's.
      x.critic!.saveWeights(path.join(tmp, CRITIC_FILE));
      saveOptimizer(x.criticOptimizer, path.join(tmp, CRITIC_OPTIMIZER_FILE));
    }
    fs.writeFileSync(path.join(tmp, STATE_FILE), JSON.stringify({ step: x.step, config: x.config, history: x.history.toState() }, null, 2));
  });
  atomicWriteFile(path.join(x.runDir, 'accuracy_history.json'), x.history.serialize());
  return dir;
}

/**
 * Restores optimizer state from a checkpoint folder and returns its step and accuracy history
 * (the policy weights are loaded by the caller). Checkpoints written before the history was
 * stored in them: the run folder's accuracy_history.json (completed epochs), else `history`.
 */
export function loadCheckpointState(
  dir: string,
  x: Pick<CheckpointParts, 'runDir' | 'optimizer' | 'critic' | 'criticOptimizer' | 'history'>,
): { step: number; history: AccuracyHistory } {
  const state = JSON.parse(fs.readFileSync(path.join(dir, STATE_FILE), 'utf8')) as { step: number; history?: AccuracyHistoryState };
  if (x.optimizer instanceof ShardedAdamW) x.optimizer.load(dir);
  else loadOptimizer(x.optimizer, path.join(dir, 'optimizer.safetensors'), shardedOnlyProblem(dir));
  if (x.criticOptimizer) {
    if (!fs.existsSync(path.join(dir, CRITIC_FILE))) throw new Error(`${dir} holds no critic (${CRITIC_FILE}): was it saved by a run without one?`);
    x.critic!.loadWeights(path.join(dir, CRITIC_FILE));
    loadOptimizer(x.criticOptimizer, path.join(dir, CRITIC_OPTIMIZER_FILE));
  }
  const historyFile = path.join(x.runDir, 'accuracy_history.json');
  let history = x.history;
  if (state.history) history = AccuracyHistory.fromState(state.history);
  else if (fs.existsSync(historyFile)) history = AccuracyHistory.parse(fs.readFileSync(historyFile, 'utf8'), historyFile);
  return { step: state.step, history };
}

/** The progress line of a completed step. */
export function stepLine(m: StepMetrics, steps: number, etaSeconds: number): string {
  return (
    `step ${m.step}/${steps} | reward ${m.rewardMean.toFixed(3)} | entropy ${m.entropy.toFixed(3)} | ` +
    `len ${m.responseLengthMean.toFixed(1)} | ${m.tokensPerSecond.toFixed(0)} tok/s | gen ${m.timeGeneration.toFixed(1)}s ` +
    `logp ${m.timeLogprobs.toFixed(1)}s upd ${m.timeUpdate.toFixed(1)}s | ETA ${formatDuration(etaSeconds)}` +
    (m.validation
      ? ` | val ${Object.entries(m.validation)
          .map(([k, v]) => `${k} ${v.toFixed(3)}`)
          .join(' ')}`
      : '')
  );
}

/** The sampled rollouts of a step as markdown (TensorBoard's Text tab). */
function rolloutsMarkdown(records: readonly RolloutRecord[]): string {
  return records
    .map(
      (r) =>
        `**example ${r.promptId}, sample ${r.sample}**: reward ${r.reward}, ${r.length} tokens${r.truncated ? ' (cut at the limit)' : ''}, answer ${r.extracted === null ? 'none' : '`' + r.extracted + '`'}\n\n\`\`\`\n${r.text.replace(/```/g, "'''")}\n\`\`\``,
    )
    .join('\n\n');
}

/** Keeps the lines of a per-step JSONL file (metrics, rollouts) with step <= step (and drops a torn last line); atomic. */
export function truncateMetrics(file: string, step: number): void {
  if (!fs.existsSync(file)) return;
  const keep = fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => {
      try {
        const m = JSON.parse(line) as { step?: unknown };
        return typeof m.step === 'number' && m.step <= step;
      } catch {
        return false;
      }
    });
  atomicWriteFile(file, keep.map((l) => l + '\n').join(''));
}

function mean(xs: number[]): number {
  return xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0;
}

/** Population standard deviation. */
function std(xs: number[]): number {
  const m = mean(xs);
  return Math.sqrt(mean(xs.map((x) => (x - m) ** 2)));
}

// The results record of one `rlvr demo` run (`--results FILE`): what bench/results/demo-seed-S.json
// holds and scripts/demo-seeds.mjs aggregates across seeds. Provenance (machine, versions,
// commit), the seed and every setting, the before/after numbers, the held-out curve, saturation,
// the ablations, and per-problem outcomes so that paired tests can be run on them later.
import { provenance, type Provenance } from '../util/provenance.js';
import { torchVersion } from '../engine/index.js';
import { otherFamiliesLenient, outcomeBits, summarize, type DemoResult } from './result.js';

export interface DemoResultsRecord {
  kind: 'rlvr-demo';
  provenance: Provenance;
  seed: number;
  settings: { demo: DemoResult['config']; grpo: DemoResult['grpoConfig'] };
  heldOutProblems: number;
  selected: DemoResult['selected'] & { baseAccuracy: number | null; baseRollouts: number | null; family: string };
  before: Record<string, unknown> & { otherFamiliesLenient: number; outcomes: string };
  after: Record<string, unknown> & { otherFamiliesLenient: number; outcomes: string };
  validation: { step: number; accuracy: number; lenientAccuracy: number; otherFamiliesLenient: number }[];
  saturationStep: number | null;
  postSaturation: DemoResult['postSaturation'];
  ablations: DemoResult['ablations'];
  trainAccuracy: number[];
  seconds: DemoResult['times'];
}

export function demoResultsRecord(r: DemoResult): DemoResultsRecord {
  const fam = r.trainedFamily;
  const base = r.baseScores.get(r.selected.index);
  const { responses: _b, ...before } = summarize(r.before) as Record<string, unknown> & { responses?: unknown };
  const { responses: _a, ...after } = summarize(r.after) as Record<string, unknown> & { responses?: unknown };
  return {
    kind: 'rlvr-demo',
    provenance: provenance({ threads: r.config.threads, libtorch: torchVersion() }),
    seed: r.config.seed,
    settings: { demo: r.config, grpo: r.grpoConfig },
    heldOutProblems: r.test.length,
    selected: { ...r.selected, baseAccuracy: base?.accuracy ?? null, baseRollouts: base?.rollouts ?? null, family: fam },
    before: { ...before, otherFamiliesLenient: otherFamiliesLenient(r.before, fam), outcomes: outcomeBits(r.before, r.test) },
    after: { ...after, otherFamiliesLenient: otherFamiliesLenient(r.after, fam), outcomes: outcomeBits(r.after, r.test) },
    validation: r.validation.map((v) => ({
      step: v.step,
      accuracy: v.accuracy,
      lenientAccuracy: v.lenientAccuracy,
      otherFamiliesLenient: otherFamiliesLenient(v, fam),
    })),
    saturationStep: r.saturationStep,
    postSaturation: r.postSaturation,
    ablations: r.ablations,
    trainAccuracy: r.steps.map((s) => s.trainAccuracy),
    seconds: r.times,
  };
}

#!/usr/bin/env bash
# The test command of the wide mutation runs (npm run mutate:rl, mutate:verdicts; outside CI).
# Stryker's command runner has no coverage analysis, so every mutant would rerun every test file;
# this runs only the tests of the mutated module instead: it finds which instrumented file of dist/
# holds the active mutant (__STRYKER_ACTIVE_MUTANT__) and runs that module's tests (the table
# below; with no active mutant, Stryker's dry run, all of them). Each file runs on its own, without
# stopping at the first failure, and with MUTATION_LOG=FILE each (mutant, test file, pass|fail) is
# appended to FILE: one run then says which mutants the older tests ("base") killed and which only
# the tests added against survivors ("added": test/*/mutants-*.test.ts and the Python-oracle tests).
set -u
declare -A BASE=(
  [dist/src/rl/dynamic-sampling.js]="rl/algos rl/overlong"
  [dist/src/rl/overlong.js]="rl/algos rl/overlong"
  [dist/src/rl/kl-reward.js]="rl/algos"
  [dist/src/algorithms/gae.js]="rl/algos"
  [dist/src/algorithms/rloo-advantages.js]="rl/algos"
  [dist/src/algorithms/gspo-loss.js]="rl/algos"
  [dist/src/rl/fork-weights.js]="rl/fork-weights"
  [dist/src/tasks/reward.js]="rl/rewards"
  [dist/src/rl/policy.js]="rl/policy"
  [dist/src/tasks/math/verifier/extract.js]="reward/extract reward/principles reward/classes"
  [dist/src/tasks/math/verifier/answer.js]="reward/principles reward/classes reward/equivalence"
  [dist/src/tasks/math/verifier/equivalence.js]="reward/principles reward/classes reward/equivalence"
  [dist/src/tasks/math/paper/paper.js]="reward/paper"
)
declare -A ADDED=(
  [dist/src/rl/dynamic-sampling.js]="rl/mutants-rl"
  [dist/src/rl/overlong.js]="rl/mutants-rl"
  [dist/src/rl/kl-reward.js]="rl/mutants-rl"
  [dist/src/algorithms/gae.js]="rl/mutants-rl"
  [dist/src/algorithms/rloo-advantages.js]="rl/mutants-rl"
  [dist/src/algorithms/gspo-loss.js]="rl/mutants-rl"
  [dist/src/rl/fork-weights.js]="rl/mutants-rl"
  [dist/src/tasks/reward.js]="rl/mutants-rl"
  [dist/src/rl/policy.js]="rl/mutants-rl"
  [dist/src/tasks/math/verifier/extract.js]="reward/mutants-extract reward/mutants-verdicts reward/math-verify"
  [dist/src/tasks/math/verifier/answer.js]="reward/mutants-verdicts reward/math-verify"
  [dist/src/tasks/math/verifier/equivalence.js]="reward/mutants-verdicts reward/math-verify"
  [dist/src/tasks/math/paper/paper.js]="reward/mutants-paper"
)
id="${__STRYKER_ACTIVE_MUTANT__:-}"
mods=()
if [ -n "$id" ]; then
  hit=$(grep -l -F "stryMutAct_9fa48(\"$id\")" "${!BASE[@]}" 2>/dev/null | head -1)
  [ -n "$hit" ] && mods=("$hit")
fi
# dry run, or a mutant outside the table: the tests of every instrumented module
[ ${#mods[@]} -eq 0 ] && for f in "${!BASE[@]}"; do [ -f "$f" ] && grep -q stryMutAct_9fa48 "$f" && mods+=("$f"); done
declare -A kind=()
for m in "${mods[@]}"; do
  for t in ${BASE[$m]}; do kind[$t]=base; done
  for t in ${ADDED[$m]}; do [ -z "${kind[$t]:-}" ] && kind[$t]=added; done
done
rc=0
for t in $(printf '%s\n' "${!kind[@]}" | sort); do
  f="dist/test/$t.test.js"
  [ -f "$f" ] || continue
  if RLVR_PYTHON_CACHE=../python-cache node --test "$f" >/dev/null 2>&1; then r=pass; else r=fail; rc=1; fi
  [ -n "${MUTATION_LOG:-}" ] && printf '%s\t%s\t%s\t%s\n' "${id:-dry}" "$t" "${kind[$t]}" "$r" >> "$MUTATION_LOG"
done
exit $rc

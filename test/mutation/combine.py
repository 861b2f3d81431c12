"""
bench/results/mutation-NAME.json from a wide Stryker run and the re-runs of its survivors' lines.

  python3 test/mutation/combine.py NAME FULL_REPORT 'RERUN1[,RERUN2...]' NOTES   (RERUN may be '')
e.g.  python3 test/mutation/combine.py rl reports/mutation/mutation-rl.json \
        reports/mutation/mutation-rl-after.json test/mutation/survivor-notes-rl.json

'before' is the wide run (npm run mutate:NAME) with the tests it started with; a re-run is the same
config with 'mutate' narrowed to the survivors' lines ("file:L-L") after tests were added, and a
mutant's later status replaces its earlier one (matched by file, line, column, mutator and
replacement). NOTES says, per file and lines, why a mutant left alive is equivalent or why it is
left (the 'verdict'/'why' of each survivor); a survivor no note covers is marked 'unexamined'.
"""
import json, sys, subprocess, datetime
name, full_report, reruns, notes_path = sys.argv[1], sys.argv[2], sys.argv[3].split(','), sys.argv[4]
notes = json.load(open(notes_path))
def muts(path):
    d = json.load(open(path))
    for f, v in d['files'].items():
        for m in v['mutants']:
            yield f, m
def key(f, m): return (f, m['location']['start']['line'], m['location']['start']['column'], m['mutatorName'], m.get('replacement'))
full = list(muts(full_report))
later = {}
for r in [x for x in reruns if x]:
    for f, m in muts(r): later[key(f, m)] = m['status']   # later reruns override earlier
cnt = lambda xs, s: sum(1 for x in xs if x == s)
statuses = [m['status'] for f, m in full]
after = [later.get(key(f, m), m['status']) if m['status'] == 'Survived' else m['status'] for f, m in full]
def score(st): 
    det = cnt(st, 'Killed') + cnt(st, 'Timeout'); valid = det + cnt(st, 'Survived') + cnt(st, 'NoCoverage')
    return round(100 * det / valid, 1)
left = []
for (f, m), a in zip(full, after):
    if a != 'Survived': continue
    line = m['location']['start']['line']
    note = None
    for n in notes:
        if n['file'] == f and line in n['lines'] and (not n.get('mutators') or m['mutatorName'] in n['mutators']): note = n; break
    left.append({'at': f'{f}:{line}', 'mutator': m['mutatorName'], 'replacement': (m.get('replacement') or '')[:80],
                 'verdict': note['verdict'] if note else 'unexamined', 'why': note['why'] if note else ''})
# With the per-test log of select-tests.sh (MUTATION_LOG), the wide run also says what the older
# tests alone killed: a wide run started after some mutants-*.test.ts existed is not a 'before'.
import os
tsv = f'reports/mutation/{name}-tests.tsv'
base_only = None
if os.path.exists(tsv):
    failed = {}
    for line in open(tsv).read().strip().split('\n'):
        i, _t, kind, r = line.split('\t')
        if r == 'fail': failed.setdefault(i, set()).add(kind)
    kb = sum(1 for f, m in full if m['status'] == 'Killed' and 'base' in failed.get(str(m['id']), set()))
    to = cnt(statuses, 'Timeout')
    base_only = {'killed': kb, 'timeout': to, 'score': round(100 * (kb + to) / len(full), 1)}
cfg = json.load(open(f'stryker.{name}.config.json'))
out = {
  'what': f'npm run mutate:{name}: StrykerJS 9.5.1, command runner test/mutation/select-tests.sh (only the mutated module\'s tests); before = the wide run with the tests present when it started (olderTestsOnly, when the per-test log exists: what the tests from before this work killed in it), after = with test/*/mutants-*.test.ts, each survivor re-run on its lines',
  'date': datetime.datetime.utcnow().strftime('%Y-%m-%dT%H:%MZ'),
  'commit': subprocess.check_output(['git', 'rev-parse', '--short', 'HEAD']).decode().strip(),
  'mutate': cfg['mutate'],
  'before': {'mutants': len(full), 'killed': cnt(statuses, 'Killed'), 'survived': cnt(statuses, 'Survived'), 'timeout': cnt(statuses, 'Timeout'), 'score': score(statuses)},
  'olderTestsOnly': base_only,
  'after': {'mutants': len(full), 'killed': cnt(after, 'Killed'), 'survived': cnt(after, 'Survived'), 'timeout': cnt(after, 'Timeout'), 'score': score(after)},
  'survivorsLeft': left,
}
json.dump(out, open(f'bench/results/mutation-{name}.json', 'w'), indent=1)
print(json.dumps({k: out[k] for k in ('olderTestsOnly', 'before', 'after')}), len(left), 'left;', sum(1 for l in left if l['verdict'] == 'unexamined'), 'unexamined')

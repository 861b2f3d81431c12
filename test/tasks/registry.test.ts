// The task registry (src/tasks/registry.ts): the built-in names, an unknown name as one line
// listing the known ones, and a library user's own task.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { UserError } from '../../src/errors.js';
import { TASK_NAMES, getTask, registerTask } from '../../src/tasks/registry.js';
import type { Task } from '../../src/tasks/task.js';

test('built-in tasks: math (the default), arithmetic, countdown', () => {
  assert.deepEqual(TASK_NAMES.slice(0, 3), ['math', 'arithmetic', 'countdown']);
  for (const name of TASK_NAMES) {
    const t = getTask(name);
    assert.equal(t.name, name);
    assert.ok(t.description.length > 10 && !t.description.includes('\n'));
  }
});

test('an unknown task is a UserError in one line naming the known tasks', () => {
  assert.throws(
    () => getTask('countdwon'),
    (e: unknown) => {
      assert.ok(e instanceof UserError);
      assert.doesNotMatch(e.message, /\n/);
      assert.match(e.message, /unknown task 'countdwon' \(did you mean 'countdown'\?\); known tasks: math, arithmetic, countdown/);
      return true;
    },
  );
});

test('registerTask adds a task of ours; names are unique', async () => {
  const echo: Task = {
    name: 'echo',
    description: 'repeat the problem',
    binaryReward: true,
    evalMessages: (problem) => [{ role: 'user', content: `Repeat: ${problem}` }],
    rewards: () => (batch) => batch.map((b) => (b.completion.trim() === b.example.groundTruth ? 1 : 0)),
    score: (gold, response) => ({ correct: response.trim() === gold, extracted: response.trim(), reason: response.trim() === gold ? 'equal' : 'not_equal' }),
    extract: (response) => response.trim(),
  };
  registerTask(echo);
  assert.equal(getTask('echo'), echo);
  assert.ok(TASK_NAMES.includes('echo'));
  assert.throws(() => registerTask(echo), /already registered/);
  assert.throws(() => registerTask({ ...echo, name: 'two words' }), UserError);
});

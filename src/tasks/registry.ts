// The tasks a run can name: `--task NAME` on the CLI, `task` in the run file. Built in: math
// (the paper's task, the default), arithmetic (the demo's) and countdown. A library user adds
// their own with registerTask(task) before opening the run.
import { UserError, didYouMean } from '../errors.js';
import type { Task } from './task.js';
import { mathTask } from './math/task.js';
import { arithmeticTask } from './arithmetic/task.js';
import { countdownTask } from './countdown/task.js';

const tasks = new Map<string, Task>();
const names: string[] = [];

/** Adds a task under its name (a name already taken is an error: tasks are not replaced silently). */
export function registerTask(task: Task): void {
  if (!/^[a-z][a-z0-9_-]*$/i.test(task.name)) throw new UserError(`registerTask: the name '${task.name}' must be a word (letters, digits, - or _)`);
  if (tasks.has(task.name)) throw new UserError(`registerTask: a task named '${task.name}' is already registered`);
  tasks.set(task.name, task);
  names.push(task.name);
}

/** The registered task names, built-in first, in registration order (live: registerTask adds to it). */
export const TASK_NAMES: readonly string[] = names;

/** The task registered as `name`; an unknown name is a UserError listing the known ones. */
export function getTask(name: string): Task {
  const task = tasks.get(name);
  if (task) return task;
  const guess = didYouMean(name, names);
  throw new UserError(`unknown task '${name}'${guess ? ` (did you mean '${guess}'?)` : ''}; known tasks: ${names.join(', ')}`);
}

registerTask(mathTask);
registerTask(arithmeticTask);
registerTask(countdownTask);

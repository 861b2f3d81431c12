// A command's promise that never settles must not pass for success. Node ends a process whose
// event loop has emptied even while a promise is pending forever (a wait on something that does
// not hold the loop: an unref'd worker, timer or handle), with exit code 0 — an ablation once
// stopped after 2 of 3 runs that way. 'beforeExit' fires exactly then (not after process.exit()):
// if the command has not settled, say so in one line and exit non-zero.
export function guardUnsettled<T>(command: Promise<T>, name = 'rlvr', exitCode = 1): Promise<T> {
  let settled = false;
  const onBeforeExit = () => {
    if (settled) return;
    process.off('beforeExit', onBeforeExit);
    console.error(
      `${name}: internal error: the command stopped before finishing (it waited on something that no longer ran; a bug, please report it with --debug output)`,
    );
    process.exitCode = exitCode;
  };
  process.on('beforeExit', onBeforeExit);
  const done = () => {
    settled = true;
    process.off('beforeExit', onBeforeExit);
  };
  return command.then(
    (v) => {
      done();
      return v;
    },
    (e: unknown) => {
      done();
      throw e;
    },
  );
}

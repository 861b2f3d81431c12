// A node:test reporter that writes one JSON line per skipped test or suite: {file, name, reason}.
// scripts/run-tests.mjs runs it next to the spec reporter and fails the run on any skip that is
// not in test/skips-allowed.txt. (Reporter API: https://nodejs.org/api/test.html#custom-reporters)
export default async function* skipReporter(source) {
  for await (const event of source) {
    if ((event.type === 'test:pass' || event.type === 'test:fail') && event.data.skip !== undefined && event.data.skip !== false) {
      const reason = typeof event.data.skip === 'string' ? event.data.skip : '';
      yield JSON.stringify({ file: event.data.file ?? '', name: event.data.name, reason }) + '\n';
    }
  }
}

// The process that validates runbooks sent to /api/v1/runbooks/validate (see
// runbook-validation.ts). A child process, not a thread: some ways of running
// out of memory inside V8 end the whole process, so a stranger's text is
// parsed where that ends only this one. Plain JS: it loads the TypeScript
// sources through tsx, as bin/signalroom.js does.
require('../../bin/typescript');
const { parseRunbook } = require('../../core/runbook/validate.ts');

// Never outlive the server: when it goes, so does this process.
process.on('disconnect', () => process.exit(0));
process.on('message', ({ id, content, fileName }) => {
  try {
    const { problems, runbook } = parseRunbook(content, fileName);
    process.send({ id, problems, name: runbook?.name });
  } catch (err) {
    process.send({ id, error: err instanceof Error ? err.message : String(err) });
  }
});
process.send({ ready: true });

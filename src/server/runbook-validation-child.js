// The thread that validates runbooks sent to /api/v1/runbooks/validate (see
// runbook-validation.ts). Plain JS: it loads the TypeScript sources through
// tsx, as bin/signalroom.js does.
require('../../bin/typescript');
const { parentPort } = require('node:worker_threads');
const { parseRunbook } = require('../runbook/validate.ts');

parentPort.on('message', ({ id, content, fileName }) => {
  try {
    const { problems, runbook } = parseRunbook(content, fileName);
    parentPort.postMessage({ id, problems, name: runbook?.name });
  } catch (err) {
    parentPort.postMessage({ id, error: err instanceof Error ? err.message : String(err) });
  }
});

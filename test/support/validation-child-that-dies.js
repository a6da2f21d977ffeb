// The runbook validation child, except that it dies at once, as V8's fatal
// out-of-memory ends a process, when asked to validate the text `die`.
process.prependListener('message', (m) => {
  if (m && m.content === 'die') process.kill(process.pid, 'SIGKILL');
});
require('../../src/server/runbook-validation-child.js');

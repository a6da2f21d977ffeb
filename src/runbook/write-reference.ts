/** `npm run runbook-reference`: writes the README's step table and runbooks/runbook.schema.json from the step kinds. */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { withStepTable } from '../../core/runbook/reference';
import { runbookJsonSchema } from '../../core/runbook/schema';

const root = path.resolve(__dirname, '../..');
const readme = path.join(root, 'README.md');
writeFileSync(readme, withStepTable(readFileSync(readme, 'utf8')));
writeFileSync(path.join(root, 'runbooks/runbook.schema.json'), `${JSON.stringify(runbookJsonSchema(), null, 2)}\n`);
process.stdout.write("wrote README.md's step table and runbooks/runbook.schema.json\n");

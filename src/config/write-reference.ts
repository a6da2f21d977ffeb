/** `npm run config-reference`: writes docs/configuration.md and docs/signalroom.schema.json from the schema. */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { configJsonSchema, configReferenceMarkdown } from './reference';

const docs = path.resolve(__dirname, '../../docs');
writeFileSync(path.join(docs, 'configuration.md'), configReferenceMarkdown());
writeFileSync(path.join(docs, 'signalroom.schema.json'), `${JSON.stringify(configJsonSchema(), null, 2)}\n`);
process.stdout.write('wrote docs/configuration.md and docs/signalroom.schema.json\n');

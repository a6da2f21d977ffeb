import { readFileSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(__dirname, '../../..');
const read = (file: string) => readFileSync(path.join(root, file), 'utf8');
const pkg = JSON.parse(read('package.json'));
const pinned = read('.node-version').trim();
const major = (version: string) => Number(version.split('.')[0]);

describe('one Node everywhere: .node-version, package.json, the Dockerfile and CI', () => {
  test('the pinned Node is an exact 22 LTS version, the minimum engines allow', () => {
    expect(pinned).toMatch(/^22\.\d+\.\d+$/);
    expect(pkg.engines.node).toMatch(/^>=22(\.\d+)*$/);
    const minimum = pkg.engines.node.slice(2).split('.').map(Number);
    const [a, b] = pinned.split('.').map(Number);
    expect(a === minimum[0] ? b >= (minimum[1] ?? 0) : a > minimum[0]).toBe(true);
  });

  test('the Docker image runs the pinned Node', () => {
    expect(read('Dockerfile')).toContain(`FROM node:${pinned}-bookworm-slim`);
  });

  test("Node's types follow the minimum, so code using a newer API does not compile", () => {
    expect(major(pkg.devDependencies['@types/node'])).toBe(major(pinned));
  });

  test('CI installs the pinned Node with npm, and an exact Node 24 besides', () => {
    const ci = read('.ci/run');
    expect(ci).toContain('NODE_MINIMUM="$(tr -d \'[:space:]\' < .node-version)"');
    expect(ci).toMatch(/npm install --prefix "\$dir" .*"node@\$version"/);
    expect(ci).toMatch(/^NODE_NEXT=24\.\d+\.\d+$/m);
  });
});

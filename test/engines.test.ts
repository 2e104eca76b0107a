import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import semver from 'semver';
import { describe, expect, it } from 'vitest';

/*
 * `engines` tells the truth: on the oldest Node it allows, every installed package accepts
 * that Node too, so `npm ci` on the documented Node prints no EBADENGINE line.
 */

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const lock = JSON.parse(fs.readFileSync(path.join(root, 'package-lock.json'), 'utf8')) as {
  packages: Record<string, { engines?: { node?: string }; optional?: boolean }>;
};
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { engines: { node: string } };

describe('engines', () => {
  it('the oldest Node package.json allows satisfies every installed package', () => {
    const oldest = semver.minVersion(pkg.engines.node);
    expect(oldest, `package.json engines.node "${pkg.engines.node}"`).not.toBeNull();
    expect(lock.packages['']?.engines?.node, 'package-lock.json is in step with package.json').toBe(pkg.engines.node);
    const refused = Object.entries(lock.packages)
      .filter(
        ([where, p]) => where !== '' && p.engines?.node && !(p.optional && !fs.existsSync(path.join(root, where))),
      )
      .filter(([, p]) => !semver.satisfies(oldest!, p.engines!.node!))
      .map(([where, p]) => `${where.replace(/^node_modules\//, '')} wants ${p.engines!.node}`);
    expect(refused, `on Node ${oldest} npm would warn EBADENGINE for`).toEqual([]);
  });
});

import fs from 'node:fs/promises';
import path from 'node:path';
import { examplePrd, exampleStory, starterWaveConfig } from '../../core/config';
import { type CliCommand } from '../cli-types';
import { waveCommand } from '../hint';

interface Written {
  path: string;
  status: 'written' | 'kept';
}

async function writeIfAbsent(file: string, text: string, force: boolean): Promise<Written['status']> {
  try {
    await fs.writeFile(file, text, { encoding: 'utf8', flag: force ? 'w' : 'wx' });
    return 'written';
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return 'kept';
    throw e;
  }
}

export const initCommand: CliCommand = {
  name: 'init',
  summary: 'Write a starting wave.config.json, an example story and an example PRD',
  usage: 'wave init [dir] [--force] [--json]',
  help: [
    'Writes <dir>/wave.config.json (explained in its "_comments" field: JSON has no comments),',
    '<dir>/stories/example-001.json (a schema 4.3 story) and <dir>/stories/prd-example.md.',
    'Existing files are kept unless --force is given.',
  ].join('\n'),
  options: { force: { type: 'boolean' } },
  async run(ctx, args) {
    const dir = path.resolve(ctx.cwd, args.positionals[0] ?? '.');
    const force = args.values.force === true;
    await fs.mkdir(path.join(dir, 'stories'), { recursive: true });
    const plan: Array<[string, string]> = [
      ['wave.config.json', `${JSON.stringify(starterWaveConfig(), null, 2)}\n`],
      [path.join('stories', 'example-001.json'), `${JSON.stringify(exampleStory(), null, 2)}\n`],
      [path.join('stories', 'prd-example.md'), examplePrd()],
    ];
    const files: Written[] = [];
    for (const [rel, text] of plan) {
      const abs = path.join(dir, rel);
      files.push({ path: abs, status: await writeIfAbsent(abs, text, force) });
    }
    // The project is named explicitly: without --project, import picks the repository around the
    // current directory, which is not <dir> when init was given one.
    const rel = (p: string) => path.relative(ctx.cwd, p) || '.';
    const stories = rel(path.join(dir, 'stories'));
    const next = [
      waveCommand('validate', stories),
      waveCommand('import', stories, '--project', rel(dir)),
      waveCommand('prd', 'show', 'PRD-EXAMPLE'),
    ];
    ctx.output({ dir, files, next }, () =>
      [
        ...files.map(
          (f) =>
            `${f.status === 'written' ? 'wrote' : 'kept (exists; --force overwrites)'} ${path.relative(ctx.cwd, f.path) || f.path}`,
        ),
        '',
        `Next: edit ${rel(path.join(dir, 'wave.config.json'))}, then run`,
        ...next.map((c) => `  ${c}`),
      ].join('\n'),
    );
    return 0;
  },
};

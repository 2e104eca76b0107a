import { describe, expect, it } from 'vitest';
import { assertAgentName, assertStoryId, storyBranchName } from './names';
import { safeRelativePath } from './paths';
import { safeRefName } from './worktree-manager';

describe('story ids and agent names', () => {
  it('accepts ids that are safe as a ref component and a folder name', () => {
    expect(storyBranchName('claude-code', 'AUTH-001')).toBe('wave/claude-code/AUTH-001');
    expect(assertStoryId('v4.3_story-1')).toBe('v4.3_story-1');
  });

  it('refuses anything git or the file system could misread', () => {
    for (const bad of [
      '',
      '.hidden',
      '-flag',
      'a/b',
      'a..b',
      'a b',
      'x.lock',
      'trail.',
      'a~1',
      'a^',
      'a:b',
      'ü',
      'a\nb',
      'x'.repeat(101),
    ]) {
      expect(() => assertStoryId(bad), bad).toThrow(/cannot be used/);
    }
    expect(() => assertAgentName('bad agent')).toThrow(/agent name/);
  });

  it('checks branch names and relative paths without running git', () => {
    expect(safeRefName('main')).toBe('main');
    expect(safeRefName('release/2.0')).toBe('release/2.0');
    for (const bad of ['-x', 'a..b', 'a b', 'a/.b', 'a.lock', 'a@{1}', 'a//b', '/a', 'a/'])
      expect(safeRefName(bad), bad).toBeNull();
    expect(safeRelativePath('src/a.ts')).toBe('src/a.ts');
    for (const bad of ['../x', 'a/../../x', '/etc/passwd', 'C:\\x', '', '.', 'a\0b'])
      expect(safeRelativePath(bad), bad).toBeNull();
  });
});

import { z } from 'zod';

/*
 * Claude Code's settings file as its documentation describes it ("Settings" and
 * "Permissions"), written down independently of WAVE's generator so that tests can hold the
 * generated `.claude/settings.local.json` against it:
 *
 *   { "permissions": { "allow": [rule…], "ask": [rule…], "deny": [rule…],
 *                      "defaultMode": "…", "additionalDirectories": ["…"] } }
 *
 * A rule is `Tool` or `Tool(specifier)`. Read and Edit rules take a gitignore-style path
 * pattern: `//path` (absolute), `~/path` (home), `/path` (the project root), `path` or
 * `./path` (the current directory). Edit rules cover every built-in tool that edits files;
 * file paths in a `Write(…)` rule are not what the permission check matches, so a generator
 * must write path rules as Edit.
 */

const TOOL = /^(?:[A-Z][A-Za-z]*|mcp__[A-Za-z0-9_-]+(?:__[A-Za-z0-9_*-]+)?)$/;

/** A rule as the documentation writes them: `Tool` or `Tool(specifier)`, specifier non-empty, no control characters. */
export const PermissionRule = z.string().superRefine((rule, ctx) => {
  const m = /^([^()]+)(?:\((.+)\))?$/s.exec(rule);
  if (!m || !TOOL.test(m[1]!)) {
    ctx.addIssue({ code: 'custom', message: `not a rule "Tool" or "Tool(specifier)": ${rule}` });
    return;
  }
  const spec = m[2];
  // eslint-disable-next-line no-control-regex -- refusing control characters is the point
  if (spec !== undefined && /[\u0000-\u001f\u007f]/.test(spec))
    ctx.addIssue({ code: 'custom', message: `control character in ${rule}` });
  if ((m[1] === 'Edit' || m[1] === 'Read') && spec !== undefined && !/^(\/\/|~\/|\/|\.\/)?[^\s].*$/s.test(spec))
    ctx.addIssue({ code: 'custom', message: `not a path pattern: ${rule}` });
});

/** An Edit rule anchored at the project root: what WAVE writes for a story's domain. */
export const ProjectEditRule = z
  .string()
  .regex(/^Edit\(\/(?!\/)[^()]+\)$/, 'an Edit rule with a /path pattern (relative to the project root)');

export const ClaudeSettings = z
  .object({
    permissions: z
      .object({
        allow: z.array(PermissionRule).optional(),
        ask: z.array(PermissionRule).optional(),
        deny: z.array(PermissionRule).optional(),
        defaultMode: z.enum(['default', 'acceptEdits', 'plan', 'dontAsk', 'bypassPermissions']).optional(),
        additionalDirectories: z.array(z.string()).optional(),
      })
      .strict(),
  })
  .passthrough();
export type ClaudeSettings = z.infer<typeof ClaudeSettings>;

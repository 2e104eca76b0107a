import { refractor } from 'refractor/core';
import bash from 'refractor/bash';
import css from 'refractor/css';
import go from 'refractor/go';
import javascript from 'refractor/javascript';
import json from 'refractor/json';
import jsx from 'refractor/jsx';
import markdown from 'refractor/markdown';
import python from 'refractor/python';
import tsx from 'refractor/tsx';
import typescript from 'refractor/typescript';
import yaml from 'refractor/yaml';

for (const lang of [bash, css, go, javascript, json, jsx, markdown, python, tsx, typescript, yaml]) refractor.register(lang);

const BY_EXTENSION: Record<string, string> = {
  ts: 'typescript',
  mts: 'typescript',
  cts: 'typescript',
  tsx: 'tsx',
  js: 'javascript',
  mjs: 'javascript',
  cjs: 'javascript',
  jsx: 'jsx',
  json: 'json',
  css: 'css',
  md: 'markdown',
  py: 'python',
  go: 'go',
  sh: 'bash',
  bash: 'bash',
  yml: 'yaml',
  yaml: 'yaml',
};

/** The highlighter's language for a path, or null (shown unhighlighted). */
export function languageOf(path: string): string | null {
  const ext = path.slice(path.lastIndexOf('.') + 1).toLowerCase();
  return BY_EXTENSION[ext] ?? null;
}

/**
 * refractor (Prism grammars, maintained) in the shape react-diff-view's tokenizer calls:
 * it expects `highlight()` to return the token nodes, which refractor 4+ wraps in a root.
 * The nodes are rendered by React as text in spans: nothing is parsed as HTML.
 */
export const highlighter = {
  highlight: (text: string, language: string) => refractor.highlight(text, language).children,
};

import { refractor } from 'refractor/core';
import { sourceLanguageOf } from '../../../shared/source-language';
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

for (const lang of [bash, css, go, javascript, json, jsx, markdown, python, tsx, typescript, yaml])
  refractor.register(lang);

/** The highlighter's language for a path, or null (shown unhighlighted). */
export function languageOf(path: string): string | null {
  return sourceLanguageOf(path);
}

/**
 * refractor (Prism grammars, maintained) in the shape react-diff-view's tokenizer calls:
 * it expects `highlight()` to return the token nodes, which refractor 4+ wraps in a root.
 * The nodes are rendered by React as text in spans: nothing is parsed as HTML.
 */
export const highlighter = {
  highlight: (text: string, language: string) => refractor.highlight(text, language).children,
};

#!/usr/bin/env node
// `wave` entry point: runs the TypeScript CLI through tsx so a fresh clone needs no build
// step for the command line (the desktop app is bundled by electron-vite instead).
import { register } from 'tsx/esm/api';

register();
await import('../src/main/cli/main.ts');

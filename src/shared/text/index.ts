export { inertText, isInert } from './inert';

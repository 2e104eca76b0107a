export { inertText } from './inert';

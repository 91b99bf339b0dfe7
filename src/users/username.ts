// The normalisation lives in common so that audit (which must not depend on users) shares it.
export { normalizeUsername, codePointLength } from '../common';

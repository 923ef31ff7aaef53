/** A problem the user can fix (bad flag or file): reported as one line on stderr, exit code 2. */
export class UsageError extends Error {}

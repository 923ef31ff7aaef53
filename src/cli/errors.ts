/** A problem the user can fix (bad flag or file): reported as one line on stderr, exit code 2. */
export class UsageError extends Error {}

/**
 * Walks command-line arguments flag by flag: `handle(flag, value)` for each, where `value()` takes
 * the next argument as the flag's value (a UsageError naming the flag when it is missing or is
 * itself a flag). One reader for every subcommand, so they all refuse a missing value alike.
 */
export function eachFlag(argv: string[], handle: (flag: string, value: () => string) => void): void {
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    handle(flag, () => {
      const v = argv[++i];
      if (v === undefined || v.startsWith('--')) throw new UsageError(`${flag}: missing value`);
      return v;
    });
  }
}

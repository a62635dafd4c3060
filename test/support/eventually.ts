/** Polls `probe` until it gives something (not undefined, not false), or fails after `ms` naming `what`. */
export const eventually = async <T>(probe: () => Promise<T | undefined> | T | undefined, ms = 30_000, what = 'a condition'): Promise<T> => {
  for (const deadline = Date.now() + ms; ; await new Promise((r) => setTimeout(r, 100))) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
  }
};

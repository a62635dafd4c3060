/**
 * Work run every so often — a sweep — never two runs at once: a run still going when the next is
 * due makes that one skip. A run that fails is reported and the next one tries again; `stop` waits
 * for the run under way, so a shutdown does not cut one off half-way.
 */
export class Periodic {
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;

  constructor(
    private readonly run: () => Promise<unknown>,
    private readonly failed: (error: Error) => void,
  ) {}

  start(everyMs: number) {
    this.timer = setInterval(() => {
      this.running ??= this.run()
        .then(() => undefined, this.failed)
        .finally(() => (this.running = undefined));
    }, everyMs);
  }

  async stop() {
    clearInterval(this.timer);
    await this.running;
  }
}

// A pause that can be cut short: the heartbeat loop and the event follower wait between attempts, and a stop
// or a reason to retry at once (the registry is back, the loop is stopping) ends the wait.

export class WakeableSleep {
  private wakeCurrent: (() => void) | null = null;

  /** Resolves after `ms`, or at once when woken. A referenced timer: it may be all that keeps a CLI waiting. */
  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        if (this.wakeCurrent === done) this.wakeCurrent = null;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wakeCurrent = done;
    });
  }

  /** Ends the current sleep, if any. */
  wake(): void {
    this.wakeCurrent?.();
  }
}

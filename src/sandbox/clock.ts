/**
 * The sandbox's clock. Tests move it forward (`advance`) to expire trigger
 * ids, response URLs and rate-limit windows without waiting.
 */
export class SandboxClock {
  private offsetMs = 0;
  private lastTsMicros = 0n;

  /** Milliseconds since the epoch, as the sandbox sees them. */
  now(): number {
    return Date.now() + this.offsetMs;
  }

  advance(ms: number): void {
    this.offsetMs += ms;
  }

  /** A message timestamp in Slack's shape (`1700000000.000100`), strictly increasing. */
  nextTs(): string {
    let micros = BigInt(this.now()) * 1000n;
    if (micros <= this.lastTsMicros) micros = this.lastTsMicros + 1n;
    this.lastTsMicros = micros;
    const s = micros.toString().padStart(7, '0');
    return `${s.slice(0, -6)}.${s.slice(-6)}`;
  }
}

/**
 * Splits a stream at a marker: text before it is passed on as it arrives, text after it is kept.
 * The guest run uses it to receive result.json on the same ssh channel as the guest's output,
 * after a random marker the guest never sees — saving a round trip per job.
 */
export class TrailerSplitter {
  private pending = "";
  private trailer: string | null = null;

  constructor(
    private readonly marker: string,
    private readonly onText: (text: string) => void,
  ) {}

  push(text: string): void {
    if (this.trailer !== null) {
      this.trailer += text;
      return;
    }
    const combined = this.pending + text;
    const at = combined.indexOf(this.marker);
    if (at >= 0) {
      if (at > 0) this.onText(combined.slice(0, at));
      this.trailer = combined.slice(at + this.marker.length);
      this.pending = "";
      return;
    }
    // Hold back just enough to recognise a marker split across chunks.
    const keep = Math.min(combined.length, this.marker.length - 1);
    const emit = combined.slice(0, combined.length - keep);
    this.pending = combined.slice(combined.length - keep);
    if (emit !== "") this.onText(emit);
  }

  /** Flush held-back text; returns the trailer, or null when the marker never came. */
  end(): string | null {
    if (this.trailer === null && this.pending !== "") this.onText(this.pending);
    this.pending = "";
    return this.trailer;
  }
}

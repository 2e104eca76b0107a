/**
 * Splits a text stream into lines (LF or CRLF). A line longer than `maxChars` is cut
 * and emitted in pieces, so an agent printing megabytes without a newline cannot make
 * the app hold it all in memory.
 */
export class LineSplitter {
  private buffer = '';

  constructor(
    private readonly emit: (line: string) => void,
    private readonly maxChars = 1024 * 1024,
  ) {}

  push(chunk: string): void {
    this.buffer += chunk;
    let start = 0;
    for (;;) {
      const nl = this.buffer.indexOf('\n', start);
      if (nl < 0) break;
      const end = nl > start && this.buffer.charCodeAt(nl - 1) === 13 ? nl - 1 : nl;
      this.emit(this.buffer.slice(start, end));
      start = nl + 1;
    }
    this.buffer = this.buffer.slice(start);
    while (this.buffer.length > this.maxChars) {
      this.emit(this.buffer.slice(0, this.maxChars));
      this.buffer = this.buffer.slice(this.maxChars);
    }
  }

  /** Emits what is left after the stream ended without a final newline. */
  end(): void {
    if (this.buffer.length > 0) this.emit(this.buffer.endsWith('\r') ? this.buffer.slice(0, -1) : this.buffer);
    this.buffer = '';
  }
}

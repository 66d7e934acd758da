/** What a command may touch: its streams and environment, passed in so tests drive commands without a process. */

/** Anything text can be written to: `process.stdout`, or a test's collector. */
export interface TextSink {
  write(chunk: string): unknown;
}

/** Where `-` arguments are read from: `process.stdin`, or a test's `Readable.from([...])`. */
export type TextSource = AsyncIterable<string | Uint8Array> & { readonly isTTY?: boolean };

export type Environment = Readonly<Record<string, string | undefined>>;

export interface CliIo {
  readonly stdout: TextSink;
  readonly stderr: TextSink;
  readonly stdin: TextSource;
  readonly env: Environment;
  /** Milliseconds since the epoch; `Date.now` unless a test fixes the time. */
  readonly clock?: () => number;
}

/** A command: its arguments (after the command name) and the streams in, the exit code out. */
export type Command = (argv: readonly string[], io: CliIo) => Promise<number>;

/** An entry of the command table: what `tokenvend --help` lists, and what runs. */
export interface CommandEntry {
  readonly summary: string;
  readonly run: Command;
}

export type CommandTable = Readonly<Record<string, CommandEntry>>;

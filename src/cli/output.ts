/**
 * How the CLI talks to people and scripts: aligned tables by default, JSON with `--json`,
 * messages on stderr, and the exit codes (0 ok, 1 operation failed, 2 usage error).
 */

/** A command line that cannot be run as written; exits with 2. */
export class UsageError extends Error {
  readonly exitCode = 2;
}

/** An operation that was tried and failed (refused, not found, unreachable); exits with 1. */
export class CommandError extends Error {
  readonly exitCode = 1;
}

/** A column: its heading and how to get its text from a row. */
export interface Column<T> {
  heading: string;
  value: (row: T) => string | number | boolean | null;
  /** Right-aligned (numbers). */
  right?: boolean;
}

/**
 * Renders rows as a plain-text table: headings in capitals, columns two spaces apart, no
 * borders, so that `grep` and `awk` work on it too. An empty list says so instead.
 *
 * @example table([{ id: 1 }], [{ heading: "id", value: (r) => r.id }]) // "ID\n 1"
 */
export function table<T>(rows: T[], columns: Column<T>[], empty = "(none)"): string {
  if (rows.length === 0) return empty;
  const cells = rows.map((row) => columns.map((c) => text(c.value(row))));
  const widths = columns.map((c, i) =>
    Math.max(c.heading.length, ...cells.map((line) => line[i].length))
  );
  const line = (values: string[]) =>
    values.map((v, i) => columns[i].right ? v.padStart(widths[i]) : v.padEnd(widths[i]))
      .join("  ").trimEnd();
  return [line(columns.map((c) => c.heading.toUpperCase())), ...cells.map(line)].join("\n");
}

/** Label/value lines for one record, labels aligned. */
export function fields(pairs: [string, string | number | boolean | null][]): string {
  const width = Math.max(...pairs.map(([label]) => label.length)) + 1;
  return pairs.map(([label, value]) => `  ${(label + ":").padEnd(width)}  ${text(value)}`)
    .join("\n");
}

function text(v: string | number | boolean | null): string {
  if (v === null) return "-";
  if (typeof v === "boolean") return v ? "yes" : "no";
  return String(v);
}

/** Where a command's results go: stdout for results, stderr for notes. */
export interface Output {
  /** Whether `--json` was given. */
  readonly json: boolean;
  /** The result: `human` text, or `data` as JSON with --json. */
  result(data: unknown, human: string): void;
  /** A note for people (stderr, so it never mixes into JSON or tables read by scripts). */
  note(message: string): void;
}

export function consoleOutput(json: boolean): Output {
  return {
    json,
    result(data, human) {
      console.log(json ? JSON.stringify(data, null, 2) : human);
    },
    note(message) {
      console.error(message);
    },
  };
}

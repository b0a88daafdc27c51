import type { LogLevel } from "./config.ts";

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 99 };

/**
 * Structured logging: one JSON object per line on stdout, so journald and log shippers can
 * parse it. Secrets never go through here: callers pass ids and access keys, never secret keys.
 */
export class Logger {
  #min: number;

  constructor(level: LogLevel) {
    this.#min = RANK[level];
  }

  enabled(level: Exclude<LogLevel, "silent">): boolean {
    return RANK[level] >= this.#min;
  }

  debug(msg: string, fields: Record<string, unknown> = {}): void {
    this.#write("debug", msg, fields);
  }
  info(msg: string, fields: Record<string, unknown> = {}): void {
    this.#write("info", msg, fields);
  }
  warn(msg: string, fields: Record<string, unknown> = {}): void {
    this.#write("warn", msg, fields);
  }
  error(msg: string, fields: Record<string, unknown> = {}): void {
    this.#write("error", msg, fields);
  }

  #write(level: Exclude<LogLevel, "silent">, msg: string, fields: Record<string, unknown>): void {
    if (RANK[level] < this.#min) return;
    const line = JSON.stringify({ time: new Date().toISOString(), level, msg, ...fields });
    console.log(line);
  }
}

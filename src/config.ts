import { parseArgs } from "node:util";

/** Everything `vstash serve` can be told, after flags and environment are merged. */
export interface Config {
  dataDir: string;
  s3Addr: { hostname: string; port: number };
  adminAddr: { hostname: string; port: number };
  region: string;
  /** Base domain for virtual-hosted-style requests (`bucket.<domain>`); null turns them off. */
  domain: string | null;
  /** Public base URL of the S3 listener, used in presigned URLs made by the management API. */
  publicUrl: string | null;
  logLevel: LogLevel;
  /** Incomplete multipart uploads older than this are aborted by the sweeper. */
  uploadExpirySeconds: number;
  /** An upload that sends no bytes for this long is answered RequestTimeout. */
  bodyTimeoutSeconds: number;
  /** Smallest multipart part but the last; S3's 5 MiB unless lowered (for tests). */
  minPartSizeBytes: number;
}

export type LogLevel = "debug" | "info" | "warn" | "error" | "silent";
const LOG_LEVELS: readonly LogLevel[] = ["debug", "info", "warn", "error", "silent"];

/** One row per setting: the flag of `vstash serve`, its environment variable, its default. */
export const SETTINGS = [
  {
    flag: "data-dir",
    env: "VSTASH_DATA_DIR",
    default: "./data",
    help: "where metadata and blobs live",
  },
  {
    flag: "s3-addr",
    env: "VSTASH_S3_ADDR",
    default: "0.0.0.0:9000",
    help: "S3 API listen address",
  },
  {
    flag: "admin-addr",
    env: "VSTASH_ADMIN_ADDR",
    default: "0.0.0.0:9001",
    help: "management API and console listen address",
  },
  {
    flag: "region",
    env: "VSTASH_REGION",
    default: "us-east-1",
    help: "region reported to clients",
  },
  {
    flag: "domain",
    env: "VSTASH_DOMAIN",
    default: "",
    help: "base domain for virtual-hosted-style buckets (off when empty)",
  },
  {
    flag: "public-url",
    env: "VSTASH_PUBLIC_URL",
    default: "",
    help: "external URL of the S3 listener, for presigned URLs behind a proxy",
  },
  {
    flag: "log-level",
    env: "VSTASH_LOG_LEVEL",
    default: "info",
    help: "debug, info, warn, error or silent",
  },
  {
    flag: "upload-expiry",
    env: "VSTASH_UPLOAD_EXPIRY",
    default: "7d",
    help: "age after which incomplete multipart uploads are aborted (e.g. 36h, 7d)",
  },
  {
    flag: "body-timeout",
    env: "VSTASH_BODY_TIMEOUT",
    default: "60s",
    help: "an upload that sends nothing for this long is cut off (RequestTimeout)",
  },
  {
    flag: "min-part-size",
    env: "VSTASH_MIN_PART_SIZE",
    default: "5MiB",
    help: "smallest multipart part but the last; keep S3's 5MiB except in tests",
  },
] as const;

export type SettingFlag = (typeof SETTINGS)[number]["flag"];

/** Thrown for a setting that cannot be used; main prints the message and exits with 2. */
export class ConfigError extends Error {}

/**
 * Builds the Config from command-line arguments (after the subcommand) and the environment.
 * A flag wins over its environment variable; both win over the default.
 *
 * @example loadConfig(["--data-dir", "/srv/vstash"], (name) => Deno.env.get(name))
 */
export function loadConfig(args: string[], env: (name: string) => string | undefined): Config {
  const options = Object.fromEntries(
    SETTINGS.map((s) => [s.flag, { type: "string" as const }]),
  );
  let parsed;
  try {
    parsed = parseArgs({ args, options, strict: true, allowPositionals: false });
  } catch (err) {
    throw new ConfigError((err as Error).message);
  }
  const values = parsed.values as Partial<Record<SettingFlag, string>>;
  const get = (flag: SettingFlag): string => {
    const setting = SETTINGS.find((s) => s.flag === flag)!;
    return values[flag] ?? env(setting.env) ?? setting.default;
  };

  const logLevel = get("log-level") as LogLevel;
  if (!LOG_LEVELS.includes(logLevel)) {
    throw new ConfigError(`--log-level must be one of ${LOG_LEVELS.join(", ")}`);
  }
  const region = get("region");
  if (!/^[a-z0-9-]{1,32}$/.test(region)) {
    throw new ConfigError(`--region "${region}" is not a region name (like us-east-1)`);
  }
  const publicUrl = get("public-url");
  if (publicUrl && !URL.canParse(publicUrl)) {
    throw new ConfigError(`--public-url "${publicUrl}" is not a URL`);
  }
  return {
    dataDir: get("data-dir"),
    s3Addr: parseAddr("s3-addr", get("s3-addr")),
    adminAddr: parseAddr("admin-addr", get("admin-addr")),
    region,
    domain: get("domain").toLowerCase().replace(/^\./, "") || null,
    publicUrl: publicUrl ? publicUrl.replace(/\/+$/, "") : null,
    logLevel,
    uploadExpirySeconds: parseDuration("upload-expiry", get("upload-expiry")),
    bodyTimeoutSeconds: parseDuration("body-timeout", get("body-timeout")),
    minPartSizeBytes: parseSize("min-part-size", get("min-part-size")),
  };
}

/** Parses `host:port`, `[v6]:port` or `:port`; port 0 asks the OS for a free one. */
export function parseAddr(flag: string, value: string): { hostname: string; port: number } {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:\[\]]*)):(\d{1,5})$/.exec(value);
  const port = m ? Number(m[3]) : NaN;
  if (!m || port > 65535) {
    throw new ConfigError(
      `--${flag} "${value}" must look like 0.0.0.0:9000 (port 0 picks a free one)`,
    );
  }
  return { hostname: m[1] ?? (m[2] || "0.0.0.0"), port };
}

/** Parses `90s`, `45m`, `36h`, `7d` or plain seconds. */
export function parseDuration(flag: string, value: string): number {
  const m = /^(\d+)([smhd]?)$/.exec(value.trim());
  if (!m || Number(m[1]) === 0) {
    throw new ConfigError(`--${flag} "${value}" must be a duration like 36h or 7d`);
  }
  const unit = { "": 1, s: 1, m: 60, h: 3600, d: 86400 }[m[2] as "" | "s" | "m" | "h" | "d"];
  return Number(m[1]) * unit;
}

/** Parses a byte size: `1048576`, `512KiB`, `5MiB`, `1GiB` (K, M, G mean the same). */
export function parseSize(flag: string, value: string): number {
  const m = /^(\d+)\s*(b|k|kib|m|mib|g|gib)?$/i.exec(value.trim());
  if (!m) throw new ConfigError(`--${flag} "${value}" must be a size like 5MiB`);
  const unit = (m[2] ?? "b").toLowerCase()[0] as "b" | "k" | "m" | "g";
  return Number(m[1]) * { b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[unit];
}

/**
 * Runs real S3 command-line clients (awscli, s3cmd, rclone, boto3 through python3) against a
 * test server, with their configuration in temp files and environment variables, so that
 * nothing from the user's own setup (~/.aws, ~/.s3cfg, rclone.conf) leaks in.
 *
 * The binaries are not optional: CI installs them, so a missing one fails the test loudly.
 */
import { join } from "node:path";
import { RUNTIME_PERMISSIONS } from "../../scripts/permissions.ts";
import { SETTINGS } from "../../src/config.ts";
import type { TestServer } from "./server.ts";

const MAIN = new URL("../../main.ts", import.meta.url).pathname;

/** Debian's awscli v2; the `aws` on PATH may be an older v1 from a preinstalled Python. */
export const AWS = "/usr/bin/aws";
/** Debian's Python, which has boto3 (1.26) and botocore (1.29) installed. */
export const PYTHON = "/usr/bin/python3";
export const S3CMD = "s3cmd";
export const RCLONE = "rclone";
export const CURL = "curl";

export interface RunOptions {
  /** Added to (or overriding) the inherited environment. */
  env?: Record<string, string>;
  /** Removed from the inherited environment (`env -u NAME`). */
  unsetEnv?: string[];
  cwd?: string;
  /** Return a failing exit code instead of throwing. */
  allowFailure?: boolean;
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs `vstash <args>` (deno run main.ts, with the release permissions) and returns its exit
 * code and output. It finds everything through its flags, whatever the caller's environment.
 */
export function vstash(...args: string[]): Promise<RunResult> {
  return run(Deno.execPath(), ["run", ...RUNTIME_PERMISSIONS, MAIN, ...args], {
    allowFailure: true,
    unsetEnv: SETTINGS.map((s) => s.env),
  });
}

/**
 * Runs a command to completion and returns its output. A non-zero exit throws with the
 * command line and everything it printed, unless `allowFailure`.
 */
export async function run(cmd: string, args: string[], opts: RunOptions = {}): Promise<RunResult> {
  const env = { ...Deno.env.toObject(), ...opts.env };
  for (const name of opts.unsetEnv ?? []) delete env[name];
  let output: Deno.CommandOutput;
  try {
    output = await new Deno.Command(cmd, {
      args,
      env,
      clearEnv: true,
      cwd: opts.cwd,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) {
      throw new Error(`${cmd} is not installed; the CLI tests need it (CI installs it)`);
    }
    throw err;
  }
  const result = {
    code: output.code,
    stdout: new TextDecoder().decode(output.stdout),
    stderr: new TextDecoder().decode(output.stderr),
  };
  if (result.code !== 0 && !opts.allowFailure) {
    throw new Error(
      `${cmd} ${
        args.join(" ")
      } exited with ${result.code}\n--- stdout\n${result.stdout}\n--- stderr\n${result.stderr}`,
    );
  }
  return result;
}

/** A temp directory for one test, removed afterwards whatever happens. */
export async function withTempDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await Deno.makeTempDir({ prefix: "vstash-cli-" });
  try {
    return await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}

/**
 * Environment for /usr/bin/aws: keys and region from variables, and a config file in `dir`
 * with path-style addressing and the given multipart threshold and chunk size.
 */
export async function awsCliEnv(
  server: TestServer,
  dir: string,
  multipart = { threshold: "8MB", chunksize: "8MB" },
): Promise<Record<string, string>> {
  const config = join(dir, "aws-config");
  await Deno.writeTextFile(
    config,
    [
      "[default]",
      "region = us-east-1",
      "s3 =",
      `  multipart_threshold = ${multipart.threshold}`,
      `  multipart_chunksize = ${multipart.chunksize}`,
      "  addressing_style = path",
      "",
    ].join("\n"),
  );
  return {
    AWS_ACCESS_KEY_ID: server.accessKey,
    AWS_SECRET_ACCESS_KEY: server.secretKey,
    AWS_DEFAULT_REGION: "us-east-1",
    AWS_CONFIG_FILE: config,
    AWS_SHARED_CREDENTIALS_FILE: join(dir, "no-credentials-file"),
    AWS_EC2_METADATA_DISABLED: "true",
    AWS_PAGER: "",
  };
}

/** Runs /usr/bin/aws with `--endpoint-url` pointing at the server. */
export function aws(
  server: TestServer,
  env: Record<string, string>,
  args: string[],
  opts: Omit<RunOptions, "env"> = {},
): Promise<RunResult> {
  return run(AWS, [...args, "--endpoint-url", server.s3Url], {
    ...opts,
    env,
    unsetEnv: ["AWS_PROFILE", "AWS_SESSION_TOKEN", ...(opts.unsetEnv ?? [])],
  });
}

/** An s3cmd config file in `dir` for the server (plain HTTP, SigV4, path-style). */
export async function s3cmdConfig(server: TestServer, dir: string): Promise<string> {
  const host = new URL(server.s3Url).host;
  const path = join(dir, "s3cfg");
  await Deno.writeTextFile(
    path,
    [
      "[default]",
      `access_key = ${server.accessKey}`,
      `secret_key = ${server.secretKey}`,
      `host_base = ${host}`,
      `host_bucket = ${host}`,
      "bucket_location = us-east-1",
      "use_https = False",
      "signature_v2 = False",
      "",
    ].join("\n"),
  );
  return path;
}

/** Runs s3cmd with the config file from `s3cmdConfig`. */
export function s3cmd(config: string, args: string[], opts: RunOptions = {}): Promise<RunResult> {
  return run(S3CMD, ["-c", config, ...args], opts);
}

/**
 * Runs rclone with the remote `vs:` defined in environment variables. AWS_CA_BUNDLE is
 * removed: with it set, rclone fails against a plain-HTTP endpoint (LoadCustomCABundleError).
 */
export function rclone(
  server: TestServer,
  dir: string,
  args: string[],
  opts: RunOptions = {},
): Promise<RunResult> {
  return run(RCLONE, args, {
    ...opts,
    env: {
      RCLONE_CONFIG: join(dir, "rclone.conf"),
      RCLONE_CONFIG_VS_TYPE: "s3",
      RCLONE_CONFIG_VS_PROVIDER: "Other",
      RCLONE_CONFIG_VS_ENDPOINT: server.s3Url,
      RCLONE_CONFIG_VS_ACCESS_KEY_ID: server.accessKey,
      RCLONE_CONFIG_VS_SECRET_ACCESS_KEY: server.secretKey,
      RCLONE_CONFIG_VS_REGION: "us-east-1",
      RCLONE_CONFIG_VS_FORCE_PATH_STYLE: "true",
      ...opts.env,
    },
    unsetEnv: ["AWS_CA_BUNDLE", ...(opts.unsetEnv ?? [])],
  });
}

/** Runs a Python script with Debian's python3 (and its boto3); `args` go to sys.argv[1:]. */
export function python(script: string, args: string[], opts: RunOptions = {}): Promise<RunResult> {
  return run(PYTHON, ["-c", script, ...args], opts);
}

/**
 * Prometheus metrics in the text exposition format (version 0.0.4), without a dependency:
 * counters and histograms that the S3 listener moves as requests finish, and gauges that are
 * read from storage when `/metrics` is scraped (so they cost nothing between scrapes).
 */
import { BoundedMap } from "./memo.ts";
import type { Store } from "./storage/store.ts";

type Labels = Record<string, string>;

/** Request latency buckets in seconds: S3 requests range from sub-millisecond to minutes. */
export const LATENCY_BUCKETS = [
  0.001,
  0.0025,
  0.005,
  0.01,
  0.025,
  0.05,
  0.1,
  0.25,
  0.5,
  1,
  2.5,
  5,
  10,
  30,
  60,
] as const;

/** Label sets seen so far, by their names and values (length-prefixed, so never ambiguous). */
const labelTexts = new BoundedMap<string, string>(10_000);

/** Texts of the label objects `sharedLabels` made, found by the object itself. */
const sharedTexts = new WeakMap<Labels, string>();

/**
 * `labels` as an object to pass again and again, whose text is then found without building
 * a key from its names and values (the request counters run on every request).
 */
function sharedLabels(labels: Labels): Labels {
  sharedTexts.set(labels, labelText(labels));
  return labels;
}

const NO_LABELS = sharedLabels({});

/**
 * A label set as it appears between braces, with values escaped as the format requires.
 * Remembered: it runs several times on every request.
 */
function labelText(labels: Labels): string {
  const shared = sharedTexts.get(labels);
  if (shared !== undefined) return shared;
  let key = "";
  for (const name in labels) {
    const value = labels[name];
    key += `${name.length}:${name}${value.length}:${value}`;
  }
  let text = labelTexts.get(key);
  if (text === undefined) {
    text = formatLabels(labels);
    labelTexts.set(key, text);
  }
  return text;
}

function formatLabels(labels: Labels): string {
  const parts = Object.entries(labels).map(([k, v]) =>
    `${k}="${v.replaceAll("\\", "\\\\").replaceAll('"', '\\"').replaceAll("\n", "\\n")}"`
  );
  return parts.length ? `{${parts.join(",")}}` : "";
}

function numberText(n: number): string {
  if (n === Infinity) return "+Inf";
  if (n === -Infinity) return "-Inf";
  return Number.isNaN(n) ? "NaN" : String(n);
}

interface Metric {
  readonly name: string;
  readonly help: string;
  readonly type: "counter" | "gauge" | "histogram";
  samples(): string[];
}

/**
 * A monotonically increasing count per label set. A counter without labels shows 0 before
 * its first increment; a labelled one shows no sample until a label set has been seen.
 */
export class Counter implements Metric {
  readonly type = "counter";
  readonly #values = new Map<string, number>();

  constructor(readonly name: string, readonly help: string, readonly labelled = false) {}

  inc(labels: Labels = {}, by = 1): void {
    const key = labelText(labels);
    this.#values.set(key, (this.#values.get(key) ?? 0) + by);
  }

  /** The current value for a label set. */
  value(labels: Labels = {}): number {
    return this.#values.get(labelText(labels)) ?? 0;
  }

  samples(): string[] {
    if (this.#values.size === 0) return this.labelled ? [] : [`${this.name} 0`];
    return [...this.#values].map(([labels, v]) => `${this.name}${labels} ${numberText(v)}`);
  }
}

/** A value set when the registry is collected (scrape time). */
export class Gauge implements Metric {
  readonly type = "gauge";
  #value = 0;

  constructor(readonly name: string, readonly help: string) {}

  set(value: number): void {
    this.#value = value;
  }

  samples(): string[] {
    return [`${this.name} ${numberText(this.#value)}`];
  }
}

/** Observations counted into fixed cumulative buckets, with their sum and count. */
export class Histogram implements Metric {
  readonly type = "histogram";
  readonly #series = new Map<
    string,
    { labels: Labels; counts: number[]; sum: number; count: number }
  >();

  constructor(
    readonly name: string,
    readonly help: string,
    readonly buckets: readonly number[],
  ) {}

  observe(labels: Labels, value: number): void {
    const key = labelText(labels);
    let s = this.#series.get(key);
    if (!s) {
      s = { labels, counts: this.buckets.map(() => 0), sum: 0, count: 0 };
      this.#series.set(key, s);
    }
    // Buckets are cumulative: an observation counts in every bucket whose bound it is under.
    for (let i = 0; i < this.buckets.length; i++) if (value <= this.buckets[i]) s.counts[i]++;
    s.sum += value;
    s.count++;
  }

  samples(): string[] {
    const out: string[] = [];
    for (const s of this.#series.values()) {
      this.buckets.forEach((le, i) => {
        out.push(`${this.name}_bucket${labelText({ ...s.labels, le: String(le) })} ${s.counts[i]}`);
      });
      out.push(`${this.name}_bucket${labelText({ ...s.labels, le: "+Inf" })} ${s.count}`);
      out.push(`${this.name}_sum${labelText(s.labels)} ${numberText(s.sum)}`);
      out.push(`${this.name}_count${labelText(s.labels)} ${s.count}`);
    }
    return out;
  }
}

/** A set of metrics rendered together, with hooks that refresh gauges before rendering. */
export class Registry {
  readonly #metrics: Metric[] = [];
  readonly #collectors: (() => Promise<void>)[] = [];

  add<M extends Metric>(metric: M): M {
    this.#metrics.push(metric);
    return metric;
  }

  /** Runs before each render, e.g. to read storage totals into gauges. */
  onCollect(fn: () => Promise<void>): void {
    this.#collectors.push(fn);
  }

  async render(): Promise<string> {
    for (const collect of this.#collectors) await collect();
    const lines: string[] = [];
    for (const m of this.#metrics) {
      lines.push(`# HELP ${m.name} ${m.help}`, `# TYPE ${m.name} ${m.type}`, ...m.samples());
    }
    return lines.join("\n") + "\n";
  }
}

/** One finished S3 request, as the S3 handler logs it. */
export interface S3RequestSample {
  /** The S3 operation name (`PutObject`), or null when the request could not be parsed. */
  operation: string | null;
  status: number;
  bytesIn: number;
  bytesOut: number;
  seconds: number;
}

/**
 * The metrics of one vStash server: S3 traffic counted by the S3 listener, storage gauges
 * read from the counters that object writes maintain (no object is scanned).
 */
export class ServerMetrics {
  readonly registry = new Registry();
  readonly requests = this.registry.add(
    new Counter("vstash_s3_requests_total", "S3 requests by operation and status code.", true),
  );
  readonly duration = this.registry.add(
    new Histogram(
      "vstash_s3_request_duration_seconds",
      "Time from receiving an S3 request to handing its response over, by operation.",
      LATENCY_BUCKETS,
    ),
  );
  readonly bytesReceived = this.registry.add(
    new Counter("vstash_s3_bytes_received_total", "Request body bytes received by the S3 API."),
  );
  readonly bytesSent = this.registry.add(
    new Counter("vstash_s3_bytes_sent_total", "Response body bytes sent by the S3 API."),
  );

  constructor(store: Store, startedAt = Date.now()) {
    const g = (name: string, help: string) => this.registry.add(new Gauge(name, help));
    const objects = g("vstash_objects", "Objects stored, in all buckets.");
    const bytes = g("vstash_stored_bytes", "Bytes of object data stored, in all buckets.");
    const buckets = g("vstash_buckets", "Buckets.");
    const credentials = g("vstash_credentials", "S3 credentials (access keys).");
    const uploads = g("vstash_multipart_uploads", "Multipart uploads in progress.");
    const start = g("vstash_start_time_seconds", "When this server started, in Unix seconds.");
    start.set(Math.floor(startedAt / 1000));
    this.registry.onCollect(async () => {
      const [totals, creds, ups] = await Promise.all([
        store.totals(),
        store.credentials.count(),
        store.uploads.count(),
      ]);
      objects.set(totals.objects);
      bytes.set(totals.bytes);
      buckets.set(totals.buckets);
      credentials.set(creds);
      uploads.set(ups);
    });
  }

  /**
   * The label objects of each operation and status seen: a few dozen operations, a few
   * dozen statuses.
   */
  readonly #labels = new Map<
    string,
    { operation: Labels; withStatus: Map<number, Labels> }
  >();

  /** Counts one finished S3 request. */
  observeS3Request(r: S3RequestSample): void {
    const operation = r.operation ?? "unknown";
    let labels = this.#labels.get(operation);
    if (labels === undefined) {
      labels = { operation: sharedLabels({ operation }), withStatus: new Map() };
      this.#labels.set(operation, labels);
    }
    let withStatus = labels.withStatus.get(r.status);
    if (withStatus === undefined) {
      withStatus = sharedLabels({ operation, status: String(r.status) });
      labels.withStatus.set(r.status, withStatus);
    }
    this.requests.inc(withStatus);
    this.duration.observe(labels.operation, r.seconds);
    if (r.bytesIn > 0) this.bytesReceived.inc(NO_LABELS, r.bytesIn);
    if (r.bytesOut > 0) this.bytesSent.inc(NO_LABELS, r.bytesOut);
  }

  render(): Promise<string> {
    return this.registry.render();
  }
}

/**
 * OTLP data as agentmon reads it, whatever the wire encoding (protobuf or JSON): only the parts the
 * translation uses, with times in milliseconds and ids in hex. decode.ts builds these.
 */

/** An attribute value (OTLP AnyValue): scalars, lists and key-value lists. */
export type AttributeValue = string | number | boolean | null | AttributeValue[] | { [key: string]: AttributeValue };

/** Attributes by key. */
export type Attributes = Record<string, AttributeValue>;

/** How a sum or histogram adds up over time (OTLP AggregationTemporality). */
export type Temporality = 'delta' | 'cumulative' | 'unspecified';

/** One data point of a metric, whichever its kind. */
export interface DataPoint {
  attributes: Attributes;
  /** Start of the interval (start_time_unix_nano), ms; null when absent (0 on the wire). */
  startMs: number | null;
  /** End of the interval or the gauge's sample time, ms. */
  timeMs: number;
  /** The value of a gauge or sum point; null for histograms and summaries. */
  value: number | null;
  /** Histogram and summary points: how many measurements and their sum (sum may be absent). */
  count: number | null;
  sum: number | null;
}

/** The kind of a metric's data. */
export type MetricKind = 'gauge' | 'sum' | 'histogram' | 'exponential_histogram' | 'summary';

/** One metric with its points. */
export interface Metric {
  name: string;
  unit: string;
  kind: MetricKind;
  temporality: Temporality;
  monotonic: boolean;
  points: DataPoint[];
}

/** The metrics of one resource (one process). */
export interface ResourceMetrics {
  resource: Attributes;
  metrics: Metric[];
}

/** A span's status code (OTLP Status.StatusCode). */
export type SpanStatusCode = 'unset' | 'ok' | 'error';

/** One span. */
export interface Span {
  traceId: string;
  spanId: string;
  parentSpanId: string;
  name: string;
  kind: number;
  startMs: number;
  endMs: number;
  attributes: Attributes;
  status: { code: SpanStatusCode; message: string };
}

/** The spans of one resource. */
export interface ResourceSpans {
  resource: Attributes;
  spans: Span[];
}

/**
 * Prometheus' text exposition format (version 0.0.4), written family by family: each family's HELP
 * and TYPE once, then its samples, straight into UTF-8 bytes (engine/text-writer.ts): a scrape of
 * 1,000 agents is 18,000 samples, and as one line string each joined into 1.8 MB of text it took a
 * third of the scrape.
 * Names follow Prometheus' conventions (base units, `_total` on counters); `promtool check metrics`
 * checks the result in the tests.
 */

import { TextWriter } from '../engine/text-writer.js';

/** The types agentmon exposes. */
export type MetricType = 'gauge' | 'counter' | 'histogram';

/** Label names and values of one sample. */
export type Labels = Readonly<Record<string, string>>;

/** The content type of the format. */
export const EXPOSITION_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/** A label value as the format quotes it; most (ids, names, statuses) need nothing escaped. */
const NEEDS_ESCAPE = /[\\\n"]/;
const escapeLabel = (value: string) => (NEEDS_ESCAPE.test(value) ? value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"') : value);
const escapeHelp = (text: string) => text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');

/** A sample value as the format writes it (Go's float syntax: NaN, +Inf, -Inf). */
export function sampleValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Number.POSITIVE_INFINITY) return '+Inf';
  if (value === Number.NEGATIVE_INFINITY) return '-Inf';
  return String(value);
}

/** First size of the text's array (it doubles as it fills). */
const FIRST_BYTES = 64 * 1024;

/** Collects families and gives the exposition text. */
export class Exposition {
  private readonly out = new TextWriter(new Uint8Array(FIRST_BYTES));
  private readonly names = new Set<string>();

  /**
   * Starts a family and returns the function that adds its samples. A name given twice is a bug
   * (the format allows one HELP/TYPE block per family), so it throws.
   */
  family(name: string, type: Exclude<MetricType, 'histogram'>, help: string): (value: number, labels?: Labels) => void {
    this.header(name, type, help);
    return (value, labels) => this.sample(name, labels, value);
  }

  /**
   * Starts a histogram family and returns the function that adds one histogram: cumulative counts
   * per upper bound (`le`), then `+Inf`, `_sum` and `_count`.
   */
  histogram(
    name: string,
    help: string,
    bounds: readonly number[],
  ): (cumulativeCounts: readonly number[], sum: number, count: number, labels?: Labels) => void {
    this.header(name, 'histogram', help);
    return (counts, sum, count, labels) => {
      const base = labels ?? {};
      bounds.forEach((le, i) => this.sample(`${name}_bucket`, { ...base, le: sampleValue(le) }, counts[i] ?? 0));
      this.sample(`${name}_bucket`, { ...base, le: '+Inf' }, count);
      this.sample(`${name}_sum`, base, sum);
      this.sample(`${name}_count`, base, count);
    };
  }

  /** One sample line: `name{a="x",b="y"} value`. */
  private sample(name: string, labels: Labels | undefined, value: number): void {
    const w = this.out;
    w.text(name);
    if (labels !== undefined) {
      let first = true;
      for (const label in labels) {
        if (!Object.hasOwn(labels, label)) continue;
        w.text(first ? '{' : ',').text(label).text('="').text(escapeLabel(labels[label] as string)).text('"');
        first = false;
      }
      if (!first) w.text('}');
    }
    w.text(' ');
    // The text writer's number is String's text for a finite number, the format's own for the others.
    if (Number.isFinite(value)) w.number(value);
    else w.text(sampleValue(value));
    w.text('\n');
  }

  private header(name: string, type: MetricType, help: string): void {
    if (this.names.has(name)) throw new Error(`metric family ${name} written twice`);
    this.names.add(name);
    this.out.text(`# HELP ${name} ${escapeHelp(help)}\n# TYPE ${name} ${type}\n`);
  }

  /** The exposition text as UTF-8, each line ending with a newline as the format requires. */
  bytes(): Uint8Array {
    return this.out.bytes();
  }
}

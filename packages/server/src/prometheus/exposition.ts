/**
 * Prometheus' text exposition format (version 0.0.4), written family by family: each family's HELP
 * and TYPE once, then its samples, so a scrape of thousands of agents is one pass over strings.
 * Names follow Prometheus' conventions (base units, `_total` on counters); `promtool check metrics`
 * checks the result in the tests.
 */

/** The types agentmon exposes. */
export type MetricType = 'gauge' | 'counter' | 'histogram';

/** Label names and values of one sample. */
export type Labels = Readonly<Record<string, string>>;

/** The content type of the format. */
export const EXPOSITION_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

const escapeLabel = (value: string) => value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
const escapeHelp = (text: string) => text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');

/** A sample value as the format writes it (Go's float syntax: NaN, +Inf, -Inf). */
export function sampleValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Number.POSITIVE_INFINITY) return '+Inf';
  if (value === Number.NEGATIVE_INFINITY) return '-Inf';
  return String(value);
}

/** `{a="x",b="y"}`, or nothing for no labels. */
export function labelText(labels: Labels | undefined): string {
  if (labels === undefined) return '';
  const parts: string[] = [];
  for (const name in labels) if (Object.hasOwn(labels, name)) parts.push(`${name}="${escapeLabel(labels[name] as string)}"`);
  return parts.length === 0 ? '' : `{${parts.join(',')}}`;
}

/** Collects families and gives the exposition text. */
export class Exposition {
  private readonly lines: string[] = [];
  private readonly names = new Set<string>();

  /**
   * Starts a family and returns the function that adds its samples. A name given twice is a bug
   * (the format allows one HELP/TYPE block per family), so it throws.
   */
  family(name: string, type: Exclude<MetricType, 'histogram'>, help: string): (value: number, labels?: Labels) => void {
    this.header(name, type, help);
    return (value, labels) => {
      this.lines.push(`${name}${labelText(labels)} ${sampleValue(value)}`);
    };
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
      bounds.forEach((le, i) => this.lines.push(`${name}_bucket${labelText({ ...base, le: sampleValue(le) })} ${sampleValue(counts[i] ?? 0)}`));
      this.lines.push(`${name}_bucket${labelText({ ...base, le: '+Inf' })} ${sampleValue(count)}`);
      this.lines.push(`${name}_sum${labelText(base)} ${sampleValue(sum)}`, `${name}_count${labelText(base)} ${sampleValue(count)}`);
    };
  }

  private header(name: string, type: MetricType, help: string): void {
    if (this.names.has(name)) throw new Error(`metric family ${name} written twice`);
    this.names.add(name);
    this.lines.push(`# HELP ${name} ${escapeHelp(help)}`, `# TYPE ${name} ${type}`);
  }

  /** The exposition text, ending with a newline as the format requires. */
  text(): string {
    return this.lines.length === 0 ? '' : `${this.lines.join('\n')}\n`;
  }
}

/**
 * Grouping, apart from delivery: the alerts of one burst gathered into one message. Pure and
 * clocked by its caller: `add` puts transitions in the open group and says when it filled up;
 * the caller closes it (at once when full, else when its wait ends) and delivers what `close`
 * gave. An alert appears once per message, with the kind `mergeKind` leaves it.
 */
import { randomUUID } from 'node:crypto';
import type { NotificationKind, NotifiedAlert } from './webhook.js';

/** Largest group: a bigger burst is split, so one message stays a size receivers accept. */
export const MAX_GROUP_ALERTS = 500;

/**
 * The kind an alert keeps when it changes again within one group: receivers that never saw it fire
 * still get `fired`; a resolution is always reported as such.
 */
export function mergeKind(previous: NotificationKind, next: NotificationKind): NotificationKind {
  if (next === 'resolved') return 'resolved';
  if (previous === 'fired' || (previous === 'escalated' && next === 'repeat')) return previous;
  return next;
}

/** A group of alerts on its way to one message. */
export interface Group {
  /** Stable for the group's message (Slack threads, Alertmanager group keys). */
  key: string;
  /** By alert id. */
  items: Map<string, NotifiedAlert>;
}

/** The open group of a notifier. */
export class GroupBuffer {
  private open: Group | null = null;

  /** Whether a group is open (the caller starts its wait when one opens). */
  get isOpen(): boolean {
    return this.open !== null;
  }

  /**
   * Puts items in the open group (opening one if none is); returns the groups that filled up on the
   * way, closed already, to deliver now.
   */
  add(items: readonly NotifiedAlert[]): Group[] {
    const full: Group[] = [];
    for (const item of items) {
      this.open ??= { key: randomUUID(), items: new Map() };
      const group = this.open;
      const previous = group.items.get(item.alert.id);
      group.items.set(item.alert.id, previous ? { kind: mergeKind(previous.kind, item.kind), alert: item.alert } : item);
      if (group.items.size >= MAX_GROUP_ALERTS) {
        full.push(group);
        this.open = null;
      }
    }
    return full;
  }

  /** Closes the open group (its wait ended, or the notifier closes); null when none is open. */
  close(): Group | null {
    const group = this.open;
    this.open = null;
    return group;
  }

  /** Ids of the alerts in the open group. */
  openIds(): Iterable<string> {
    return this.open?.items.keys() ?? [];
  }
}

/**
 * Which agent a registration names, decided once for every adapter: a given id that exists is that
 * agent; a given id that does not exist is a new agent, unless its name+environment+host already
 * belong to another (a conflict); without an id, the oldest agent of that identity, or a new one.
 * Each adapter runs it inside its registration transaction with its own look-ups: synchronous
 * ones (SQLite, whose transactions cannot wait) get a synchronous answer, asynchronous ones a promise.
 */
import type { RegistrationWrite } from '../ports.js';

/** The registration names a known agent, a new one, or an id whose identity is another agent's. */
export type RegistrationTarget = { outcome: 'known' | 'new'; id: string } | { outcome: 'conflict'; existingId: string };

/** How an adapter looks agents up inside its registration transaction. */
export interface RegistrationLookups<Found, Id> {
  /** Whether an agent has this id. */
  hasId(id: string): Found;
  /** The oldest agent with this name+environment+host (ids are not unique per identity once an agent is renamed). */
  findByIdentity(name: string, environment: string, host: string): Id;
}

export function registrationTarget(write: RegistrationWrite, lookups: RegistrationLookups<boolean, string | undefined>): RegistrationTarget;
export function registrationTarget(
  write: RegistrationWrite,
  lookups: RegistrationLookups<Promise<boolean>, Promise<string | undefined>>,
): Promise<RegistrationTarget>;
export function registrationTarget(
  write: RegistrationWrite,
  lookups: RegistrationLookups<boolean | Promise<boolean>, string | undefined | Promise<string | undefined>>,
): RegistrationTarget | Promise<RegistrationTarget> {
  const { agent } = write;
  const byIdentity = () => lookups.findByIdentity(agent.name, agent.environment, agent.host);
  if (!write.idGiven) return then(byIdentity(), (known): RegistrationTarget => (known !== undefined ? { outcome: 'known', id: known } : { outcome: 'new', id: agent.id }));
  return then(lookups.hasId(agent.id), (exists) =>
    exists
      ? { outcome: 'known', id: agent.id }
      : then(byIdentity(), (other): RegistrationTarget => (other !== undefined ? { outcome: 'conflict', existingId: other } : { outcome: 'new', id: agent.id })),
  );
}

/** `f` of the value, at once when it is one, once it resolves when it is a promise. */
function then<A, B>(value: A | Promise<A>, f: (value: A) => B | Promise<B>): B | Promise<B> {
  return value instanceof Promise ? value.then(f) : f(value);
}

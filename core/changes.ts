/**
 * The change ledger: every change Gauntlet makes outside itself goes through `apply`, which
 * journals the intent (durably, with how to undo it as data) before making the change, and
 * reverts everything in reverse order on exit, Ctrl-C, or later from the journal after a crash.
 */
import type { ChangeIntent, JournalEvent, RevertSpec } from './events.ts';
import type { Journal } from './journal.ts';
import type { UnrevertedChange } from './errors.ts';

/** Undo a change from its data. Resolve `'noop'` when there was nothing left to undo. */
export type Reverter = (spec: RevertSpec, env: RevertEnv) => Promise<void | 'noop'>;

/** What a reverter may use; kept abstract so recovery works in a fresh process. */
export interface RevertEnv {
  /** Lazily connect to the cluster named in the run's provenance. */
  kube: () => Promise<unknown>;
}

export interface ReverterInfo {
  /** It runs commands taken from the journal: `recover` shows them and runs them only when asked. */
  runsCommands?: boolean;
}

const reverters = new Map<string, Reverter>();
const infos = new Map<string, ReverterInfo>();

export function registerReverter(kind: string, fn: Reverter, info: ReverterInfo = {}): void {
  reverters.set(kind, fn);
  infos.set(kind, info);
}

export function reverterFor(kind: string): ReverterInfo | undefined {
  return reverters.has(kind) ? (infos.get(kind) ?? {}) : undefined;
}

export interface Change {
  /** Short description in the user's words: "cordon node lab-worker-2". */
  description: string;
  /** How to undo it; this process reverts with it as given. */
  revert: RevertSpec;
  /**
   * What the journal keeps instead, when `revert` holds secrets (a Secret's data): a later
   * `recover` gets only this, so its reverter must undo from it or say why it cannot.
   * The journal redacts whatever it is given besides (core/redact.ts).
   */
  journaledRevert?: RevertSpec;
}

export class ChangeLedger {
  private readonly journal: Journal;
  private readonly env: RevertEnv;
  private readonly pending: Array<{ id: string; change: Change }> = [];
  private n = 0;

  constructor(journal: Journal, env: RevertEnv) {
    this.journal = journal;
    this.env = env;
  }

  /**
   * Journal the intent, then make the change. If `make` throws, the change is still reverted
   * (it may have half-happened); reverting is idempotent by contract.
   */
  async apply<T>(step: string, change: Change, make: () => Promise<T>): Promise<T> {
    return (await this.applyWithId(step, change, make)).value;
  }

  /** `apply`, also giving the change's id, for a change undone before the run ends (`revertOne`). */
  async applyWithId<T>(step: string, change: Change, make: () => Promise<T>): Promise<{ id: string; value: T }> {
    if (!reverters.has(change.revert.kind)) throw new Error(`no reverter registered for ${change.revert.kind}`);
    const id = `c${++this.n}`;
    // Secrets never reach the journal (it redacts); the in-memory copy keeps what this process needs.
    this.journal.appendDurable({ type: 'change.intent', id, step, description: change.description, revert: change.journaledRevert ?? change.revert });
    this.pending.push({ id, change });
    const value = await make();
    this.journal.appendDurable({ type: 'change.applied', id });
    return { id, value };
  }

  /** Undo one change now (e.g. a fault window ending). */
  async revertOne(id: string): Promise<UnrevertedChange | undefined> {
    const i = this.pending.findIndex((p) => p.id === id);
    if (i < 0) return undefined;
    const [p] = this.pending.splice(i, 1);
    return revertChange(this.journal, p!.id, p!.change.description, p!.change.revert, this.env);
  }

  /** Undo everything still applied, newest first. Returns what could not be undone. */
  async revertAll(): Promise<UnrevertedChange[]> {
    const failed: UnrevertedChange[] = [];
    while (this.pending.length) {
      const p = this.pending.pop()!;
      const f = await revertChange(this.journal, p.id, p.change.description, p.change.revert, this.env);
      if (f) failed.push(f);
    }
    return failed;
  }

  /** Ids of changes applied and not yet reverted. */
  get outstanding(): string[] {
    return this.pending.map((p) => p.id);
  }
}

export async function revertChange(journal: Journal, id: string, description: string, spec: RevertSpec, env: RevertEnv): Promise<UnrevertedChange | undefined> {
  const fn = reverters.get(spec.kind);
  try {
    if (!fn) throw new Error(`no reverter for ${spec.kind}`);
    const r = await fn(spec, env);
    journal.appendDurable({ type: 'change.reverted', id, ...(r === 'noop' ? { noop: true } : {}) });
    return undefined;
  } catch (e) {
    const error = (e as Error).message;
    journal.appendDurable({ type: 'change.revert-failed', id, error });
    return { id, description, error };
  }
}

/** Changes a journal says were (possibly) made and never reverted: what `recover` must undo. */
export function unrevertedChanges(events: readonly JournalEvent[]): ChangeIntent[] {
  const intents = new Map<string, ChangeIntent>();
  for (const e of events) {
    if (e.type === 'change.intent') intents.set(e.id, e);
    else if (e.type === 'change.reverted') intents.delete(e.id);
  }
  return [...intents.values()].reverse();
}

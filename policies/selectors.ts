/**
 * Kubernetes label selectors. `{}` selects everything; a nil selector is the caller's business
 * (for a NetworkPolicy peer it means "the policy's namespace", for a podSelector "every pod").
 */
export type Labels = Readonly<Record<string, string>>;

export interface SelectorRequirement {
  key: string;
  operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';
  values?: string[];
}

export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: SelectorRequirement[];
}

export function matches(sel: LabelSelector, labels: Labels): boolean {
  const ml = sel.matchLabels;
  if (ml) for (const k in ml) if (labels[k] !== ml[k] || !Object.hasOwn(labels, k)) return false;
  const me = sel.matchExpressions;
  if (!me) return true;
  for (const e of me) {
    const has = Object.hasOwn(labels, e.key);
    const value = labels[e.key];
    switch (e.operator) {
      case 'In':
        if (!has || !(e.values ?? []).includes(value as string)) return false;
        break;
      case 'NotIn':
        // Kubernetes: NotIn matches when the key is absent, too.
        if (has && (e.values ?? []).includes(value as string)) return false;
        break;
      case 'Exists':
        if (!has) return false;
        break;
      case 'DoesNotExist':
        if (has) return false;
        break;
    }
  }
  return true;
}

export function isEverything(sel: LabelSelector): boolean {
  return !Object.keys(sel.matchLabels ?? {}).length && !(sel.matchExpressions ?? []).length;
}

/** A stable text for a selector, for keys and messages. */
export function formatSelector(sel: LabelSelector | undefined): string {
  if (!sel) return '<nil>';
  const parts = Object.entries(sel.matchLabels ?? {})
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([k, v]) => `${k}=${v}`);
  for (const e of sel.matchExpressions ?? []) {
    const vals = (e.values ?? []).join(',');
    if (e.operator === 'In') parts.push(`${e.key} in (${vals})`);
    else if (e.operator === 'NotIn') parts.push(`${e.key} notin (${vals})`);
    else if (e.operator === 'Exists') parts.push(e.key);
    else parts.push(`!${e.key}`);
  }
  return parts.length ? parts.join(',') : '{}';
}

export function labelsKey(labels: Labels): string {
  return Object.keys(labels)
    .sort()
    .map((k) => `${k}=${labels[k]}`)
    .join(',');
}

/**
 * "All / Yours / Shared with you" above a list of a shareable kind: the list's `scope` query
 * parameter (mine: your own private objects; shared: what teams share with you or own).
 */
import { ToggleGroup } from './ui/toggle-group';

export type Scope = 'all' | 'mine' | 'shared';

const OPTIONS = [
  { value: 'all', label: 'All' },
  { value: 'mine', label: 'Yours' },
  { value: 'shared', label: 'Shared with you' },
] as const;

/** The API's `scope` for a filter value: none for both sides. */
export function scopeQuery(scope: Scope): 'mine' | 'shared' | undefined {
  return scope === 'all' ? undefined : scope;
}

export function ScopeFilter({
  value,
  onChange,
  label,
}: {
  value: Scope;
  onChange: (scope: Scope) => void;
  label: string;
}) {
  return (
    <ToggleGroup
      label={label}
      options={OPTIONS}
      value={value}
      onValueChange={onChange}
      data-testid="scope-filter"
    />
  );
}

/**
 * The Personalities page: your own personalities, those teams share with you or own, and the
 * read-only built-ins (which "Copy" turns into one of yours), filtered by kind through
 * `?kind=` and by "All / Yours / Shared with you", and the three ways to create one: from
 * trait values (config), from example texts (learned) or by training (neural).
 */
import { useState } from 'react';
import { useSearchParams } from 'react-router';

import { EmptyState } from '../../../components/empty-state';
import muted from '../../../components/muted.module.css';
import { Page } from '../../../components/page';
import { QueryState } from '../../../components/query-state';
import { type Scope, ScopeFilter, scopeQuery } from '../../../components/scope-filter';
import section from '../../../components/section.module.css';
import { Button } from '../../../components/ui/button';
import { SelectField } from '../../../components/ui/select-field';
import { usePersonalities } from '../api/get-personalities';
import type { PersonalityKind } from '../api/get-personality';
import { CopyButton } from './copy-button';
import { CreateConfigDialog } from './create-config-dialog';
import { CreateFromExamplesDialog, type ExamplesKind } from './create-from-examples-dialog';
import styles from './personalities.module.css';
import { PersonalitiesTable } from './personalities-table';

const KINDS: readonly PersonalityKind[] = ['config', 'learned', 'neural'];
const KIND_OPTIONS = [
  { value: '', label: 'All kinds' },
  { value: 'config', label: 'Config (traits)' },
  { value: 'learned', label: 'Learned (examples)' },
  { value: 'neural', label: 'Neural (trained)' },
];

function kindParam(value: string | null): PersonalityKind | null {
  return KINDS.find((kind) => kind === value) ?? null;
}

export function PersonalitiesPage() {
  const [params, setParams] = useSearchParams();
  const kind = kindParam(params.get('kind'));
  const [scope, setScope] = useState<Scope>('all');
  const personalities = usePersonalities(kind, scopeQuery(scope));
  const [creating, setCreating] = useState<'config' | ExamplesKind | null>(null);

  const all = personalities.data?.results ?? [];
  const own = all.filter(
    (personality) => !personality.builtin && personality.access_role === 'owner',
  );
  const shared = all.filter(
    (personality) => !personality.builtin && personality.access_role !== 'owner',
  );
  const builtins = all.filter((personality) => personality.builtin);

  function filter(value: string) {
    setParams(value ? { kind: value } : {}, { replace: true });
  }

  const actions = (
    <>
      <Button variant="primary" onClick={() => setCreating('config')}>
        New config personality
      </Button>
      <Button onClick={() => setCreating('learned')}>New learned personality</Button>
      <Button onClick={() => setCreating('neural')}>New neural personality</Button>
    </>
  );

  return (
    <Page
      title="Personalities"
      lead="Define a personality from traits, learn one from example texts or train one, then measure any text against it."
      actions={actions}
    >
      <div className={styles.sections}>
        <div className={styles.filters}>
          <div className={styles.filter}>
            <SelectField
              name="kind"
              label="Show"
              options={KIND_OPTIONS}
              value={kind ?? ''}
              onValueChange={filter}
            />
          </div>
          <ScopeFilter label="Whose personalities" value={scope} onChange={setScope} />
        </div>
        <QueryState
          query={personalities}
          loading="Loading personalities…"
          failure="Could not load personalities."
          statusClassName={muted.small}
        >
          {scope !== 'shared' && (
            <section aria-labelledby="own-personalities" className={section.detail}>
              <h2 id="own-personalities" className={section.subheading}>
                Yours
              </h2>
              {own.length === 0 ? (
                <EmptyState
                  title={
                    kind
                      ? `No ${kind} personalities of your own`
                      : 'No personalities of your own yet'
                  }
                  description="Create one above, or copy a built-in below to change it."
                  data-testid="own-personalities-empty"
                />
              ) : (
                <PersonalitiesTable
                  label="Your personalities"
                  personalities={own}
                  data-testid="own-personalities"
                />
              )}
            </section>
          )}
          {/* Under "All" the section appears only once something is shared with you. */}
          {(scope === 'shared' || (scope === 'all' && shared.length > 0)) && (
            <section aria-labelledby="shared-personalities" className={section.detail}>
              <h2 id="shared-personalities" className={section.subheading}>
                Shared with you
              </h2>
              {shared.length === 0 ? (
                <p className={muted.small} data-testid="shared-personalities-empty">
                  {kind
                    ? `No ${kind} personality is shared with you.`
                    : 'Nothing is shared with you yet.'}
                </p>
              ) : (
                <PersonalitiesTable
                  label="Personalities shared with you"
                  personalities={shared}
                  data-testid="shared-personalities"
                />
              )}
            </section>
          )}
          {scope !== 'mine' && (
            <section aria-labelledby="builtin-personalities" className={section.detail}>
              <h2 id="builtin-personalities" className={section.subheading}>
                Built-in
              </h2>
              {builtins.length === 0 ? (
                <p className={muted.small}>No built-in personality is of this kind.</p>
              ) : (
                <PersonalitiesTable
                  label="Built-in personalities"
                  personalities={builtins}
                  actions={(personality) => <CopyButton personality={personality} />}
                  data-testid="builtin-personalities"
                />
              )}
            </section>
          )}
        </QueryState>
      </div>
      <CreateConfigDialog
        open={creating === 'config'}
        onOpenChange={(open) => setCreating(open ? 'config' : null)}
      />
      {(['learned', 'neural'] as const).map((examplesKind) => (
        <CreateFromExamplesDialog
          key={examplesKind}
          kind={examplesKind}
          open={creating === examplesKind}
          onOpenChange={(open) => setCreating(open ? examplesKind : null)}
        />
      ))}
    </Page>
  );
}

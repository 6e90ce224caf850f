/** The Recipes page: the user's recipes (steps that clean and shape a dataset), newest first. */
import { Link, useNavigate } from 'react-router';

import { AccessBadge } from '../../../components/access-badge';
import { EmptyState } from '../../../components/empty-state';
import { Page } from '../../../components/page';
import { QueryState } from '../../../components/query-state';
import table from '../../../components/table.module.css';
import { Button } from '../../../components/ui/button';
import { formatDateTime } from '../../../lib/format';
import { useRecipes } from '../api/get-recipes';
import { stepLabel } from '../utils/steps';

export function RecipesPage() {
  const recipes = useRecipes();
  const navigate = useNavigate();
  const list = recipes.data?.results ?? [];
  const newRecipe = (
    <Button variant="primary" onClick={() => void navigate('/recipes/new')}>
      New recipe
    </Button>
  );
  return (
    <Page
      title="Recipes"
      lead="Filter, deduplicate, scrub, template, split and mix datasets in steps you can preview and run again. Each run makes a new dataset version."
      actions={newRecipe}
    >
      <QueryState
        query={recipes}
        loading="Loading recipes…"
        failure="Could not load your recipes."
        isEmpty={list.length === 0}
        empty={
          <EmptyState
            title="No recipes yet"
            description="Build one from steps such as normalize, length filter and deduplication."
            action={newRecipe}
          />
        }
      >
        <div className={table.wrap}>
          <table className={table.table}>
            <caption className="visually-hidden">Recipes</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Steps</th>
                <th scope="col">Version</th>
                <th scope="col">Changed</th>
              </tr>
            </thead>
            <tbody>
              {list.map((recipe) => (
                <tr key={recipe.id} data-testid="recipe-row">
                  <th scope="row">
                    <Link to={`/recipes/${recipe.id}`}>{recipe.name}</Link>{' '}
                    <AccessBadge accessRole={recipe.access_role} />
                  </th>
                  <td>{recipe.steps.map((step) => stepLabel(step.type)).join(' → ')}</td>
                  <td>v{recipe.version}</td>
                  <td>
                    <time dateTime={recipe.updated_at}>{formatDateTime(recipe.updated_at)}</time>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </QueryState>
    </Page>
  );
}

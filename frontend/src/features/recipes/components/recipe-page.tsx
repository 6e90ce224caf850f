/**
 * One recipe (`/recipes/:id`), or a new one (`/recipes/new`): the builder, and for a saved
 * recipe the Run and Share buttons and its runs with live progress. Runs arrive live on the
 * notifications socket.
 */
import { useState } from 'react';
import { useNavigate } from 'react-router';

import { Page } from '../../../components/page';
import { QueryState } from '../../../components/query-state';
import section from '../../../components/section.module.css';
import { ShareDialog } from '../../../components/sharing/share-dialog';
import { Button } from '../../../components/ui/button';
import { ConfirmDialog } from '../../../components/ui/dialog';
import { useToast } from '../../../components/ui/toast';
import { allows } from '../../../lib/access-actions';
import { useDeleteRecipe } from '../api/delete-recipe';
import { useRecipe } from '../api/get-recipe';
import type { Recipe } from '../api/types';
import { useRecipeRunUpdates } from '../hooks/use-recipe-run-updates';
import { RecipeBuilder } from './recipe-builder';
import { RunRecipeDialog } from './run-recipe-dialog';
import { RunsTable } from './runs-table';

export function NewRecipePage() {
  const navigate = useNavigate();
  return (
    <Page title="New recipe" lead="Add steps, preview them on a dataset, then create the recipe.">
      <RecipeBuilder recipe={null} onSaved={(recipe) => void navigate(`/recipes/${recipe.id}`)} />
    </Page>
  );
}

export function RecipePage({ recipeId }: { recipeId: number }) {
  useRecipeRunUpdates();
  const recipe = useRecipe(recipeId);
  const data = recipe.data;
  return (
    <QueryState query={recipe} loading="Loading the recipe…" failure="Could not load the recipe.">
      {data && <RecipeDetail key={`${data.id}-${data.version}`} recipe={data} />}
    </QueryState>
  );
}

function RecipeDetail({ recipe }: { recipe: Recipe }) {
  const navigate = useNavigate();
  const toast = useToast();
  const remove = useDeleteRecipe();
  const [runOpen, setRunOpen] = useState(false);
  const [deleting, setDeleting] = useState(false);
  const actions = (
    <>
      <Button variant="primary" onClick={() => setRunOpen(true)}>
        Run recipe
      </Button>
      <ShareDialog kind="recipe" id={recipe.id} />
      {allows(recipe.access_role, 'delete') && (
        <Button variant="ghost" onClick={() => setDeleting(true)}>
          Delete recipe
        </Button>
      )}
    </>
  );
  return (
    <Page title={`Recipe: ${recipe.name}`} lead={recipe.description} actions={actions}>
      <RecipeBuilder
        recipe={recipe}
        onSaved={(saved) => toast.add({ title: `Saved as version ${saved.version}` })}
      />
      <section className={section.detail} aria-labelledby="runs-title">
        <h2 id="runs-title">Runs</h2>
        <RunsTable recipeId={recipe.id} />
      </section>
      <RunRecipeDialog
        recipe={recipe}
        open={runOpen}
        onOpenChange={setRunOpen}
        onStarted={() => {
          setRunOpen(false);
          toast.add({ title: 'Run started' });
        }}
      />
      <ConfirmDialog
        open={deleting}
        onOpenChange={setDeleting}
        title={`Delete “${recipe.name}”?`}
        description="The recipe and its versions are removed. Dataset versions its runs made stay."
        confirmLabel="Delete recipe"
        onConfirm={() => remove.mutate(recipe.id, { onSuccess: () => void navigate('/recipes') })}
        pending={remove.isPending}
        error={remove.error?.message}
      />
    </Page>
  );
}

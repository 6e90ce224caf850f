/** One recipe's page: `/recipes/:recipeId`. */
import { useParams } from 'react-router';

import { RecipePage } from '../../features/recipes/components/recipe-page';
import { NotFoundRoute } from './not-found';

export function RecipeDetailRoute() {
  const recipeId = Number(useParams().recipeId);
  if (!Number.isInteger(recipeId) || recipeId <= 0) return <NotFoundRoute />;
  return <RecipePage key={recipeId} recipeId={recipeId} />;
}

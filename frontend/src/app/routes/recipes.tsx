/** The Recipes page (`/recipes`) and a new recipe's builder (`/recipes/new`). */
import { NewRecipePage } from '../../features/recipes/components/recipe-page';
import { RecipesPage } from '../../features/recipes/components/recipes-page';

export function RecipesRoute() {
  return <RecipesPage />;
}

export function NewRecipeRoute() {
  return <NewRecipePage />;
}

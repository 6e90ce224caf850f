/**
 * "Run recipe": the dataset versions to read, in order, the recipe version (the latest unless
 * an older one is picked), and the name of the dataset the output goes to (a split makes one
 * version per part). A refused run says which step or
 * field is wrong; a started one appears in the runs table.
 */
import { useState } from 'react';

import stack from '../../../components/stack.module.css';
import { Button } from '../../../components/ui/button';
import { Dialog, DialogActions, DialogClose } from '../../../components/ui/dialog';
import { FormError } from '../../../components/ui/form';
import { ApiError } from '../../../lib/api-client';
import { useStartRecipeRun } from '../api/start-recipe-run';
import type { Recipe, RecipeRun } from '../api/types';
import { InputsPicker, type PickedInput } from './inputs-picker';
import styles from './recipes.module.css';

interface RunRecipeDialogProps {
  recipe: Recipe;
  open: boolean;
  onOpenChange: (open: boolean) => void;
  onStarted: (run: RecipeRun) => void;
}

export function RunRecipeDialog({ recipe, open, onOpenChange, onStarted }: RunRecipeDialogProps) {
  return (
    <Dialog
      open={open}
      onOpenChange={onOpenChange}
      title={`Run “${recipe.name}”`}
      description="Makes a new dataset version from the inputs with the chosen version of the recipe."
      dismissOnOutsidePress={false}
    >
      <RunForm recipe={recipe} onStarted={onStarted} />
    </Dialog>
  );
}

function RunForm({ recipe, onStarted }: { recipe: Recipe; onStarted: (run: RecipeRun) => void }) {
  const start = useStartRecipeRun(recipe.id);
  const [inputs, setInputs] = useState<PickedInput[]>([]);
  const [outputName, setOutputName] = useState(`${recipe.name} output`);
  const [version, setVersion] = useState(recipe.version);
  const outputError =
    start.error instanceof ApiError ? start.error.fieldMessage('output_name') : undefined;

  return (
    <div className={stack.stack}>
      <InputsPicker label="Inputs" value={inputs} onChange={setInputs} />
      <div className={styles.options}>
        <label>
          Recipe version
          <select value={version} onChange={(event) => setVersion(Number(event.target.value))}>
            {[...recipe.versions]
              .sort((a, b) => b.number - a.number)
              .map((item) => (
                <option key={item.number} value={item.number}>
                  v{item.number}
                  {item.number === recipe.version ? ' (latest)' : ''}
                </option>
              ))}
          </select>
        </label>
        <label>
          Output dataset name
          <input value={outputName} onChange={(event) => setOutputName(event.target.value)} />
          {outputError && <span className={styles.error}>{outputError}</span>}
        </label>
      </div>
      {start.error && <FormError>{start.error.message}</FormError>}
      <DialogActions>
        <DialogClose>Cancel</DialogClose>
        <Button
          variant="primary"
          disabled={start.isPending || inputs.length === 0 || outputName.trim() === ''}
          onClick={() =>
            start.mutate(
              {
                inputs: inputs.map((input) => input.id),
                output_name: outputName.trim(),
                version,
              },
              { onSuccess: onStarted },
            )
          }
        >
          Start run
        </Button>
      </DialogActions>
    </div>
  );
}

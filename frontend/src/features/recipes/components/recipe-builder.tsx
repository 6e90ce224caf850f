/**
 * The recipe builder: name and description, the steps, and a preview of the first records
 * after each step over inputs the user picks. Saving a recipe whose steps changed makes its
 * next version; a step the server refuses is named under its field.
 */
import { useState } from 'react';

import buttonRow from '../../../components/button-row.module.css';
import card from '../../../components/card.module.css';
import muted from '../../../components/muted.module.css';
import stack from '../../../components/stack.module.css';
import { Button } from '../../../components/ui/button';
import { FormError } from '../../../components/ui/form';
import { ApiError } from '../../../lib/api-client';
import { usePreviewRecipe } from '../api/preview-recipe';
import { useSaveRecipe } from '../api/save-recipe';
import type { Recipe, StepPreview as Preview } from '../api/types';
import { type DraftStep, stepFromPayload, stepToPayload } from '../utils/steps';
import { InputsPicker, type PickedInput } from './inputs-picker';
import styles from './recipes.module.css';
import { StepPreview } from './step-preview';
import { StepsEditor } from './steps-editor';

interface RecipeBuilderProps {
  recipe: Recipe | null;
  onSaved: (recipe: Recipe) => void;
}

interface PreviewResult {
  /** The steps it was made for: once they change, it no longer describes them. */
  steps: string;
  results: Preview[];
}

function fieldsOf(error: Error | null): Readonly<Record<string, readonly string[]>> {
  return error instanceof ApiError ? error.fields : {};
}

/** What the form says above its buttons: messages no step or field shows, else the gist. */
function formMessage(error: Error): string {
  const unshown = Object.entries(fieldsOf(error)).filter(
    ([name]) => name !== 'name' && !/^steps\.\d+(\.|$)/.test(name),
  );
  return unshown.length > 0
    ? unshown.map(([name, messages]) => `${name}: ${messages.join(' ')}`).join('\n')
    : error.message;
}

export function RecipeBuilder({ recipe, onSaved }: RecipeBuilderProps) {
  const [name, setName] = useState(recipe?.name ?? '');
  const [description, setDescription] = useState(recipe?.description ?? '');
  const [steps, setSteps] = useState<DraftStep[]>(() => (recipe?.steps ?? []).map(stepFromPayload));
  const [inputs, setInputs] = useState<PickedInput[]>([]);
  const [preview, setPreview] = useState<PreviewResult | null>(null);
  const save = useSaveRecipe(recipe?.id ?? null);
  const previewing = usePreviewRecipe();
  const payload = steps.map(stepToPayload);
  const current = JSON.stringify(payload);
  const fresh = preview !== null && preview.steps === current ? preview.results : null;
  const error = save.error ?? previewing.error;

  function runPreview() {
    save.reset();
    previewing.mutate(
      { steps: payload, inputs: inputs.map((input) => input.id) },
      { onSuccess: (answer) => setPreview({ steps: current, results: answer.steps }) },
    );
  }

  function submit() {
    previewing.reset();
    save.mutate({ name, description, steps: payload }, { onSuccess: onSaved });
  }

  return (
    <div className={styles.layout}>
      <div className={stack.stack}>
        <div className={styles.options}>
          <label>
            Name
            <input
              value={name}
              required
              aria-invalid={fieldsOf(error).name !== undefined}
              onChange={(event) => setName(event.target.value)}
            />
            {fieldsOf(error).name && (
              <span className={styles.error}>{fieldsOf(error).name?.[0]}</span>
            )}
          </label>
          <label>
            Description
            <input value={description} onChange={(event) => setDescription(event.target.value)} />
          </label>
        </div>
        <StepsEditor
          steps={steps}
          onChange={setSteps}
          fieldErrors={fieldsOf(error)}
          previews={(fresh ?? []).map((result) => (
            <StepPreview key={result.index} preview={result} />
          ))}
        />
        {error && <FormError>{formMessage(error)}</FormError>}
        <div className={buttonRow.row}>
          <Button
            variant="primary"
            disabled={save.isPending || name.trim() === '' || steps.length === 0}
            onClick={submit}
          >
            {recipe === null ? 'Create recipe' : 'Save as new version'}
          </Button>
          {recipe !== null && (
            <span className={muted.small} data-testid="recipe-version">
              Version {recipe.version}
            </span>
          )}
        </div>
      </div>
      <aside className={`${card.card} ${stack.stack}`} aria-labelledby="preview-title">
        <h2 id="preview-title">Preview</h2>
        <p className={muted.small}>
          Runs the steps over the start of the inputs and shows the first records after each step.
        </p>
        <InputsPicker label="Preview inputs" value={inputs} onChange={setInputs} />
        <Button
          disabled={previewing.isPending || inputs.length === 0 || steps.length === 0}
          onClick={runPreview}
        >
          {previewing.isPending ? 'Previewing…' : 'Preview'}
        </Button>
        {preview !== null && fresh === null && (
          <p className={muted.small} role="status">
            The steps changed since the last preview.
          </p>
        )}
      </aside>
    </div>
  );
}

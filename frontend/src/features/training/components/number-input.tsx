/**
 * A training form's number input from its field spec: whole or decimal steps by kind, the
 * engine's minimum checked by the browser.
 */
import { TextField } from '../../../components/ui/form';
import type { NumberFieldSpec } from '../utils/number-field';

interface NumberInputProps {
  field: NumberFieldSpec;
  placeholder?: string;
}

export function NumberInput({ field, placeholder }: NumberInputProps) {
  return (
    <TextField
      name={field.name}
      label={field.label}
      description={field.description}
      type="number"
      inputMode={field.kind === 'int' ? 'numeric' : 'decimal'}
      step={field.kind === 'int' ? 1 : 'any'}
      min={field.min}
      defaultValue={field.defaultValue}
      placeholder={placeholder}
    />
  );
}

/**
 * The feature filter's feature: a choice among the registry's number features, by group, as
 * `GET /api/v1/feature-groups/` lists them (a filter holds a value to a min and max, so text
 * and vector features are left out). A stored name the registry no longer lists stays
 * selectable, so opening an older recipe does not change it silently.
 */
import { isNumberFeature, useFeatureGroups } from '../../../lib/api/get-feature-groups';

interface FeatureSelectProps {
  value: string;
  label: string;
  invalid: boolean;
  onChange: (value: string) => void;
}

export function FeatureSelect({ value, label, invalid, onChange }: FeatureSelectProps) {
  const groups = useFeatureGroups();
  const numberGroups = (groups.data ?? [])
    .map((group) => ({
      name: group.name,
      features: group.features.filter((feature) => isNumberFeature(feature.dtype)),
    }))
    .filter((group) => group.features.length > 0);
  const listed = numberGroups.some((group) => group.features.some((f) => f.name === value));
  return (
    <select
      aria-label={label}
      aria-invalid={invalid}
      aria-busy={groups.isPending}
      value={value}
      onChange={(event) => onChange(event.target.value)}
    >
      {!listed && <option value={value}>{value === '' ? 'Choose a feature' : value}</option>}
      {numberGroups.map((group) => (
        <optgroup key={group.name} label={group.name}>
          {group.features.map((feature) => (
            <option key={feature.name} value={feature.name} title={feature.description}>
              {feature.name}
            </option>
          ))}
        </optgroup>
      ))}
    </select>
  );
}

/**
 * One value for a model picker's option that names either a model version (its id) or a model
 * of one of the user's remote endpoints (`remote:<endpoint id>:<model id>`), so the chat,
 * compare and distillation pickers offer both in one list.
 */
import type { RemoteEndpoint } from './api/get-endpoints';

export type ModelChoice =
  { kind: 'version'; id: number } | { kind: 'remote'; endpointId: number; model: string };

const REMOTE = 'remote:';

export function remoteChoiceValue(endpointId: number, model: string): string {
  return `${REMOTE}${endpointId}:${model}`;
}

export function parseModelChoice(value: string): ModelChoice {
  if (!value.startsWith(REMOTE)) return { kind: 'version', id: Number(value) };
  const rest = value.slice(REMOTE.length);
  const colon = rest.indexOf(':');
  return { kind: 'remote', endpointId: Number(rest.slice(0, colon)), model: rest.slice(colon + 1) };
}

/** An option per model each endpoint lists, labelled as /v1 names it. */
export function remoteModelOptions(endpoints: readonly RemoteEndpoint[] | undefined) {
  return (endpoints ?? []).flatMap((endpoint) =>
    endpoint.models.map((model) => ({
      value: remoteChoiceValue(endpoint.id, model.model),
      label: model.id,
    })),
  );
}

/** The arena's two contestants as the compare request names them. */
export interface Contestants {
  model_version_ids: number[];
  remote_models?: { endpoint_id: number; model: string }[];
}

export function contestantsOf(values: readonly string[]): Contestants {
  const choices = values.map(parseModelChoice);
  const remote = choices.flatMap((choice) =>
    choice.kind === 'remote' ? [{ endpoint_id: choice.endpointId, model: choice.model }] : [],
  );
  return {
    model_version_ids: choices.flatMap((choice) => (choice.kind === 'version' ? [choice.id] : [])),
    ...(remote.length ? { remote_models: remote } : {}),
  };
}

/** Moved to lib/api (several features read model versions); kept here for features/chat's imports. */
export type { ModelVersion } from '../../../lib/api/get-model-versions';

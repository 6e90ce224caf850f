/** Moved to lib/api (several features list model versions); kept here for features/chat's imports. */
export { useReadyModelVersions } from '../../../lib/api/get-all-model-versions';

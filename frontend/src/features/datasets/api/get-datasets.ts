/** Moved to lib/api (several features list datasets); kept here for features/chat's imports. */
export { datasetsQueryKey } from '../../../lib/api/get-datasets';

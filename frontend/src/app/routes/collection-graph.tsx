/** A collection's knowledge graph: `/documents/collections/:collectionId/graph`. */
import { useParams } from 'react-router';

import { KnowledgeGraphPage } from '../../features/knowledge/components/knowledge-graph-page';
import { NotFoundRoute } from './not-found';

export function CollectionGraphRoute() {
  const collectionId = Number(useParams().collectionId);
  if (!Number.isInteger(collectionId) || collectionId <= 0) return <NotFoundRoute />;
  return <KnowledgeGraphPage key={collectionId} collectionId={collectionId} />;
}

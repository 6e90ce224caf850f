/** A document read at one place: `/documents/:documentId?chunk=&start=&end=`. */
import { useParams } from 'react-router';

import { DocumentViewPage } from '../../features/documents/components/document-view-page';
import { NotFoundRoute } from './not-found';

export function DocumentViewRoute() {
  const documentId = Number(useParams().documentId);
  if (!Number.isInteger(documentId) || documentId <= 0) return <NotFoundRoute />;
  return <DocumentViewPage key={documentId} documentId={documentId} />;
}

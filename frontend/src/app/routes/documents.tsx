/** Documents page. */
import { DocumentsPage } from '../../features/documents/components/documents-page';

export function DocumentsRoute() {
  return <DocumentsPage />;
}

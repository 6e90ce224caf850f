/**
 * The address of a place in a document (`/documents/:id?chunk=&start=&end=`): the part a
 * citation or a graph fact was read from and, within it, the sentence's character offsets.
 * Features that point at documents build their links here, so the page that reads them and
 * every link agree on one shape.
 */

export interface DocumentPlace {
  documentId: number;
  /** The chunk's index in the document, from 0; absent opens the first part. */
  chunkIndex?: number;
  /** Character offsets of the sentence to mark within that chunk's text. */
  start?: number;
  end?: number;
}

export function documentPlaceHref({ documentId, chunkIndex, start, end }: DocumentPlace): string {
  const params = new URLSearchParams();
  if (chunkIndex !== undefined) params.set('chunk', String(chunkIndex));
  if (chunkIndex !== undefined && start !== undefined && end !== undefined && start < end) {
    params.set('start', String(start));
    params.set('end', String(end));
  }
  const query = params.toString();
  return `/documents/${documentId}${query ? `?${query}` : ''}`;
}

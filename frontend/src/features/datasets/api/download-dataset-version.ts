/**
 * `GET /api/v1/dataset-versions/{id}/download/`: the uploaded file as an attachment. A plain
 * link, so the browser streams a file of any size to disk instead of through page memory.
 */
export function datasetVersionDownloadUrl(versionId: number): string {
  return `/api/v1/dataset-versions/${versionId}/download/`;
}

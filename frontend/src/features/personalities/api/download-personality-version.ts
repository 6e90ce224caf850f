/**
 * `GET /api/v1/personality-versions/{id}/download/`: the version as a zip (its JSON and
 * artifact files) that `sloughgpt chat/run --personality FILE.zip` loads. A plain link, so
 * the browser saves the attachment itself.
 */
export function personalityVersionDownloadUrl(versionId: number): string {
  return `/api/v1/personality-versions/${versionId}/download/`;
}

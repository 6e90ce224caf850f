/**
 * The words for a caller's `access_role` on an object (apps.core.access.access_annotate), so
 * every list and dialog tells "yours" from "shared with you" the same way.
 */
export const ACCESS_LABELS: Readonly<Record<string, string>> = {
  owner: 'yours',
  team_owner: 'your team’s (owner)',
  team_admin: 'your team’s (admin)',
  team_member: 'your team’s (member)',
  team_viewer: 'your team’s (viewer)',
  write: 'shared with you to edit',
  read: 'shared with you to read',
  public: 'built in',
};

export function accessLabel(accessRole: string): string {
  return ACCESS_LABELS[accessRole] ?? accessRole;
}

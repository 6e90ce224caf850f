/**
 * What a caller's `access_role` lets them do, as the server's permission table says
 * (apps.core.access: ROLE_ACTIONS and LEVEL_ACTIONS), so pages offer only those actions. The
 * server decides; this only keeps buttons that would answer 403 out of the way.
 */
export type AccessAction = 'read' | 'edit' | 'run' | 'delete' | 'share' | 'promote';

const EVERYTHING: readonly AccessAction[] = ['read', 'edit', 'run', 'delete', 'share', 'promote'];
const WORK: readonly AccessAction[] = ['read', 'edit', 'run'];

const ALLOWED: Readonly<Record<string, readonly AccessAction[]>> = {
  owner: EVERYTHING,
  team_owner: EVERYTHING,
  team_admin: EVERYTHING,
  team_member: WORK,
  team_viewer: ['read'],
  write: WORK,
  read: ['read'],
  public: ['read'],
};

export function allows(accessRole: string | undefined, action: AccessAction): boolean {
  // A row from before roles were reported is the caller's own.
  return (ALLOWED[accessRole ?? 'owner'] ?? []).includes(action);
}

/** The audit log: `/audit`. */
import { AuditPage } from '../../features/teams/components/audit-page';

export function AuditRoute() {
  return <AuditPage />;
}

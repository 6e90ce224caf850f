/**
 * One version: what it is (status, stage, size, parameters, checksum), its download, the stage
 * control with history, its lineage, the personalities applied to it with their evaluation
 * reports, and its exports compared side by side; "Fine-tune" opens the training feature's
 * dialog (a slot, given by the route) with this version as the base.
 */
import { type ReactNode, useState } from 'react';
import { Link } from 'react-router';

import card from '../../../components/card.module.css';
import linkButton from '../../../components/link-button.module.css';
import loadError from '../../../components/load-error.module.css';
import muted from '../../../components/muted.module.css';
import section from '../../../components/section.module.css';
import stack from '../../../components/stack.module.css';
import terms from '../../../components/term-list.module.css';
import { Button } from '../../../components/ui/button';
import { useToast } from '../../../components/ui/toast';
import { allows } from '../../../lib/access-actions';
import type { ModelVersion } from '../../../lib/api/get-model-versions';
import { formatBytes } from '../../../lib/format-bytes';
import { versionDownloadUrl } from '../api/create-exports';
import { formatCount } from '../utils/format-count';
import { ExportDialog } from './export-dialog';
import { ExportReportTable } from './export-report-table';
import { Lineage } from './lineage';
import styles from './models.module.css';
import { PersonalityApplications } from './personality-applications';
import { mayChangeStage, StageControl, StageHistory } from './stage-control';
import { StageBadge, VersionStatusBadge } from './status-badges';

/** The fine-tune dialog, opened with `baseVersionId` as the base. */
export type FineTuneSlot = (props: {
  open: boolean;
  onOpenChange: (open: boolean) => void;
  baseVersionId: number;
}) => ReactNode;

export function VersionDetail({
  version,
  fineTune,
}: {
  version: ModelVersion;
  fineTune?: FineTuneSlot;
}) {
  const [exportOpen, setExportOpen] = useState(false);
  const [fineTuneOpen, setFineTuneOpen] = useState(false);
  const toast = useToast();
  const ready = version.status === 'ready';

  return (
    <section
      className={`${card.card} ${card.loose}`}
      aria-labelledby="version-title"
      data-testid="model-version-detail"
    >
      <header className={`${card.header} ${styles.panelHeader}`}>
        <h3 id="version-title">
          {version.model_name} {version.version}
        </h3>
        <VersionStatusBadge status={version.status} />
        <StageBadge stage={version.stage} />
        <div className={styles.headerActions}>
          <Link className={linkButton.linkButton} to={`/models/versions/${version.id}/monitoring`}>
            Monitoring
          </Link>
          {ready && (
            <a className={linkButton.linkButton} href={versionDownloadUrl(version.id)} download>
              Download .sou
            </a>
          )}
          {fineTune && (
            <Button
              disabled={!ready}
              title={ready ? undefined : 'The version must finish importing first'}
              onClick={() => setFineTuneOpen(true)}
            >
              Fine-tune…
            </Button>
          )}
          {allows(version.access_role, 'run') && (
            <Button
              variant="primary"
              disabled={!ready}
              title={ready ? undefined : 'The version must finish importing first'}
              onClick={() => setExportOpen(true)}
            >
              Export…
            </Button>
          )}
        </div>
      </header>

      {version.status === 'importing' && (
        <p role="status" className={muted.small}>
          Importing: converting the weights into a full-precision .sou file. This page updates by
          itself when it is done.
        </p>
      )}
      {version.status === 'failed' && (
        <p role="alert" className={`${loadError.box} ${loadError.compact}`}>
          The import failed. {version.error}
        </p>
      )}

      <dl className={`${terms.list} ${terms.figures} ${styles.stats}`}>
        <div>
          <dt>Parameters</dt>
          <dd>{formatCount(version.parameters)}</dd>
        </div>
        <div>
          <dt>Size (F32)</dt>
          <dd>{version.size_bytes === null ? '–' : formatBytes(version.size_bytes)}</dd>
        </div>
        <div>
          <dt>Source</dt>
          <dd>{version.source}</dd>
        </div>
      </dl>
      {version.sha256 && (
        <p className={muted.small}>
          SHA-256 <code className={styles.hash}>{version.sha256}</code>
        </p>
      )}

      <div className={styles.columnsTwo}>
        <section aria-labelledby="stage-title" className={`${stack.stack} ${styles.shrink}`}>
          <h4 id="stage-title" className={section.subheading}>
            Stage
          </h4>
          {mayChangeStage(version) && (
            <StageControl key={`${version.id}:${version.stage}`} version={version} />
          )}
          <StageHistory versionId={version.id} />
        </section>
        <section aria-labelledby="lineage-title" className={`${stack.stack} ${styles.shrink}`}>
          <h4 id="lineage-title" className={section.subheading}>
            Lineage
          </h4>
          <Lineage
            versionId={version.id}
            modelId={version.registered_model}
            hasAdapter={version.has_adapter}
          />
        </section>
      </div>

      <section aria-labelledby="personalities-title" className={`${stack.stack} ${styles.shrink}`}>
        <h4 id="personalities-title" className={section.subheading}>
          Personalities
        </h4>
        <PersonalityApplications version={version} />
      </section>

      <section aria-labelledby="exports-title" className={`${stack.stack} ${styles.shrink}`}>
        <h4 id="exports-title" className={section.subheading}>
          Exports
        </h4>
        <ExportReportTable exports={version.exports} />
      </section>

      {fineTune?.({ open: fineTuneOpen, onOpenChange: setFineTuneOpen, baseVersionId: version.id })}
      <ExportDialog
        open={exportOpen}
        onOpenChange={setExportOpen}
        version={version}
        onExported={(qtypes) => {
          setExportOpen(false);
          toast.add({
            title: `Exporting ${qtypes.join(', ')}`,
            description: 'The report fills in as each type is quantized and measured.',
          });
        }}
      />
    </section>
  );
}

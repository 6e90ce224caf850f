/** Settings -> API tokens. */
import { ApiTokensPanel } from '../../../features/tokens/components/api-tokens-panel';

export function TokensRoute() {
  return <ApiTokensPanel />;
}

/**
 * Client-side routes. Django answers every non-API path with this app, so each route here is
 * also a real URL that can be reloaded or shared.
 */
import { createBrowserRouter, type RouteObject } from 'react-router';

import { AppShell } from './layout/app-shell';
import { AlertsRoute } from './routes/alerts';
import { ArenaRoute } from './routes/arena';
import { AuditRoute } from './routes/audit';
import { ChatRoute } from './routes/chat';
import { CollectionGraphRoute } from './routes/collection-graph';
import { DashboardRoute } from './routes/dashboard';
import { DatasetsRoute } from './routes/datasets';
import { DeckDetailRoute } from './routes/deck-detail';
import { DecksRoute } from './routes/decks';
import { DocumentViewRoute } from './routes/document-view';
import { DocumentsRoute } from './routes/documents';
import { EndpointsRoute } from './routes/endpoints';
import { ExperimentRunRoute } from './routes/experiment-run';
import { ExperimentsRoute } from './routes/experiments';
import { ExperimentsCompareRoute } from './routes/experiments-compare';
import { InvitationRoute } from './routes/invitation';
import { ModelMonitoringRoute } from './routes/model-monitoring';
import { ModelsRoute } from './routes/models';
import { NotFoundRoute } from './routes/not-found';
import { PersonalitiesRoute } from './routes/personalities';
import { PersonalityDetailRoute } from './routes/personalities-detail';
import { RecipeDetailRoute } from './routes/recipe-detail';
import { RecipeRunRoute } from './routes/recipe-run';
import { NewRecipeRoute, RecipesRoute } from './routes/recipes';
import { ReviewRoute } from './routes/review';
import { ReviewStatsRoute } from './routes/review-stats';
import { RouteError } from './routes/route-error';
import { AccountRoute } from './routes/settings/account';
import { SettingsLayout } from './routes/settings/settings-layout';
import { TokensRoute } from './routes/settings/tokens';
import { SiteMonitoringRoute } from './routes/site-monitoring';
import { SweepDetailRoute } from './routes/sweep-detail';
import { SweepsRoute } from './routes/sweeps';
import { TeamDetailRoute } from './routes/team-detail';
import { TeamsRoute } from './routes/teams';
import { TraceRoute } from './routes/trace';
import { UsageRoute } from './routes/usage';

export const routes: RouteObject[] = [
  {
    path: '/',
    element: <AppShell />,
    errorElement: <RouteError />,
    children: [
      { index: true, element: <DashboardRoute /> },
      { path: 'datasets', element: <DatasetsRoute /> },
      { path: 'recipes', element: <RecipesRoute /> },
      { path: 'recipes/new', element: <NewRecipeRoute /> },
      { path: 'recipes/:recipeId', element: <RecipeDetailRoute /> },
      { path: 'recipe-runs/:runId', element: <RecipeRunRoute /> },
      { path: 'experiments', element: <ExperimentsRoute /> },
      { path: 'experiments/compare', element: <ExperimentsCompareRoute /> },
      { path: 'experiments/runs/:runId', element: <ExperimentRunRoute /> },
      { path: 'sweeps', element: <SweepsRoute /> },
      { path: 'sweeps/:sweepId', element: <SweepDetailRoute /> },
      { path: 'models', element: <ModelsRoute /> },
      { path: 'models/versions/:versionId/monitoring', element: <ModelMonitoringRoute /> },
      { path: 'monitoring', element: <SiteMonitoringRoute /> },
      { path: 'monitoring/traces', element: <TraceRoute /> },
      { path: 'monitoring/traces/:traceId', element: <TraceRoute /> },
      { path: 'chat', element: <ChatRoute /> },
      { path: 'chat/:conversationId', element: <ChatRoute /> },
      { path: 'arena', element: <ArenaRoute /> },
      { path: 'documents', element: <DocumentsRoute /> },
      { path: 'documents/:documentId', element: <DocumentViewRoute /> },
      { path: 'documents/collections/:collectionId/graph', element: <CollectionGraphRoute /> },
      { path: 'decks', element: <DecksRoute /> },
      { path: 'decks/:deckId', element: <DeckDetailRoute /> },
      { path: 'decks/:deckId/review', element: <ReviewRoute /> },
      { path: 'review', element: <ReviewRoute /> },
      { path: 'review/stats', element: <ReviewStatsRoute /> },
      { path: 'personalities', element: <PersonalitiesRoute /> },
      { path: 'personalities/:personalityId', element: <PersonalityDetailRoute /> },
      { path: 'teams', element: <TeamsRoute /> },
      { path: 'teams/:teamId', element: <TeamDetailRoute /> },
      { path: 'invitations/:token', element: <InvitationRoute /> },
      { path: 'audit', element: <AuditRoute /> },
      { path: 'usage', element: <UsageRoute /> },
      { path: 'alerts', element: <AlertsRoute /> },
      { path: 'endpoints', element: <EndpointsRoute /> },
      {
        path: 'settings',
        element: <SettingsLayout />,
        children: [
          { index: true, element: <AccountRoute /> },
          { path: 'tokens', element: <TokensRoute /> },
        ],
      },
      { path: '*', element: <NotFoundRoute /> },
    ],
  },
];

export function createAppRouter() {
  return createBrowserRouter(routes);
}

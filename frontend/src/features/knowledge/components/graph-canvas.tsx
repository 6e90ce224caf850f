/**
 * The graph drawn by Cytoscape.js (canvas; pan, zoom, drag): entities as circles sized by how
 * connected they are, relations as labelled arrows, the selected entity and its edges marked.
 * Tapping an entity selects it. Cytoscape is imported when the first graph mounts, so pages
 * without one never load it, and a browser without canvas still has the entity list beside it.
 */
import { useEffect, useRef, useState } from 'react';
import type { Core, ElementDefinition, NodeSingular, StylesheetJson } from 'cytoscape';

import type { GraphEdge, GraphNode } from '../api/get-collection-graph';
import styles from './knowledge.module.css';

interface GraphCanvasProps {
  nodes: readonly GraphNode[];
  edges: readonly GraphEdge[];
  selectedId: number | null;
  onSelect: (entityId: number) => void;
}

const nodeKey = (id: number) => `n${id}`;

function elements(nodes: readonly GraphNode[], edges: readonly GraphEdge[]): ElementDefinition[] {
  const ids = new Set(nodes.map((node) => node.id));
  return [
    ...nodes.map((node) => ({
      data: { id: nodeKey(node.id), entity: node.id, label: node.name, degree: node.degree },
    })),
    // An edge to an entity outside the drawn set (cut by the limit) has nothing to point at.
    ...edges
      .filter((edge) => ids.has(edge.subject) && ids.has(edge.object))
      .map((edge) => ({
        data: {
          id: `e${edge.id}`,
          source: nodeKey(edge.subject),
          target: nodeKey(edge.object),
          label: edge.predicate,
        },
      })),
  ];
}

const STYLE: StylesheetJson = [
  {
    selector: 'node',
    style: {
      label: 'data(label)',
      'background-color': '#2f5bd3',
      color: '#1c1c1a',
      'font-size': 11,
      'text-valign': 'bottom',
      'text-margin-y': 4,
      width: 'mapData(degree, 0, 20, 14, 44)',
      height: 'mapData(degree, 0, 20, 14, 44)',
    },
  },
  {
    selector: 'edge',
    style: {
      label: 'data(label)',
      'font-size': 9,
      color: '#5f5f5a',
      width: 1.5,
      'line-color': '#b9b9b1',
      'target-arrow-color': '#b9b9b1',
      'target-arrow-shape': 'triangle',
      'curve-style': 'bezier',
      'text-rotation': 'autorotate',
      'text-background-color': '#ffffff',
      'text-background-opacity': 0.85,
      'text-background-padding': '2px',
    },
  },
  { selector: 'node.selected', style: { 'background-color': '#d1602b', 'font-weight': 'bold' } },
  {
    selector: 'edge.selected',
    style: { 'line-color': '#d1602b', 'target-arrow-color': '#d1602b', width: 2.5 },
  },
];

/** Marks `entityId` and its edges as selected (and nothing else). */
function mark(cy: Core, entityId: number | null): void {
  cy.elements().removeClass('selected');
  if (entityId === null) return;
  const node = cy.getElementById(nodeKey(entityId));
  node.addClass('selected');
  node.connectedEdges().addClass('selected');
}

export function GraphCanvas({ nodes, edges, selectedId, onSelect }: GraphCanvasProps) {
  const container = useRef<HTMLDivElement>(null);
  const graph = useRef<Core | null>(null);
  const latest = useRef({ onSelect, selectedId });
  const [status, setStatus] = useState<'loading' | 'drawn' | 'failed'>('loading');
  // A new drawing (and layout) only when the graph itself changes.
  const drawn = JSON.stringify(elements(nodes, edges));

  useEffect(() => {
    latest.current = { onSelect, selectedId };
  });

  useEffect(() => {
    const element = container.current;
    if (element === null) return;
    let cancelled = false;
    import('cytoscape')
      .then(({ default: cytoscape }) => {
        if (cancelled) return;
        const cy = cytoscape({
          container: element,
          elements: JSON.parse(drawn) as ElementDefinition[],
          style: STYLE,
          layout: { name: 'cose', animate: false, randomize: false, padding: 40 },
          minZoom: 0.2,
          // A graph of a few nodes would otherwise be blown up to fill the frame.
          maxZoom: 2,
        });
        cy.on('tap', 'node', (event) => {
          const node = event.target as NodeSingular;
          latest.current.onSelect(Number(node.data('entity')));
        });
        mark(cy, latest.current.selectedId);
        graph.current = cy;
        setStatus('drawn');
      })
      .catch(() => {
        if (!cancelled) setStatus('failed');
      });
    return () => {
      cancelled = true;
      graph.current?.destroy();
      graph.current = null;
    };
  }, [drawn]);

  useEffect(() => {
    if (graph.current !== null) mark(graph.current, selectedId);
  }, [selectedId]);

  return (
    <div
      ref={container}
      className={styles.canvas}
      role="img"
      aria-label={`Knowledge graph: ${nodes.length} entities, ${edges.length} relations`}
      data-testid="graph-canvas"
      data-status={status}
      data-node-count={nodes.length}
    />
  );
}

// "Why is this one person?": two of the person's identifiers, and the chain of records,
// events and identifiers that links them (the API's `explain`), drawn as a small graph
// with cytoscape (loaded on first use) and listed as text beside it.
import { Waypoints } from 'lucide-preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, type Api } from './api';
import { IDENTIFIER_COLORS, channelLook, formatDateTime } from './format';
import { TYPE_LABELS } from './identify';
import { EXPLAIN, type ExplanationStep, type IdentifierInput, type PersonIdentifier } from './queries';

const optionKey = (i: { type: string; value: string }) => `${i.type}\u0000${i.value}`;

function stepLabel(step: ExplanationStep): string {
  if (step.identifier) return `${TYPE_LABELS[step.identifier.type] ?? step.identifier.type}\n${step.identifier.value}`;
  const what = step.itemKind === 'event' ? `${channelLook(step.channel ?? 'OTHER').label} event` : 'Record';
  return `${what}\n${step.source ?? ''} ${step.sourceId ?? ''}`.trim();
}

function Graph({ steps }: { steps: ExplanationStep[] }) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    let destroyed = false;
    let cy: { destroy: () => void } | null = null;
    void import('cytoscape').then(({ default: cytoscape }) => {
      if (destroyed || !box.current) return;
      const width = box.current.clientWidth || 600;
      // A chain: in a row when it fits, else down a column with the labels beside it.
      const across = steps.length * 150 <= width;
      const nodes = steps.map((step, i) => {
        const color = step.identifier
          ? IDENTIFIER_COLORS[step.identifier.type] ?? '#6b7280'
          : channelLook(step.channel ?? 'OTHER').color;
        return {
          data: { id: `n${i}`, label: stepLabel(step), color, kind: step.identifier ? 'identifier' : 'item' },
          position: across ? { x: i * 150, y: 0 } : { x: 0, y: i * 58 },
        };
      });
      box.current.style.height = `${across ? 150 : steps.length * 58 + 30}px`;
      const edges = steps.slice(1).map((_, i) => ({ data: { id: `e${i}`, source: `n${i}`, target: `n${i + 1}` } }));
      const graph = cytoscape({
        container: box.current,
        elements: [...nodes, ...edges],
        layout: { name: 'preset', padding: across ? 40 : 20 },
        maxZoom: 1.1,
        userZoomingEnabled: false,
        userPanningEnabled: false,
        boxSelectionEnabled: false,
        autoungrabify: true,
        style: [
          {
            selector: 'node',
            style: {
              label: 'data(label)',
              'text-wrap': 'wrap',
              'text-max-width': '140px',
              'font-size': 11,
              'font-family': 'system-ui, sans-serif',
              color: '#1f2937',
              'text-valign': across ? 'bottom' : 'center',
              'text-halign': across ? 'center' : 'right',
              'text-margin-y': across ? 6 : 0,
              'text-margin-x': across ? 0 : 10,
              'text-justification': across ? 'center' : 'left',
              width: 26,
              height: 26,
            },
          },
          {
            selector: 'node[kind = "identifier"]',
            style: { shape: 'ellipse', 'background-color': 'data(color)' },
          },
          {
            selector: 'node[kind = "item"]',
            style: {
              shape: 'round-rectangle',
              'background-color': '#ffffff',
              'border-width': 3,
              'border-color': 'data(color)',
            },
          },
          {
            selector: 'edge',
            style: { width: 2, 'line-color': '#9ca3af', 'curve-style': 'straight' },
          },
        ],
      });
      if (!across) {
        // the labels stand right of a narrow column: keep the column at the left edge
        graph.zoom(1);
        graph.pan({ x: 30, y: 20 });
      }
      cy = graph;
    });
    return () => {
      destroyed = true;
      cy?.destroy();
    };
  }, [steps]);
  return <div ref={box} class="explain-graph" data-testid="explain-graph" role="img" aria-label="The chain drawn as a graph" />;
}

export function Explain({ api, identifiers, onError }: { api: Api; identifiers: PersonIdentifier[]; onError: (error: unknown) => void }) {
  const options = identifiers.filter((i) => !i.blocked);
  const [a, setA] = useState(() => (options[0] ? optionKey(options[0]) : ''));
  const [b, setB] = useState(() => (options[1] ? optionKey(options[options.length - 1]) : ''));
  const [steps, setSteps] = useState<ExplanationStep[] | null>(null);
  const [message, setMessage] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const pick = (key: string): IdentifierInput | null => {
    const found = options.find((i) => optionKey(i) === key);
    return found ? { type: found.type, value: found.value } : null;
  };

  const run = async () => {
    const left = pick(a);
    const right = pick(b);
    if (!left || !right) return;
    if (a === b) {
      setSteps(null);
      setMessage('Pick two different identifiers.');
      return;
    }
    setBusy(true);
    setMessage(null);
    try {
      const result = await api.data<{ explain: { steps: ExplanationStep[] } | null }>(EXPLAIN, { a: left, b: right });
      if (!result.explain) {
        setSteps(null);
        setMessage('These two identifiers are not linked into one person by any chain (for example a non-linking address).');
      } else {
        setSteps(result.explain.steps);
      }
    } catch (error) {
      if (error instanceof ApiError && error.kind === 'graphql') setMessage(error.message);
      else onError(error);
    } finally {
      setBusy(false);
    }
  };

  if (options.length < 2) return null;
  return (
    <section class="card" aria-labelledby="explain-title">
      <h3 id="explain-title">
        <Waypoints size={16} aria-hidden /> Why is this one person?
      </h3>
      <form
        class="explain-form"
        onSubmit={(e) => {
          e.preventDefault();
          void run();
        }}
      >
        {[
          ['explain-a', 'From', a, setA],
          ['explain-b', 'To', b, setB],
        ].map(([id, label, value, set]) => (
          <label key={id as string} for={id as string}>
            <span>{label as string}</span>
            <select id={id as string} value={value as string} onChange={(e) => (set as (v: string) => void)((e.target as HTMLSelectElement).value)}>
              {options.map((i) => (
                <option key={optionKey(i)} value={optionKey(i)}>
                  {TYPE_LABELS[i.type]}: {i.display[0] ?? i.value}
                </option>
              ))}
            </select>
          </label>
        ))}
        <button type="submit" disabled={busy}>
          {busy ? 'Looking…' : 'Show the chain'}
        </button>
      </form>
      {message && <p class="muted">{message}</p>}
      {steps && (
        <div class="explain-result" data-testid="explain-result">
          <Graph steps={steps} />
          <ol class="explain-steps">
            {steps.map((step, i) => (
              <li key={i} class={step.identifier ? 'step-identifier' : 'step-item'}>
                {step.identifier ? (
                  <>
                    <strong>{TYPE_LABELS[step.identifier.type]}</strong> {step.identifier.value}
                  </>
                ) : (
                  <>
                    {step.itemKind === 'event' ? `${channelLook(step.channel ?? 'OTHER').label} event` : 'record'} <strong>{step.source}</strong> {step.sourceId}
                    {step.at && step.itemKind === 'event' && <span class="muted"> · {formatDateTime(step.at)}</span>}
                  </>
                )}
              </li>
            ))}
          </ol>
        </div>
      )}
    </section>
  );
}

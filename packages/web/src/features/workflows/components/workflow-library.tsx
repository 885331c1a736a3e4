import type { Workflow } from '@framesmith/core/api-schemas';
import { useState } from 'react';
import { Link } from '../../../lib/router.tsx';

/** The library by category: built-ins and imported graphs, each leading to its graph and bindings. */
export function WorkflowLibrary({ workflows }: { workflows: readonly Workflow[] }) {
  const categories = [...new Set(workflows.map((w) => w.category))].sort();
  const [category, setCategory] = useState<string | null>(null);
  const shown = category ? workflows.filter((w) => w.category === category) : workflows;

  return (
    <div className="workflow-library">
      <fieldset className="chips">
        <legend className="sr-only">Filter by category</legend>
        <button
          type="button"
          className="chip"
          aria-pressed={category === null}
          onClick={() => setCategory(null)}
        >
          All ({workflows.length})
        </button>
        {categories.map((c) => (
          <button
            key={c}
            type="button"
            className="chip"
            aria-pressed={category === c}
            onClick={() => setCategory(c)}
          >
            {c} ({workflows.filter((w) => w.category === c).length})
          </button>
        ))}
      </fieldset>
      {shown.length === 0 ? (
        <p className="empty">No workflows in this category.</p>
      ) : (
        <ul className="workflow-grid" aria-label="Workflows">
          {shown.map((w) => (
            <li key={w.id} className="workflow-tile">
              <Link to={`/workflows/${w.id}`} className="workflow-tile__name">
                {w.name}
              </Link>
              <p className="workflow-tile__meta">
                <span className="badge">{w.category}</span>
                {w.builtin ? (
                  <span className="badge badge--builtin">Built-in</span>
                ) : (
                  <span className="badge">Custom</span>
                )}
                <span>{Object.keys(w.graph).length} nodes</span>
              </p>
              {w.description ? <p className="workflow-tile__description">{w.description}</p> : null}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

import { useEffect, useId, useRef, useState } from 'react';
import { ServerIcon } from '../../../components/icons.tsx';
import { formatAgo, formatBytes } from '../../../lib/format.ts';
import {
  type BackendHealth,
  type ComfyHealth,
  takesWork,
  useBackendsHealth,
} from '../api/get-backends-health.ts';
import { useMeta } from '../api/get-meta.ts';

const OVERALL_TEXT: Record<string, string> = {
  healthy: 'All GPU backends healthy',
  degraded: 'Some GPU backends down',
  unhealthy: 'No GPU backend healthy',
  unavailable: 'No GPU backend reachable',
};

const CIRCUIT_TEXT: Record<string, string> = {
  closed: 'closed (accepting work)',
  open: 'open (not sent work for now)',
  halfOpen: 'half-open (testing)',
};

function summary(health: ComfyHealth | undefined): { tone: string; text: string } {
  if (!health) return { tone: 'unknown', text: 'Checking GPU backends…' };
  // Healthy means it takes work now: an open breaker still turns jobs away until its trial call.
  const healthy = health.backends.filter((b) => takesWork(b)).length;
  const total = health.backends.length;
  const tone = total > 0 && healthy === total ? 'ok' : healthy > 0 ? 'warn' : 'bad';
  return { tone, text: total === 0 ? 'No GPU backends' : `${healthy} of ${total} GPU backends healthy` };
}

/** The header's view of the GPU servers: a summary, and each backend's health on request. */
export function BackendsIndicator() {
  const health = useBackendsHealth();
  const meta = useMeta();
  const [open, setOpen] = useState(false);
  const panelId = useId();
  const wrapRef = useRef<HTMLDivElement>(null);
  const s = summary(health.data);
  const simulated = meta.data?.backendMode === 'simulated' || health.data?.simulated === true;

  useEffect(() => {
    if (!open) return;
    const onDown = (e: MouseEvent) => {
      if (wrapRef.current && !wrapRef.current.contains(e.target as Node)) setOpen(false);
    };
    const onKey = (e: KeyboardEvent) => {
      if (e.key !== 'Escape') return;
      setOpen(false);
      wrapRef.current?.querySelector<HTMLButtonElement>('button')?.focus();
    };
    document.addEventListener('mousedown', onDown);
    document.addEventListener('keydown', onKey);
    return () => {
      document.removeEventListener('mousedown', onDown);
      document.removeEventListener('keydown', onKey);
    };
  }, [open]);

  return (
    <div className="backends" ref={wrapRef}>
      {simulated ? (
        <span className="badge badge--sim" title="No GPU is used: the built-in simulator makes test clips">
          Simulated
        </span>
      ) : null}
      <button
        type="button"
        className={`backends__button tone-${health.isError ? 'bad' : s.tone}`}
        aria-expanded={open}
        aria-controls={panelId}
        onClick={() => setOpen((o) => !o)}
      >
        <ServerIcon />
        <span className={`dot tone-${health.isError ? 'bad' : s.tone}`} aria-hidden="true" />
        <span>{health.isError ? 'GPU backends: status unknown' : s.text}</span>
      </button>
      {open ? (
        <section id={panelId} className="backends__panel" aria-label="GPU backends">
          {simulated ? (
            <p className="backends__sim-note">
              Simulated mode: no GPU server is configured, so a built-in simulator makes test clips. Set
              COMFYUI_URL to use real ComfyUI servers.
            </p>
          ) : null}
          {health.data ? (
            <>
              <p className="backends__overall">{OVERALL_TEXT[health.data.status] ?? health.data.status}</p>
              <ul className="backends__list">
                {health.data.backends.map((b) => (
                  <BackendRow key={b.name} backend={b} />
                ))}
              </ul>
            </>
          ) : health.isError ? (
            <p>The health of the GPU backends could not be loaded.</p>
          ) : (
            <p>Checking…</p>
          )}
        </section>
      ) : null}
    </div>
  );
}

function BackendRow({ backend: b }: { backend: BackendHealth }) {
  const tone =
    b.status === 'healthy' ? 'ok' : b.status === 'unhealthy' || b.status === 'unknown' ? 'warn' : 'bad';
  return (
    <li className="backend">
      <p className="backend__name">
        <span className={`dot tone-${tone}`} aria-hidden="true" />
        <strong>{b.name}</strong> <span className={`backend__status tone-${tone}`}>{b.status}</span>
        {b.draining ? <span className="badge">draining</span> : null}
        {!b.enabled ? <span className="badge">disabled</span> : null}
      </p>
      <dl className="backend__facts">
        <div>
          <dt>Latency</dt>
          <dd>{b.latencyMs === null || b.latencyMs === undefined ? '–' : `${Math.round(b.latencyMs)} ms`}</dd>
        </div>
        <div>
          <dt>Queue</dt>
          <dd>
            {b.queueRemaining ?? '–'}
            {b.inFlight > 0 ? ` · ${b.inFlight} ours running` : ''}
          </dd>
        </div>
        <div>
          <dt>Circuit</dt>
          <dd>{CIRCUIT_TEXT[b.circuit] ?? b.circuit}</dd>
        </div>
        {b.devices.map((d) => (
          <div key={d.name}>
            <dt>GPU</dt>
            <dd>
              {d.name}
              {d.vramTotal ? (
                <>
                  {' · '}
                  {formatBytes((d.vramTotal ?? 0) - (d.vramFree ?? 0))} of {formatBytes(d.vramTotal)} VRAM
                  used
                </>
              ) : null}
            </dd>
          </div>
        ))}
        <div>
          <dt>Checked</dt>
          <dd>{b.lastCheckedAt ? formatAgo(b.lastCheckedAt) : 'not yet'}</dd>
        </div>
      </dl>
      {b.lastError && b.status !== 'healthy' ? <p className="backend__error">{b.lastError}</p> : null}
    </li>
  );
}

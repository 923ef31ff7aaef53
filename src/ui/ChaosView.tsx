/**
 * The edge-of-chaos view (`view=chaos` in the link; method.md §8): an untrained vanilla RNN with
 * gain g on a slider, its Lyapunov spectrum (computed in the chaos worker as the slider moves),
 * lambda_1 against g for several seeds beside the mean-field curve, and the Kaplan-Yorke dimension.
 * Numbers come from src/core/dynamics/chaosView.ts; this component only wires and draws.
 */
import { useEffect, useMemo, useRef, useState } from 'react';
import { CHAOS_VIEW, chaosFigure, driveFromDigits, sweepFitsView, sweepSpectrumAt } from '../core/dynamics/chaosView';
import type { ChaosSpectrum, ChaosSweep } from '../core/dynamics/edgeOfChaos';
import { useChaosReplayStore } from '../store/chaosReplayStore';
import { useRunStore } from '../store/runStore';
import { type ChaosClient, createChaosClient } from '../app/chaosClient';
import { EmptyState, PanelFrame } from './panels/PanelFrame';
import { useRenderer } from './panels/useRenderer';
import { renderChaosCurve, renderChaosSpectrum } from './renderers/chaos';

const HIDDEN_CHOICES = [16, 32, 64, 128, 256, 512];

export function ChaosView() {
  const gain = useRunStore((s) => s.gain);
  const chaosHidden = useRunStore((s) => s.chaosHidden);
  const chaosInput = useRunStore((s) => s.chaosInput);
  const logBase = useRunStore((s) => s.logBase);
  const probe = useRunStore((s) => s.probe);
  const set = useRunStore((s) => s.set);
  const [spectrum, setSpectrum] = useState<{
    r: ChaosSpectrum;
    hidden: number;
    driven: boolean;
    ms: number;
    engine: 'gpu' | 'cpu';
    fallback?: string;
  } | null>(null);
  const [curve, setCurve] = useState<{ r: ChaosSweep; ms: number } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const client = useRef<ChaosClient | null>(null);
  const asked = useRef<{ hidden: number; driven: boolean }>({ hidden: chaosHidden, driven: false });

  useEffect(() => {
    const c = createChaosClient({
      onSpectrum: (r, ms, engine, fallback) => {
        setError(null);
        setSpectrum({ r, hidden: asked.current.hidden, driven: asked.current.driven, ms, engine, fallback });
      },
      onCurve: (r, ms) => setCurve({ r, ms }),
      onError: (m) => setError(m),
    });
    client.current = c;
    return () => c.dispose();
  }, []);

  const drive = useMemo(
    () => (chaosInput === 'probe' && probe ? driveFromDigits(probe.digits, probe.stepToCells, probe.side) : null),
    [chaosInput, probe],
  );
  // All N exponents are asked for; the worker computes the leading CHAOS_VIEW.cpuMaxK on the CPU.
  const k = chaosHidden;
  // A gallery sweep replays while the view's settings are its own: its gains need no computing.
  const replay = useChaosReplayStore((s) => s.replay);
  const fits = replay !== null && sweepFitsView(replay.sweep, chaosHidden, drive !== null);
  const replayed = useMemo(() => (fits ? sweepSpectrumAt(replay.sweep, gain) : null), [fits, replay, gain]);

  useEffect(() => {
    asked.current = { hidden: chaosHidden, driven: drive !== null };
    if (!replayed) client.current?.request({ type: 'spectrum', g: gain, hidden: chaosHidden, k, drive });
  }, [gain, chaosHidden, k, drive, replayed]);
  useEffect(() => {
    setCurve(null);
    if (!fits) client.current?.request({ type: 'curve', hidden: chaosHidden, drive });
  }, [chaosHidden, drive, fits]);

  const shown = useMemo(
    () => (replayed ? { r: replayed, hidden: chaosHidden, driven: false } : spectrum),
    [replayed, chaosHidden, spectrum],
  );
  const shownCurve = fits ? replay.sweep : (curve?.r ?? null);
  const fig = useMemo(
    () => (shown ? chaosFigure(shown.r, shown.hidden, shown.driven, shownCurve, logBase) : null),
    [shown, shownCurve, logBase],
  );
  const specRef = useRenderer<SVGSVGElement>((el) => fig && renderChaosSpectrum(el, fig), [fig]);
  const curveRef = useRenderer<SVGSVGElement>((el) => fig && renderChaosCurve(el, fig, [CHAOS_VIEW.minGain, CHAOS_VIEW.maxGain]), [fig]);
  const pending =
    !replayed && (!spectrum || spectrum.r.g !== gain || spectrum.hidden !== chaosHidden || spectrum.driven !== (drive !== null));

  return (
    <main className="chaos-view" data-testid="chaos-view">
      <PanelFrame
        title="Edge of chaos: a random network's Lyapunov spectrum against its gain"
        testId="chaos-panel"
        explanation={
          <>
            <p>
              An untrained vanilla RNN h_t = tanh(g W h_(t−1) + U x_t) with W_ij ~ N(0, 1/N). Below g ≈ 1 every exponent is negative: nearby
              states converge. Above it the largest exponent λ1 turns positive: the network is chaotic. Mean-field theory (N → ∞,
              Sompolinsky, Crisanti &amp; Sommers 1988) predicts λ1 = ln g below the transition; the dots are finite networks (one per
              seed), the band their mean ± 2 std. Input suppresses chaos: switch to the probe digits to see it.
            </p>
            <p>
              The Kaplan–Yorke dimension counts how many directions the attractor spreads in. Spectrum: {CHAOS_VIEW.transient} steps
              discarded, {CHAOS_VIEW.steps} averaged, k = N exponents on a GPU, min(N, {CHAOS_VIEW.cpuMaxK}) on the CPU; computed off the
              main thread.
            </p>
          </>
        }
        actions={
          <>
            <button type="button" data-testid="chaos-back" onClick={() => set({ view: 'run' })}>
              ← Training workbench
            </button>
            <button
              type="button"
              data-testid="chaos-units"
              aria-pressed={logBase === '2'}
              aria-label="Show exponents in bits per step (log2)"
              onClick={() => set({ logBase: logBase === '2' ? 'e' : '2' })}
            >
              {logBase === '2' ? 'bits/step' : 'ln/step'}
            </button>
          </>
        }
      >
        <div className="chaos-controls">
          <label>
            gain g{' '}
            <input
              type="range"
              data-testid="chaos-gain"
              min={CHAOS_VIEW.minGain}
              max={CHAOS_VIEW.maxGain}
              step={CHAOS_VIEW.gainStep}
              value={gain}
              onChange={(e) => set({ gain: Number(e.target.value) })}
            />{' '}
            <output data-testid="chaos-gain-value">{gain.toFixed(2)}</output>
          </label>
          <label>
            hidden units N{' '}
            <select data-testid="chaos-hidden" value={chaosHidden} onChange={(e) => set({ chaosHidden: Number(e.target.value) })}>
              {(HIDDEN_CHOICES.includes(chaosHidden) ? HIDDEN_CHOICES : [...HIDDEN_CHOICES, chaosHidden].sort((a, b) => a - b)).map((n) => (
                <option key={n} value={n}>
                  {n}
                </option>
              ))}
            </select>
          </label>
          <label>
            input{' '}
            <select data-testid="chaos-input" value={chaosInput} onChange={(e) => set({ chaosInput: e.target.value as 'zero' | 'probe' })}>
              <option value="zero">none (autonomous)</option>
              <option value="probe" disabled={!probe}>
                the probe digits
              </option>
            </select>
          </label>
          <span
            data-testid="chaos-status"
            role="status"
            data-state={pending ? 'computing' : 'ready'}
            data-source={replayed ? 'replay' : 'live'}
            data-engine={replayed || pending ? undefined : spectrum!.engine}
            title={replayed || pending ? undefined : spectrum!.fallback}
          >
            {replayed
              ? 'replayed from the gallery'
              : pending
                ? 'computing…'
                : `spectrum in ${Math.round(spectrum!.ms)} ms on the ${spectrum!.engine === 'gpu' ? 'GPU' : 'CPU'}${spectrum!.fallback ? ' (GPU failed)' : ''}`}
          </span>
        </div>
        {fits ? (
          <div className="chaos-replay" data-testid="chaos-replay">
            <p className="muted">
              Replaying “{replay.title}” (<code>{replay.command}</code>, shipped in the gallery): at g = {replay.sweep.gains.join(', ')}{' '}
              nothing is computed; other gains, N or the probe input compute live.
            </p>
            {replay.sweep.gains.map((g) => (
              <button
                key={g}
                type="button"
                data-testid="chaos-replay-gain"
                data-g={g}
                aria-pressed={Math.abs(g - gain) < 1e-9}
                onClick={() => set({ gain: g })}
              >
                g = {g}
              </button>
            ))}
          </div>
        ) : null}
        {chaosInput === 'probe' && !probe ? (
          <p className="verdict verdict-neutral">No probe digits loaded yet: showing zero input.</p>
        ) : null}
        {error ? (
          <p className="verdict verdict-warn" role="alert" data-testid="chaos-error">
            {error}
          </p>
        ) : null}
        {fig ? (
          <>
            <p
              className="verdict"
              data-testid="chaos-summary"
              data-g={fig.g}
              data-lambda1={fig.lambda1}
              data-ky={fig.kaplanYorke}
              data-meanfield={fig.meanfieldAtG}
            >
              {fig.summary}
            </p>
            <div className="chaos-charts">
              <figure>
                <svg ref={specRef} data-testid="chaos-spectrum-plot" role="img" aria-label="Lyapunov spectrum at the chosen gain" />
                <figcaption>
                  Spectrum at g = {fig.g.toFixed(2)} ({fig.unit}); Kaplan–Yorke dimension{' '}
                  <span data-testid="chaos-ky">{fig.kaplanYorke.toFixed(2)}</span>
                </figcaption>
              </figure>
              <figure>
                <svg
                  ref={curveRef}
                  data-testid="chaos-curve-plot"
                  role="img"
                  aria-label="Largest exponent against gain, with mean-field theory"
                />
                <figcaption data-testid="chaos-curve-caption" data-ready={shownCurve ? '1' : '0'}>
                  λ1 against g: {shownCurve ? shownCurve.seeds.length : CHAOS_VIEW.curveSeeds.length} seeds (dots, band ± 2 std) and
                  mean-field theory (line)
                  {shownCurve ? '' : ' — computing the seeds…'}
                </figcaption>
              </figure>
            </div>
          </>
        ) : (
          <EmptyState>Computing the first spectrum…</EmptyState>
        )}
      </PanelFrame>
    </main>
  );
}

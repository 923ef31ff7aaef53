import { useEffect, useLayoutEffect, useState } from 'react';
import { StoryButton } from './Story';

interface TourStep {
  /** data-testid of the element to point at. */
  target: string;
  title: string;
  text: string;
}

/** One epoch, explained in the order a newcomer meets it. */
const STEPS: TourStep[] = [
  {
    target: 'train-toggle',
    title: '1. Train',
    text: 'Start trains a real tanh RNN on real MNIST digits in a background worker (GPU via WebGL when available). Step runs exactly one epoch.',
  },
  {
    target: 'epoch-slider',
    title: '2. Epochs',
    text: 'After every epoch the network is frozen and analysed on fixed probe digits. Scrub back to any epoch; training goes on meanwhile. Arrow keys work too.',
  },
  {
    target: 'pixel-heatmap',
    title: '3. Where the dynamics expand',
    text: 'Each pixel is coloured by s_t(n), the mean of ln r_1..n at the step that pixel is fed: red = the hidden state is stretched there, blue = squeezed. Hover a pixel for its numbers.',
  },
  {
    target: 'spectrum-plot',
    title: '4. Lyapunov spectrum',
    text: 'The finite-time Lyapunov exponents: average log stretching per step along each Q direction. Positive = chaotic, negative = forgetting.',
  },
  {
    target: 'flip-plot',
    title: '5. The flip test, honestly',
    text: 'The paper claims flipping the most-expanding pixels (rows, in the row-wise encoding) hurts more than random ones. The verdict line says what the statistics allow. Compare R-top with random and with the controls (saliency, last-k…): filled markers are significant after Holm correction.',
  },
  {
    target: 'alignment-plot',
    title: '6. Gradient alignment, with its null',
    text: 'Do gradient singular vectors align with the top Q vectors? Compare with the null 1/sqrt(N) and with the controls — W_hh’s own singular vectors often align just as well.',
  },
  {
    target: 'logits-plot',
    title: '7. What the network says',
    text: 'Class probabilities for the original digit, the R-flipped one and a randomly flipped one.',
  },
  {
    target: 'chaos-link',
    title: '8. Beyond the paper: the edge of chaos',
    text: 'An untrained random network: drag its gain g and watch the largest exponent cross zero near g = 1, beside mean-field theory. Input suppresses chaos: drive it with the probe digits.',
  },
];

/** A guided tour: a popover next to each panel in turn, with the panel outlined. */
export function Tour() {
  const [step, setStep] = useState<number | null>(null);
  const [rect, setRect] = useState<DOMRect | null>(null);

  useLayoutEffect(() => {
    if (step === null) return;
    const el = document.querySelector<HTMLElement>(`[data-testid="${STEPS[step].target}"]`);
    if (!el) {
      setRect(null);
      return;
    }
    el.scrollIntoView({ block: 'center', behavior: 'auto' });
    el.classList.add('tour-highlight');
    setRect(el.getBoundingClientRect());
    return () => el.classList.remove('tour-highlight');
  }, [step]);

  useEffect(() => {
    if (step === null) return;
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape') setStep(null);
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [step]);

  const s = step === null ? null : STEPS[step];
  const top = rect ? Math.min(window.innerHeight - 200, Math.max(8, rect.bottom + 8)) : 80;
  const left = rect ? Math.min(window.innerWidth - 340, Math.max(8, rect.left)) : 80;
  return (
    <>
      <button type="button" data-testid="tour-start" onClick={() => setStep(0)}>
        Guided tour
      </button>
      <StoryButton />
      {s && step !== null && (
        <div
          className="tour-popover"
          role="dialog"
          aria-modal="false"
          aria-label={s.title}
          style={{ top, left }}
          data-testid="tour-popover"
        >
          <strong>{s.title}</strong>
          <p>{s.text}</p>
          {!rect && <p className="muted">(This panel appears once the first epoch is analysed.)</p>}
          <div className="tour-buttons">
            <button type="button" disabled={step === 0} onClick={() => setStep(step - 1)}>
              Back
            </button>
            {step < STEPS.length - 1 ? (
              <button type="button" className="primary" onClick={() => setStep(step + 1)}>
                Next
              </button>
            ) : (
              <button type="button" className="primary" onClick={() => setStep(null)}>
                Done
              </button>
            )}
            <button type="button" aria-label="Close the tour" onClick={() => setStep(null)}>
              ×
            </button>
          </div>
        </div>
      )}
    </>
  );
}

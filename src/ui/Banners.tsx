import { useRunStore } from '../store/runStore';
import { restartWorkers } from '../app/controller';

/**
 * Messages for the user. Errors carry data-testid="error-banner" (visible only when something is
 * wrong, as automation expects); warnings and notes use their own test ids.
 */
export function Banners() {
  const banners = useRunStore((s) => s.banners);
  const dismiss = useRunStore((s) => s.dismissBanner);
  if (banners.length === 0) return null;
  return (
    <section className="banners" aria-label="Messages">
      {banners.map((b) => (
        <div
          key={b.id}
          className={`banner banner-${b.kind}`}
          role={b.kind === 'error' ? 'alert' : 'status'}
          data-testid={b.kind === 'error' ? 'error-banner' : `${b.kind}-banner`}
        >
          <span className="banner-text">{b.message}</span>
          {b.message.includes('Restart worker') && (
            <button
              type="button"
              onClick={() => {
                dismiss(b.id);
                restartWorkers();
              }}
            >
              Restart worker
            </button>
          )}
          <button type="button" aria-label="Dismiss message" onClick={() => dismiss(b.id)}>
            ×
          </button>
        </div>
      ))}
    </section>
  );
}

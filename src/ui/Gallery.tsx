import { useEffect, useState } from 'react';
import { loadGallery, openGalleryRun, type GalleryItem } from '../app/gallery';

/**
 * Finished runs to open at once (public/gallery/): a disclosure listing each run with one button;
 * the run is replayed with every panel, as an imported bundle.
 */
export function Gallery() {
  const [open, setOpen] = useState(false);
  const [items, setItems] = useState<GalleryItem[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [opening, setOpening] = useState<string | null>(null);
  useEffect(() => {
    if (!open || items || error) return;
    loadGallery().then(setItems, (e: Error) => setError(e.message));
  }, [open, items, error]);
  return (
    <details className="gallery" data-testid="gallery" onToggle={(e) => setOpen((e.target as HTMLDetailsElement).open)}>
      <summary>Finished runs</summary>
      <div className="gallery-body">
        {error ? <p role="alert">The gallery could not be loaded: {error}</p> : null}
        {!items && !error ? <p className="muted">Loading the gallery…</p> : null}
        {items ? (
          <ul>
            {items.map((item) => (
              <li key={item.id}>
                <button
                  type="button"
                  data-testid="gallery-item"
                  data-id={item.id}
                  disabled={opening !== null}
                  onClick={() => {
                    setOpening(item.id);
                    void openGalleryRun(item).finally(() => setOpening(null));
                  }}
                >
                  {opening === item.id ? 'Opening…' : item.title}
                </button>{' '}
                <span className="muted">
                  {item.description} ({(item.bytes / 1e6).toFixed(1)} MB;{' '}
                  <code>
                    ftle-lab {item.command ?? 'run'} {item.args.join(' ')}
                  </code>
                  )
                </span>
              </li>
            ))}
          </ul>
        ) : null}
      </div>
    </details>
  );
}

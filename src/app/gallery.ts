/**
 * The gallery of finished runs shipped in public/gallery/ (written by `npm run gallery`,
 * scripts/gallery.mjs): its manifest (ftle-lab.gallery/v1, docs/formats.md) and opening one run,
 * which is replayed exactly as an imported bundle (files.ts replayBundle). A missing or corrupt
 * file gets one message and the current run is left as it was.
 */
import { parseRunBundle } from '../core/formats/bundle';
import { parseChaosFile } from '../core/formats/chaos';
import { FormatError } from '../core/formats/errors';
import { useChaosReplayStore } from '../store/chaosReplayStore';
import { useRunStore } from '../store/runStore';
import { replayBundle } from './files';

export const GALLERY_FORMAT = 'ftle-lab.gallery/v1';

/**
 * One finished run of the gallery: its file under public/gallery/ and the `ftle-lab <command>`
 * flags that wrote it (`run`: a run bundle; `chaos`: an edge-of-chaos sweep, opened in the chaos view).
 */
export interface GalleryItem {
  id: string;
  title: string;
  description: string;
  /** The CLI command that wrote the file; absent = `run`. */
  command?: 'run' | 'chaos';
  args: string[];
  file: string;
  /** Size of the file in bytes. */
  bytes: number;
}

const galleryUrl = (file: string) => new URL(`gallery/${file}`, document.baseURI).href;

/** The gallery's manifest (public/gallery/index.json); throws with a reason when it cannot be read. */
export async function loadGallery(): Promise<GalleryItem[]> {
  const res = await fetch(galleryUrl('index.json'));
  if (!res.ok) throw new Error(`the gallery's index could not be fetched (HTTP ${res.status})`);
  const m = (await res.json()) as { format?: string; items?: GalleryItem[] };
  if (m.format !== GALLERY_FORMAT || !Array.isArray(m.items)) throw new FormatError('format', `expected ${GALLERY_FORMAT}`);
  return m.items;
}

/**
 * Opens one gallery run: fetched, validated as a run bundle, replayed with every panel; a chaos
 * sweep opens the edge-of-chaos view at its first gain with its N, replayed at its gains (the
 * current run is left as it was).
 */
export async function openGalleryRun(item: GalleryItem): Promise<void> {
  const store = useRunStore.getState();
  try {
    const res = await fetch(galleryUrl(item.file));
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    const text = await res.text();
    if (item.command === 'chaos') {
      const sweep = parseChaosFile(text);
      useChaosReplayStore.getState().set({ title: item.title, command: `ftle-lab chaos ${item.args.join(' ')}`, sweep });
      store.set({ view: 'chaos', gain: sweep.gains[0], chaosHidden: sweep.hidden, chaosInput: 'zero' });
      return;
    }
    await replayBundle(parseRunBundle(text));
  } catch (e) {
    store.addBanner('error', `Could not open the gallery run “${item.title}”: ${(e as Error).message}. Nothing was changed.`);
  }
}

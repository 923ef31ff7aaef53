import { useRef } from 'react';
import { loadIdxFiles } from '../app/controller';
import { exportModel, exportRun, importFile } from '../app/files';
import { downloadJson } from './download';
import { useRunStore } from '../store/runStore';

/** Largest IDX file accepted (bytes): full MNIST train images are 47 MB raw. */
const MAX_IDX_BYTES = 120 * 1024 * 1024;

/**
 * Files: load your own MNIST-format IDX files (train/t10k images + labels, .gz allowed), import a
 * run bundle / model / probe file, export the run bundle or the current model.
 */
export function RunFiles() {
  const idxRef = useRef<HTMLInputElement>(null);
  const importRef = useRef<HTMLInputElement>(null);
  const addBanner = useRunStore((s) => s.addBanner);
  const hasEpochs = useRunStore((s) => s.epochs.length > 0);
  const dataSource = useRunStore((s) => s.dataSource);

  const onIdx = async (files: FileList | null) => {
    if (!files || files.length === 0) return;
    const list = Array.from(files);
    const big = list.find((f) => f.size > MAX_IDX_BYTES);
    if (big) {
      addBanner(
        'error',
        `Could not load ${big.name}: ${(big.size / 1e6).toFixed(0)} MB is over the ${MAX_IDX_BYTES / 1e6} MB limit for one IDX file. Nothing was changed.`,
      );
      return;
    }
    const buffers = await Promise.all(list.map(async (f) => ({ name: f.name, buffer: await f.arrayBuffer() })));
    await loadIdxFiles(buffers);
  };

  return (
    // biome-ignore lint/a11y/useSemanticElements: a labelled group of buttons; a fieldset would add form semantics and a border
    <div className="run-files" role="group" aria-label="Files">
      <label className="file-button">
        <span>Load IDX files…</span>
        <input
          ref={idxRef}
          type="file"
          multiple
          accept=".gz,.idx,.idx1-ubyte,.idx3-ubyte,application/octet-stream,application/gzip"
          data-testid="load-idx"
          aria-label="Load MNIST-format IDX files (train and t10k images and labels)"
          onChange={(e) => {
            void onIdx(e.target.files);
            e.target.value = '';
          }}
        />
      </label>
      <label className="file-button">
        <span>Import…</span>
        <input
          ref={importRef}
          type="file"
          accept=".json,application/json"
          data-testid="import-file"
          aria-label="Import a run bundle, model file or probe file"
          onChange={(e) => {
            const f = e.target.files?.[0];
            if (f) void importFile(f);
            e.target.value = '';
          }}
        />
      </label>
      <button type="button" data-testid="export-run" disabled={!hasEpochs} onClick={() => void exportRun(downloadJson)}>
        Export run
      </button>
      <button type="button" data-testid="export-model" onClick={() => void exportModel(downloadJson)}>
        Export model
      </button>
      <span className="data-source" title="Where the digits come from">
        {dataSource}
      </span>
    </div>
  );
}

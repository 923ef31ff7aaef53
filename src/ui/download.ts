/**
 * Browser downloads: the panels' SVG/PNG exports and the run and model files. UI-only (DOM), no
 * store, worker or controller behind it.
 */

/** Starts a browser download of `blob` under `filename`. */
export function downloadBlob(blob: Blob, filename: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  document.body.appendChild(a);
  a.click();
  a.remove();
  // Revoke later: some browsers read the URL asynchronously after click().
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** Offers JSON text as a download named `name`. */
export function downloadJson(name: string, text: string): void {
  downloadBlob(new Blob([text], { type: 'application/json' }), name);
}

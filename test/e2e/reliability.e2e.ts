/**
 * Reliability in a real browser: snapshots survive a reload (IndexedDB), a corrupt import is
 * refused and changes nothing, a NaN learning rate in the URL is refused by name, a diverging run
 * rolls back and explains, a lost WebGL context is recovered from the CPU copy, and a soak run
 * keeps the tensor count flat and the page heap bounded.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { baseURL, loadFresh, openSession, type Session } from './browser';
import { createRng } from '../../src/core/rng';
import { loadMnistAsset } from '../../src/data/mnistAsset';

async function state(s: Session) {
  return s.page.evaluate(() => {
    const st = (window as unknown as { ftleLab: { store: { getState: () => Record<string, unknown> } } }).ftleLab.store.getState();
    const epochs = st.epochs as { epoch: number; metrics: { numTensors: number; testAcc: number } }[];
    return {
      epochs: epochs.map((e) => e.epoch),
      tensors: epochs.map((e) => e.metrics.numTensors),
      status: st.status as string,
      trainedEpoch: st.trainedEpoch as number,
      banners: (st.banners as { kind: string; message: string }[]).map((b) => `${b.kind}: ${b.message}`),
      engine: (st.engineInfo as { engine: string } | null)?.engine ?? null,
    };
  });
}

async function waitReady(s: Session) {
  await expect.poll(async () => s.page.getByTestId('train-toggle').isEnabled(), { timeout: 90_000 }).toBe(true);
}

describe('reliability', () => {
  const profile = mkdtempSync(join(tmpdir(), 'ftle-lab-profile-'));
  let s: Session;
  beforeAll(async () => {
    mkdirSync('test/artifacts', { recursive: true });
    s = await openSession({ width: 1366, height: 768 }, profile);
  });
  afterAll(async () => {
    await s?.close();
    rmSync(profile, { recursive: true, force: true });
  });

  it('restores every snapshot after a reload, and refuses a corrupt file without touching the run', async () => {
    const { page } = s;
    await page.goto(`${baseURL()}#preset=quick&epochs=2&seed=11&subset=0.25`);
    await waitReady(s);
    await page.getByTestId('train-toggle').click();
    await expect.poll(async () => (await state(s)).epochs.length, { timeout: 240_000 }).toBe(3);
    // The UI says when the newest epoch is committed to IndexedDB; a reload from then on loses nothing.
    const saveState = page.getByTestId('save-state');
    await expect
      .poll(async () => [await saveState.getAttribute('data-epoch'), await saveState.getAttribute('data-writing')], { timeout: 30_000 })
      .toEqual(['2', '0']);
    expect(await saveState.textContent()).toMatch(/saved through epoch 2/);
    await page.reload();
    await expect.poll(async () => (await state(s)).epochs, { timeout: 60_000 }).toEqual([0, 1, 2]);

    const junk = join(profile, 'corrupt.json');
    const rng = createRng(3);
    writeFileSync(junk, Buffer.from(Array.from({ length: 4096 }, () => rng.int(256))));
    await page.getByTestId('import-file').setInputFiles(junk);
    await expect.poll(async () => page.getByTestId('error-banner').first().isVisible()).toBe(true);
    expect(await page.getByTestId('error-banner').first().textContent()).toMatch(/corrupt\.json/);
    expect((await state(s)).epochs).toEqual([0, 1, 2]);

    const truncated = join(profile, 'truncated.model.json');
    writeFileSync(truncated, '{"format": "ftle-lab.model/v1", "arch": "rnn", "input_size": 28, "hidden_size": 16, "tensors": {');
    await page.getByTestId('import-file').setInputFiles(truncated);
    await expect.poll(async () => (await state(s)).banners.some((b) => b.includes('truncated.model.json'))).toBe(true);
    expect((await state(s)).epochs).toEqual([0, 1, 2]);
  });

  it('a full storage quota is shown and the in-memory run keeps going', async () => {
    const other = await s.context.newPage();
    // Every IndexedDB write fails as a browser with a full quota makes it fail.
    await other.addInitScript(() => {
      IDBObjectStore.prototype.put = () => {
        throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
      };
    });
    await other.goto(`${baseURL()}#preset=quick&epochs=2&seed=21&subset=0.25`);
    await expect.poll(async () => other.getByTestId('train-toggle').isEnabled(), { timeout: 90_000 }).toBe(true);
    await other.getByTestId('train-toggle').click();
    const stateOf = () =>
      other.evaluate(() => {
        const st = (
          window as unknown as {
            ftleLab: { store: { getState: () => { epochs: { epoch: number }[]; banners: { kind: string; message: string }[] } } };
          }
        ).ftleLab.store.getState();
        return { epochs: st.epochs.map((e) => e.epoch), banners: st.banners.map((b) => `${b.kind}: ${b.message}`) };
      });
    await expect.poll(async () => (await stateOf()).epochs, { timeout: 120_000 }).toEqual([0, 1, 2]);
    const banners = (await stateOf()).banners;
    expect(banners.some((b) => /^warning: .*quota/i.test(b) && /continues in memory/.test(b))).toBe(true);
    await other.close();
  });

  it("trains on the user's own IDX files; a truncated IDX file is refused and changes nothing", async () => {
    const { page } = s;
    // Four standard IDX files (the last two gzipped) built from real digits of the bundled asset.
    const ds = await loadMnistAsset(readFileSync('public/data/mnist-10k.bin'));
    const idxImages = (images: Uint8Array, n: number) => {
      const head = Buffer.alloc(16);
      head.writeUInt32BE(0x803, 0);
      head.writeUInt32BE(n, 4);
      head.writeUInt32BE(28, 8);
      head.writeUInt32BE(28, 12);
      return Buffer.concat([head, Buffer.from(images.subarray(0, n * 784))]);
    };
    const idxLabels = (labels: Uint8Array, n: number) => {
      const head = Buffer.alloc(8);
      head.writeUInt32BE(0x801, 0);
      head.writeUInt32BE(n, 4);
      return Buffer.concat([head, Buffer.from(labels.subarray(0, n))]);
    };
    const dir = join(profile, 'idx');
    mkdirSync(dir, { recursive: true });
    const files = {
      'train-images-idx3-ubyte': idxImages(ds.train.images, 3000),
      'train-labels-idx1-ubyte': idxLabels(ds.train.labels, 3000),
      't10k-images-idx3-ubyte.gz': gzipSync(idxImages(ds.test.images, 500)),
      't10k-labels-idx1-ubyte.gz': gzipSync(idxLabels(ds.test.labels, 500)),
    };
    for (const [name, bytes] of Object.entries(files)) writeFileSync(join(dir, name), bytes);

    await loadFresh(page, `${baseURL()}#preset=quick&epochs=1&seed=17`);
    await waitReady(s);
    await expect.poll(async () => (await state(s)).epochs, { timeout: 60_000 }).toEqual([0]);
    // A truncated images file: refused with the byte counts, the current run untouched.
    const bad = join(dir, 'bad');
    mkdirSync(bad, { recursive: true });
    writeFileSync(join(bad, 'train-images-idx3-ubyte'), files['train-images-idx3-ubyte'].subarray(0, 5000));
    for (const name of ['train-labels-idx1-ubyte', 't10k-images-idx3-ubyte.gz', 't10k-labels-idx1-ubyte.gz'])
      writeFileSync(join(bad, name), files[name as keyof typeof files]);
    await page
      .getByTestId('load-idx')
      .setInputFiles(
        ['train-images-idx3-ubyte', 'train-labels-idx1-ubyte', 't10k-images-idx3-ubyte.gz', 't10k-labels-idx1-ubyte.gz'].map((n) =>
          join(bad, n),
        ),
      );
    await expect
      .poll(
        async () => (await state(s)).banners.some((b) => /train images file: expected 2352016 bytes for 3000x28x28, got 5000/.test(b)),
        { timeout: 30_000 },
      )
      .toBe(true);
    expect((await state(s)).epochs).toEqual([0]);
    expect(await page.getByTestId('error-banner').first().isVisible()).toBe(true);

    // The good files: a new run on them, which learns.
    await page.getByTestId('load-idx').setInputFiles(Object.keys(files).map((n) => join(dir, n)));
    await expect
      .poll(
        async () =>
          page.evaluate(
            () =>
              (window as unknown as { ftleLab: { store: { getState: () => { dataSource: string } } } }).ftleLab.store.getState().dataSource,
          ),
        { timeout: 60_000 },
      )
      .toMatch(/^idx:.*3000 train \/ 500 test/);
    await waitReady(s);
    await page.getByTestId('train-toggle').click();
    await expect.poll(async () => (await state(s)).epochs, { timeout: 120_000 }).toEqual([0, 1]);
    const acc = await page.evaluate(
      () =>
        (
          window as unknown as { ftleLab: { store: { getState: () => { epochs: { metrics: { testAcc: number } }[] } } } }
        ).ftleLab.store.getState().epochs[1].metrics.testAcc,
    );
    expect(acc).toBeGreaterThan(0.3);
  });

  it('refuses a NaN learning rate in the URL, naming the key', async () => {
    const { page } = s;
    await loadFresh(page, `${baseURL()}#preset=quick&lr=NaN&seed=12`);
    const banner = page.getByTestId('error-banner').first();
    await expect.poll(async () => banner.isVisible(), { timeout: 30_000 }).toBe(true);
    expect(await banner.textContent()).toMatch(/\blr\b/);
  });

  it('rolls back a diverging run and says what to change', async () => {
    const { page } = s;
    // A NaN injected into W_hh mid-training (the rehearsal hook) stands in for an exploding run.
    await loadFresh(page, `${baseURL()}#preset=quick&epochs=40&seed=13&subset=0.25`);
    await waitReady(s);
    await page.getByTestId('train-toggle').click();
    await expect.poll(async () => (await state(s)).epochs.length, { timeout: 120_000 }).toBeGreaterThanOrEqual(2);
    await page.evaluate(() => (window as unknown as { ftleLab: { simulateDivergence: () => void } }).ftleLab.simulateDivergence());
    await expect.poll(async () => (await state(s)).banners.some((b) => /diverged/i.test(b)), { timeout: 120_000 }).toBe(true);
    const st = await state(s);
    expect(st.banners.find((b) => /diverged/i.test(b))).toMatch(/learning rate/);
    expect(st.status).toBe('paused');
    // Nothing computed was lost, and training goes on from the rolled-back weights.
    const kept = st.epochs.slice();
    expect(kept).toEqual(Array.from({ length: kept.length }, (_, i) => i));
    await page.getByTestId('train-toggle').click();
    await expect.poll(async () => (await state(s)).epochs.length, { timeout: 240_000 }).toBeGreaterThan(kept.length + 1);
    await page.getByTestId('train-toggle').click();
  });

  it('shows a worker crash with its message and restarts the worker without losing a snapshot', async () => {
    const { page } = s;
    await loadFresh(page, `${baseURL()}#preset=quick&epochs=3&seed=16&subset=0.25`);
    await waitReady(s);
    await page.getByTestId('step-epoch').click();
    await expect.poll(async () => (await state(s)).epochs, { timeout: 120_000 }).toEqual([0, 1]);
    await page.evaluate(() => (window as unknown as { ftleLab: { simulateWorkerCrash: () => void } }).ftleLab.simulateWorkerCrash());
    const banner = page.getByTestId('error-banner').first();
    await expect
      .poll(async () => (await banner.isVisible()) && ((await banner.textContent()) ?? ''), { timeout: 30_000 })
      .toMatch(/rehearsed worker crash/);
    await page.getByRole('button', { name: 'Restart worker' }).click();
    await waitReady(s);
    expect((await state(s)).epochs).toEqual([0, 1]);
    await page.getByTestId('train-toggle').click();
    await expect.poll(async () => (await state(s)).epochs, { timeout: 240_000 }).toEqual([0, 1, 2, 3]);
  });

  it('recovers from a lost WebGL context and keeps training', async () => {
    const { page } = s;
    await loadFresh(page, `${baseURL()}#preset=quick&epochs=3&seed=14&subset=0.25&backend=tfjs-webgl`);
    await waitReady(s);
    expect((await state(s)).engine).toBe('tfjs-webgl');
    await page.getByTestId('train-toggle').click();
    await expect.poll(async () => (await state(s)).epochs.length, { timeout: 120_000 }).toBeGreaterThanOrEqual(2);
    await page.evaluate(() => (window as unknown as { ftleLab: { simulateContextLoss: () => void } }).ftleLab.simulateContextLoss());
    await expect.poll(async () => (await state(s)).banners.some((b) => /context was lost/i.test(b)), { timeout: 120_000 }).toBe(true);
    // The banner says where training went on: a new context for the same engine, or its fallback.
    expect((await state(s)).banners.find((b) => /context was lost/i.test(b))).toMatch(/continues on tfjs-(webgl|wasm|cpu) \((GPU|CPU) · /);
    await expect.poll(async () => (await state(s)).epochs, { timeout: 240_000 }).toEqual([0, 1, 2, 3]);
  });

  it('soak: 30 short epochs keep tensors flat and the page heap bounded', async () => {
    const { page } = s;
    await loadFresh(page, `${baseURL()}#preset=quick&epochs=30&seed=15&subset=0.05&draws=10`);
    await waitReady(s);
    await page.getByTestId('train-toggle').click();
    // Heap after a forced GC (--js-flags=--expose-gc), with the size of the snapshots it must hold.
    const sample = () =>
      page.evaluate(() => {
        (window as unknown as { gc?: () => void }).gc?.();
        const st = (window as unknown as { ftleLab: { store: { getState: () => { epochs: unknown[] } } } }).ftleLab.store.getState();
        return {
          heap: (performance as unknown as { memory?: { usedJSHeapSize: number } }).memory?.usedJSHeapSize ?? 0,
          snapshotBytes: JSON.stringify(st.epochs).length,
        };
      });
    const samples: { heap: number; snapshotBytes: number }[] = [];
    let last = -1;
    const deadline = Date.now() + 400_000;
    while (Date.now() < deadline) {
      const st = await state(s);
      if (st.epochs.length - 1 !== last) {
        last = st.epochs.length - 1;
        samples.push(await sample());
      }
      if (st.epochs.length === 31) break;
      await page.waitForTimeout(500);
    }
    const st = await state(s);
    expect(st.epochs.length).toBe(31);
    // Tensor count identical across epochs after the first (warm-up) epoch.
    const tensors = st.tensors.slice(2);
    expect(Math.max(...tensors)).toBe(Math.min(...tensors));
    const warm = samples.slice(Math.floor(samples.length / 3));
    const first = warm[0];
    const end = warm[warm.length - 1];
    const growth = Math.max(...warm.map((x) => x.heap)) - first.heap;
    const retained = end.snapshotBytes - first.snapshotBytes;
    console.log(
      `[e2e] soak: tensors ${st.tensors[1]} -> ${st.tensors[st.tensors.length - 1]}; page heap after warm-up ${(first.heap / 1e6).toFixed(1)} MB, ` +
        `growth ${(growth / 1e6).toFixed(2)} MB while snapshots grew by ${(retained / 1e6).toFixed(2)} MB (JSON)`,
    );
    // Within 10% after warm-up, beyond the snapshots the run legitimately keeps (every epoch is kept).
    expect(first.heap).toBeGreaterThan(0);
    expect(growth).toBeLessThan(0.1 * first.heap + 2 * retained);
  });
});

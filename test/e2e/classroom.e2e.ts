/**
 * Classroom pacing in a real browser, in the manner of GAN Lab: "Step one batch" trains exactly one
 * mini-batch and pauses (the worker's acknowledged batch counter moves by one), and slow motion
 * spaces the batches out (the epoch cannot finish faster than its batches times the wait).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { baseURL, openSession, type Session } from './browser';

describe('classroom pacing', () => {
  let s: Session;
  beforeAll(async () => {
    s = await openSession();
  });
  afterAll(async () => {
    await s?.close();
  });

  it('step one batch pauses after one batch; slow motion waits between batches', async () => {
    const { page } = s;
    // 400 training digits, batch 64: 7 batches per epoch.
    await page.goto(`${baseURL()}#preset=quick&epochs=1&seed=2&subset=0.05&backend=fast-wasm`);
    const status = page.getByTestId('run-status');
    await expect.poll(async () => status.getAttribute('data-state'), { timeout: 120_000 }).toBe('ready');
    const worker = () =>
      page.evaluate(
        () =>
          (
            window as unknown as { ftleLab: { store: { getState(): { worker: { batch: number; batches: number } | null } } } }
          ).ftleLab.store.getState().worker,
      );

    await page.getByTestId('step-batch').click();
    await expect.poll(async () => status.getAttribute('data-state'), { timeout: 60_000 }).toBe('paused');
    expect(await worker()).toMatchObject({ batch: 1, batches: 7 });
    await expect.poll(async () => status.textContent()).toContain('at batch 1 / 7');
    await page.getByTestId('step-batch').click();
    await expect.poll(async () => (await worker())?.batch, { timeout: 60_000 }).toBe(2);
    expect(await status.getAttribute('data-state')).toBe('paused');

    // Slow motion: 5 batches left at >= 250 ms each cannot finish within 1 s of the click.
    await page.getByTestId('slow-motion').selectOption('250');
    const t0 = Date.now();
    await page.getByTestId('train-toggle').click();
    await expect.poll(async () => status.getAttribute('data-state'), { timeout: 60_000 }).toBe('done');
    expect(Date.now() - t0).toBeGreaterThanOrEqual(5 * 250 * 0.9);
    expect(s.errors).toEqual([]);
  }, 180_000);
});

/**
 * Training curves: loss and accuracy per epoch (train and test), per-batch loss (decimated), and
 * the tiny sparklines of the epoch timeline.
 */
import * as d3 from 'd3';
import { addLabel, drawLegend, growToFit, finiteExtent, OKABE_ITO, prepareSvg, styleAxis, type ChartSize, appendValueAxis } from './common';

/** One epoch's point on the curves (EpochMetrics subset). NaN = not measured (epoch 0's train loss). */
export interface EpochPoint {
  epoch: number;
  trainLoss: number;
  testLoss: number;
  trainAcc: number;
  testAcc: number;
}

/**
 * Reduces a long series to at most `maxPoints` buckets of consecutive values, each replaced by
 * its mean at the bucket's mean index (keeps the curve's level, smooths batch noise).
 * Returns [x (0-based index), y] pairs; the input order is kept.
 */
export function decimate(values: ArrayLike<number>, maxPoints: number): [number, number][] {
  const n = values.length;
  const out: [number, number][] = [];
  if (n === 0) return out;
  const m = Math.max(1, Math.floor(maxPoints));
  if (n <= m) {
    for (let i = 0; i < n; i++) out.push([i, values[i]]);
    return out;
  }
  for (let b = 0; b < m; b++) {
    const lo = Math.floor((b * n) / m);
    const hi = Math.floor(((b + 1) * n) / m);
    let s = 0;
    let c = 0;
    let xi = 0;
    for (let i = lo; i < hi; i++) {
      if (Number.isFinite(values[i])) {
        s += values[i];
        xi += i;
        c++;
      }
    }
    if (c > 0) out.push([xi / c, s / c]);
  }
  return out;
}

/** Options of renderSparkline. */
export interface SparklineOptions extends Partial<ChartSize> {
  colour?: string;
  /** y domain; default the finite extent of values. */
  domain?: [number, number];
  /** Index (0-based) marked with a dot. */
  marked?: number;
}

/**
 * Draws a minimal line (`path.sparkline`) of `values` against their index filling the SVG with
 * 2 px padding; NaN values leave gaps. Returns the scales.
 */
export function renderSparkline(
  svg: SVGSVGElement,
  values: ArrayLike<number>,
  options: SparklineOptions = {},
): { x: d3.ScaleLinear<number, number>; y: d3.ScaleLinear<number, number> } {
  const size = { width: options.width ?? 120, height: options.height ?? 28 };
  const { plot, innerWidth, innerHeight } = prepareSvg(svg, size, { top: 2, right: 2, bottom: 2, left: 2 });
  const arr = Array.from(values);
  const x = d3
    .scaleLinear()
    .domain([0, Math.max(1, arr.length - 1)])
    .range([0, innerWidth]);
  const y = d3
    .scaleLinear()
    .domain(options.domain ?? finiteExtent(arr))
    .range([innerHeight, 0]);
  const colour = options.colour ?? OKABE_ITO[4];
  plot
    .append('path')
    .attr('class', 'sparkline')
    .attr('fill', 'none')
    .attr('stroke', colour)
    .attr('stroke-width', 1.5)
    .attr(
      'd',
      d3
        .line<number>()
        .defined((v) => Number.isFinite(v))
        .x((_, i) => x(i))
        .y((v) => y(v))(arr) ?? '',
    );
  if (options.marked !== undefined && Number.isFinite(arr[options.marked])) {
    plot
      .append('circle')
      .attr('class', 'sparkline-mark')
      .attr('cx', x(options.marked))
      .attr('cy', y(arr[options.marked]))
      .attr('r', 2.5)
      .attr('fill', colour);
  }
  return { x, y };
}

/** Options of renderTrainingCurves. */
export interface TrainingCurvesOptions extends Partial<ChartSize> {
  /** Per-batch training loss (nats), drawn faint behind the epoch curves, decimated to maxBatchPoints. */
  batchLoss?: ArrayLike<number>;
  /** Batches per epoch, to place batch points on the epoch axis (batch i at epoch (i+1)/batchesPerEpoch). */
  batchesPerEpoch?: number;
  maxBatchPoints?: number;
}

/**
 * Two side-by-side charts over epochs: loss (`g.loss-panel`: `path.series-trainLoss`,
 * `path.series-testLoss`, optional `path.series-batchLoss`) and accuracy in % (`g.acc-panel`:
 * `path.series-trainAcc`, `path.series-testAcc`, y fixed 0..100).
 */
export function renderTrainingCurves(
  svg: SVGSVGElement,
  points: EpochPoint[],
  options: TrainingCurvesOptions = {},
): { x: d3.ScaleLinear<number, number>; yLoss: d3.ScaleLinear<number, number>; yAcc: d3.ScaleLinear<number, number> } {
  const size = { width: options.width ?? 560, height: options.height ?? 240 };
  const margin = { top: 20, right: 12, bottom: 64, left: 56 };
  const { root, plot, innerWidth, innerHeight } = prepareSvg(svg, size, margin);
  const gap = 64;
  const w = (innerWidth - gap) / 2;
  const ep = points.map((p) => p.epoch);
  const maxEpoch = Math.max(1, d3.max(ep) ?? 1);
  const x = d3.scaleLinear().domain([0, maxEpoch]).range([0, w]);
  const batch = options.batchLoss && options.batchLoss.length > 0 ? decimate(options.batchLoss, options.maxBatchPoints ?? 400) : [];
  const bpe =
    options.batchesPerEpoch && options.batchesPerEpoch > 0
      ? options.batchesPerEpoch
      : Math.max(1, (options.batchLoss?.length ?? 1) / maxEpoch);
  const batchXY = batch.map(([i, v]) => [(i + 1) / bpe, v] as [number, number]);
  const trainLoss = points.map((p) => p.trainLoss);
  const testLoss = points.map((p) => p.testLoss);
  const yLoss = d3
    .scaleLinear()
    .domain(
      finiteExtent(
        trainLoss,
        testLoss,
        batchXY.map((b) => b[1]),
        [0],
      ),
    )
    .nice()
    .range([innerHeight, 0]);
  const yAcc = d3.scaleLinear().domain([0, 100]).range([innerHeight, 0]);
  const idx = d3.range(points.length);

  const panel = (cls: string, left: number, y: d3.ScaleLinear<number, number>, yLabel: string) => {
    const g = plot.append('g').attr('class', cls).attr('transform', `translate(${left},0)`);
    styleAxis(
      g
        .append('g')
        .attr('class', 'x-axis')
        .attr('transform', `translate(0,${innerHeight})`)
        .call(d3.axisBottom(x).ticks(Math.min(8, maxEpoch)).tickFormat(d3.format('d'))),
    );
    appendValueAxis(g, y, 5);
    addLabel(g, 'epoch', w / 2, innerHeight + 32);
    addLabel(g, yLabel, -42, innerHeight / 2, { rotate: true });
    return g;
  };
  const series = (
    g: d3.Selection<SVGGElement, unknown, null, undefined>,
    key: string,
    v: number[],
    y: d3.ScaleLinear<number, number>,
    colour: string,
    dashed: boolean,
  ) => {
    g.append('path')
      .attr('class', `series series-${key}`)
      .attr('fill', 'none')
      .attr('stroke', colour)
      .attr('stroke-width', 2.2)
      .attr('stroke-dasharray', dashed ? '6,4' : null)
      .attr(
        'd',
        d3
          .line<number>()
          .defined((i) => Number.isFinite(v[i]))
          .x((i) => x(ep[i]))
          .y((i) => y(v[i]))(idx) ?? '',
      );
    g.append('g')
      .attr('class', `dots dots-${key}`)
      .selectAll('circle')
      .data(idx.filter((i) => Number.isFinite(v[i])))
      .join('circle')
      .attr('cx', (i) => x(ep[i]))
      .attr('cy', (i) => y(v[i]))
      .attr('r', 3)
      .attr('fill', colour);
  };
  const gl = panel('loss-panel', 0, yLoss, 'cross-entropy (nats)');
  if (batchXY.length) {
    gl.append('path')
      .attr('class', 'series series-batchLoss')
      .attr('fill', 'none')
      .attr('stroke', '#aaa')
      .attr('stroke-width', 1)
      .attr(
        'd',
        d3
          .line<[number, number]>()
          .x((d) => x(d[0]))
          .y((d) => yLoss(d[1]))(batchXY) ?? '',
      );
  }
  series(gl, 'trainLoss', trainLoss, yLoss, OKABE_ITO[4], false);
  series(gl, 'testLoss', testLoss, yLoss, OKABE_ITO[3], true);
  const ga = panel('acc-panel', w + gap, yAcc, 'accuracy (%)');
  series(
    ga,
    'trainAcc',
    points.map((p) => p.trainAcc * 100),
    yAcc,
    OKABE_ITO[4],
    false,
  );
  series(
    ga,
    'testAcc',
    points.map((p) => p.testAcc * 100),
    yAcc,
    OKABE_ITO[3],
    true,
  );
  const used = drawLegend(
    plot,
    [
      { label: 'train', colour: OKABE_ITO[4] },
      { label: 'test', colour: OKABE_ITO[3], kind: 'dashed' },
      ...(batchXY.length ? [{ label: 'per-batch loss', colour: '#aaa' }] : []),
    ],
    0,
    innerHeight + 52,
    innerWidth,
  );
  growToFit(root, margin.top + innerHeight + 52 + used);
  return { x, yLoss, yAcc };
}

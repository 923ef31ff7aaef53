/** The visualizer's presentational panels: all data and selection in through props, actions out through callbacks. */
import '../styles.css';
export { AlignmentPlot, type AlignmentPlotProps } from './AlignmentPlot';
export { EpochTimeline, type EpochTimelineProps } from './EpochTimeline';
export { ExportButtons, type ExportButtonsProps } from './ExportButtons';
export { FlipPlot, type FlipPlotProps } from './FlipPlot';
export { LogitsPlot, type LogitsPlotProps } from './LogitsPlot';
export { EmptyState, PanelFrame, PendingPanel, type PanelFrameProps } from './PanelFrame';
export { PixelHeatmap, type HeatmapNormalization, type PixelHeatmapProps } from './PixelHeatmap';
export { SpectrumPlot, type SpectrumPlotProps } from './SpectrumPlot';
export { TrainingPanel, type TrainingDiagnostics, type TrainingPanelProps } from './TrainingPanel';
export { epochScoreHalfWidth, probeLnR } from '../../core/transforms/heatmap';
export type { StepToCells } from '../renderers/heatmap';
export type { EpochPoint } from '../renderers/training';
export type { AlignmentEpoch } from '../../core/transforms/alignment';
export type { SpectrumEpoch } from '../../core/transforms/spectrum';
export { SeedSummary, type SeedSummaryProps } from './SeedSummary';

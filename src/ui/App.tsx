import { Banners } from './Banners';
import { ConfigPanel } from './ConfigPanel';
import { ControlBar } from './ControlBar';
import { RunFiles } from './RunFiles';
import { RunsPanel } from './RunsPanel';
import { Gallery } from './Gallery';
import { Story } from './Story';
import { Tour } from './Tour';
import { Workbench } from './Workbench';
import { ChaosView } from './ChaosView';
import { useRunStore } from '../store/runStore';
import type { HideableControl } from '../store/viewHash';
import './app.css';

/**
 * The page: controls and files on top, messages, then the panels. A classroom link hides chosen
 * controls (`hide=preset,config,files,runs,tour`; `classroom=1` = config, files and saved runs) so a
 * lecture shows only the science.
 */
export function App() {
  const hiddenControls = useRunStore((s) => s.hiddenControls);
  const view = useRunStore((s) => s.view);
  const story = useRunStore((s) => s.story);
  const shown = (k: HideableControl) => !hiddenControls.includes(k);
  return (
    <div className={`app${hiddenControls.length ? ' classroom' : ''}`}>
      <header className="app-header">
        <h1>
          FTLE Lab <small>Lyapunov dynamics of a recurrent network, live — with nulls and controls</small>
        </h1>
        <ControlBar hidePreset={!shown('preset')} />
        <div className="secondary-bar">
          {shown('tour') && <Tour />}
          {shown('files') && <RunFiles />}
          <Gallery />
        </div>
        {shown('config') && <ConfigPanel />}
        {shown('runs') && <RunsPanel />}
      </header>
      <Banners />
      {view !== 'chaos' && story === 'claim' && <Story />}
      {view === 'chaos' ? <ChaosView /> : <Workbench />}
      <footer className="app-footer">
        Method: Vogt et al., “Linking finite-time Lyapunov exponents to RNN gradient subspaces and input sensitivity” (ICLR 2024 submission,
        rejected). Every statistic is shown with its null and controls so you can judge the claims yourself.
      </footer>
    </div>
  );
}

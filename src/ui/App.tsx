import { Banners } from './Banners';
import { ConfigPanel } from './ConfigPanel';
import { ControlBar } from './ControlBar';
import { RunFiles } from './RunFiles';
import { RunsPanel } from './RunsPanel';
import { Tour } from './Tour';
import { Workbench } from './Workbench';
import { useRunStore } from '../store/runStore';
import './app.css';

/**
 * The page: controls and files on top, messages, then the panels. In classroom mode (a link with
 * classroom=1) the configuration, files and saved runs are hidden so a lecture shows only the science.
 */
export function App() {
  const classroom = useRunStore((s) => s.classroom);
  return (
    <div className={`app${classroom ? ' classroom' : ''}`}>
      <header className="app-header">
        <h1>
          FTLE Lab <small>Lyapunov dynamics of a recurrent network, live — with nulls and controls</small>
        </h1>
        <ControlBar />
        <div className="secondary-bar">
          <Tour />
          {!classroom && <RunFiles />}
        </div>
        {!classroom && <ConfigPanel />}
        {!classroom && <RunsPanel />}
      </header>
      <Banners />
      <Workbench />
      <footer className="app-footer">
        Method: Vogt et al., “Linking finite-time Lyapunov exponents to RNN gradient subspaces and input sensitivity” (ICLR 2024
        submission, rejected). Every statistic is shown with its null and controls so you can judge the claims yourself.
      </footer>
    </div>
  );
}

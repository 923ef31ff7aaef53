import { Banners } from './Banners';
import { ConfigPanel } from './ConfigPanel';
import { ControlBar } from './ControlBar';
import './app.css';

export function App() {
  return (
    <div className="app">
      <header className="app-header">
        <h1>
          FTLE Lab <small>Lyapunov dynamics of a recurrent network, live — with nulls and controls</small>
        </h1>
        <ControlBar />
        <ConfigPanel />
      </header>
      <Banners />
      <main className="panels" />
    </div>
  );
}

/**
 * THE list of recurrent cells (model files' `arch`, run configs' `cell`): PyTorch nn.RNN(tanh),
 * nn.GRU and nn.LSTM with one layer. Its own module so that config.ts and model.ts (which imports
 * config.ts) both import it without a cycle.
 */
export const ARCHS = ['rnn', 'gru', 'lstm'] as const;
export type Arch = (typeof ARCHS)[number];

/** Gates stacked in weight_ih/weight_hh: 1 (rnn), 3 (gru: r, z, n), 4 (lstm: i, f, g, o). */
export const GATES: Record<Arch, number> = { rnn: 1, gru: 3, lstm: 4 };

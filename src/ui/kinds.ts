import type { CellKind } from '../session/index';

export const KIND_LABELS: Record<CellKind, string> = {
  policy: 'Policy',
  prompts: 'Prompts',
  duel: 'Duel',
  train: 'Train',
  arena: 'Arena',
  simulate: 'Simulate',
  note: 'Note',
};

export const KIND_HINTS: Record<CellKind, string> = {
  policy: 'A GPT-2 policy: the shipped default, a URL, or local files',
  prompts: 'The prompts duels draw from',
  duel: 'Two candidates side by side; you vote',
  train: 'Online preference learning from the votes, with live charts',
  arena: 'Ratings of policy snapshots from the battles',
  simulate: 'A simulated annotator votes and trains a copy of the policy',
  note: 'Markdown notes',
};

/// <reference lib="webworker" />
import * as Comlink from 'comlink';
import { computeLeaderboard, proposePair } from '../engine/arena_service';
import type { ArenaApi } from './arena_api';

// The worker only exposes the service; the logic lives in src/engine/arena_service.ts.
const api = {
  leaderboard: async (request) => computeLeaderboard(request),
  nextPair: async (request) => proposePair(request),
} satisfies ArenaApi;

Comlink.expose(api);

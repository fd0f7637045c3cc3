/// <reference lib="webworker" />
import * as Comlink from 'comlink';
import { ArenaService } from '../engine/arena_service';

// The worker only exposes the arena service (`ArenaApi`, src/engine/arena_api.ts).
Comlink.expose(new ArenaService());

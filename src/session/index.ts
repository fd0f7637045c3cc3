/**
 * The session layer: the notebook document and everything that reads, writes, stores and
 * shares it. No Svelte, no GPU; runs on the main thread and in Node.
 */
export * from './schema.ts';
export * from './limits.ts';
export { createIdGenerator, type IdGenerator, type IdGeneratorOptions } from './ids.ts';
export { safeHref, isFetchableModelUrl } from './url.ts';
export { parseSessionDocument, type SessionParseResult, type SessionParseOptions } from './parse.ts';
export { migrate, newerVersionMessage, OLDEST_SESSION_VERSION, type MigrationResult } from './migrate.ts';
export { checkSessionIntegrity } from './integrity.ts';
export {
  APP_VERSION,
  SessionEditError,
  createSession,
  createStarterSession,
  createCell,
  defaultCellConfig,
  insertCell,
  updateCell,
  removeCell,
  moveCell,
  renameSession,
  findCell,
  touch,
  splitPastedPrompts,
  cellConfigSchema,
  type CreateSessionOptions,
  type CellPatch,
} from './document.ts';
export {
  appendEvent,
  appendEvents,
  undoEvent,
  cancelledSeqs,
  effectiveEvents,
  lastUndoable,
  votesToPreferencePairs,
  type NewSessionEvent,
  type PreferencePair,
  type PreferencePairOptions,
} from './events.ts';
export { serializeSession, stableStringify, sessionFileName, importSession } from './serialize.ts';
export {
  encodeShareLink,
  decodeShareLink,
  isShareLinkHash,
  type ShareLinkResult,
  type DecodeShareLinkOptions,
} from './share.ts';
export {
  SessionStore,
  newSessionId,
  rawRecordText,
  holdListOrder,
  DEFAULT_DB_NAME,
  DB_VERSION,
  type StoredSessionSummary,
  type SaveOutcome,
  type LoadedSession,
} from './storage.ts';
export { mergeSessionDocuments, type MergeResult } from './merge.ts';
export { openTabChannel, parseTabMessage, type TabChannel, type TabMessage } from './tabs.ts';
export { createAutosaver, type Autosaver, type AutosaverOptions } from './autosave.ts';
export {
  isOpfsAvailable,
  saveTensorBlob,
  loadTensorBlob,
  deleteTensorBlob,
  listTensorBlobs,
  isValidTensorName,
} from './opfs.ts';
export {
  exportDatasetJsonl,
  parseDatasetJsonl,
  importDatasetFile,
  appendDatasetRows,
  preferencePairRows,
  thumbsRows,
  rankingRows,
  battleRows,
  snapshotModelName,
  datasetFileName,
  toJsonl,
  IMPORTED_SNAPSHOT,
  BATTLE_WINNERS,
  type DatasetKind,
  type DatasetRowOf,
  type PreferencePairRow,
  type ThumbsRow,
  type RankingRow,
  type BattleRow,
  type JsonlParseResult,
  type AppendDatasetOptions,
} from './dataset.ts';
export { estimateDocumentBytes, MAX_EDITABLE_DOCUMENT_BYTES } from './size.ts';
export { boundSimulationResult, setSimulationResult, type SimulationSummaryLike } from './simulation_result.ts';
export {
  learningSettings,
  sameSettings,
  settingsEventFields,
  lastLoggedSettings,
  logIntents,
  initialSettings,
  loggedStepsByIntent,
  withoutDerivedRecords,
  DERIVED_EVENT_TYPES,
  COMPARED_STEP_METRICS,
  TRAINER_FIXED,
  RELABEL_DEFAULTS,
  HUMAN_JUDGE,
  annotatorOf,
  type IntentOptions,
} from './intents.ts';
export { RoomMirror, type MirrorPull } from './room_mirror.ts';
export { readRoom, ROOM_ID_PATTERN, ROOM_LAYOUT_VERSION, type RoomProblem } from './room_doc.ts';

/**
 * Ordinary sentences with no AFINN words, no numbers and no exclamations: a test appends one
 * mild word ("nice" +3 or "bad" −3) to make pairs that differ about 1.3–1.5 spreads in valence
 * and hardly at all on the other style principles.
 */
export const PLAIN_SENTENCES = [
  'the river ran past the old mill and on to the town by the sea',
  'we walked along the road to the station and took the train home',
  'the cat sat by the door and looked out at the yard all day',
  'my brother read the paper in the kitchen before the others woke',
  'they built a small shed behind the house at the end of summer',
  'the ship left the harbour at noon with a crew of twelve men',
] as const;

/*
 * Story fields that no story schema declares but an agent preset reads. A story may carry
 * them whatever its schema version; validation does not report them as unknown, and tells
 * which preset acts on them.
 */

export interface PresetStoryField {
  /** The agent preset that reads the field. */
  preset: string;
  /** What the field does, for messages and docs. */
  purpose: string;
}

export const PRESET_STORY_FIELDS: Readonly<Record<string, PresetStoryField>> = Object.freeze({
  test_agent: {
    preset: 'scripted',
    purpose: 'tells the scripted test agent how to behave (fail, hang, the QA fix loop…); other agents ignore it',
  },
});

/** The preset field at a top-level story key, if that key is one. */
export function presetStoryField(key: string): PresetStoryField | undefined {
  return Object.hasOwn(PRESET_STORY_FIELDS, key) ? PRESET_STORY_FIELDS[key] : undefined;
}

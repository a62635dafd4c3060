import type { Event } from '../event-store/event-store.port.js';

/**
 * A user's key was destroyed (docs/privacy.md). The log records that an erasure happened, when and by
 * whom (the actor's encrypted id in the metadata), and names only the subject: never the user id.
 */
export type PersonalDataErased = Event<'PersonalDataErased', { subjectId: string }>;
export type PrivacyEvent = PersonalDataErased;

export const privacyStream = (subjectId: string) => `privacy-${subjectId}`;

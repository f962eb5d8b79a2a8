/**
 * kanal (the message partition channel of a sender system). Digdir documents at most 28 characters, yet its
 * own integrasjonspunkt defaults to a 30-character kanal with "-n" suffixes, so we accept up to 64.
 */
export const KANAL_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

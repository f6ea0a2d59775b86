/** Redaction lives in core (the journal uses it too); reports import it from here. */
export * from '../core/redact.ts';

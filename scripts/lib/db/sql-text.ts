// Identifiers and literals written into SQL text (DDL, psql scripts, pg_dump patterns):
// the one place that quotes them.

/** `"name"`, with embedded double quotes doubled. Also a pg_dump pattern matching exactly `name`. */
export const ident = (s: string): string => `"${s.replace(/"/g, '""')}"`;

/** `'text'`, with embedded single quotes doubled (standard_conforming_strings on). */
export const literal = (s: string): string => `'${s.replace(/'/g, "''")}'`;

/** `"schema"."name"`. */
export const qname = (schema: string, name: string): string => `${ident(schema)}.${ident(name)}`;

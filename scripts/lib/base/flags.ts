export interface FlagSpec {
  type: 'string' | 'boolean';
  description: string;
  /** What the value looks like in the usage text (`<env|url>`). */
  value?: string;
  multiple?: boolean;
}

export type ParsedFlags = Record<string, string | boolean | string[] | boolean[] | undefined>;

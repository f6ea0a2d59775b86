/**
 * The shape every report format shares: a pure function from the report model to a string.
 * Adding a format is adding a file under formats/ and a line in the registry.
 */
import type { Report } from './model.ts';

export const REPORT_FORMATS = ['json', 'junit', 'md', 'html', 'text', 'github'] as const;
export type ReportFormat = (typeof REPORT_FORMATS)[number];

export interface RenderOptions {
  /** Colour (ANSI) for terminal output; decided once at the CLI edge, never read from env here. */
  color: boolean;
}

export type Renderer = (report: Report, opts: RenderOptions) => string;

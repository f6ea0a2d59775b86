/** Report formats by name: adding a format is adding a file under formats/ and a line here. */
import type { JournalEvent } from '../core/events.ts';
import { renderGithub } from './formats/github.ts';
import { renderHtml } from './formats/html.ts';
import { renderJson } from './formats/json.ts';
import { renderJunit } from './formats/junit.ts';
import { renderMarkdown } from './formats/md.ts';
import { renderText } from './formats/text.ts';
import { buildReport, type BuildOptions } from './model.ts';
import type { RenderOptions, Renderer, ReportFormat } from './renderer.ts';

export const renderers: Record<ReportFormat, Renderer> = {
  json: renderJson,
  junit: renderJunit,
  md: renderMarkdown,
  html: renderHtml,
  text: renderText,
  github: renderGithub,
};

/** Build the report from a journal and render it in one format. */
export function renderReport(events: readonly JournalEvent[], format: ReportFormat, opts: Partial<RenderOptions> & BuildOptions = {}): string {
  return renderers[format](buildReport(events, opts), { color: opts.color ?? false });
}

/**
 * The GitHub Actions step summary ($GITHUB_STEP_SUMMARY): the postmortem Markdown, kept under
 * GitHub's 1 MiB per-step cap by trimming the timeline (least important events first).
 */
import type { Renderer } from '../renderer.ts';
import { renderMarkdownDoc } from './md.ts';

/** GitHub rejects step summaries over 1 MiB; stay clear of it (other steps may append too). */
export const GITHUB_SUMMARY_MAX_BYTES = 1024 * 1024 - 16 * 1024;

export const renderGithub: Renderer = (r) =>
  renderMarkdownDoc(r, { maxBytes: GITHUB_SUMMARY_MAX_BYTES, fullReportHint: 'the full timeline is in report.md and report.html (upload the run directory as an artifact)' });

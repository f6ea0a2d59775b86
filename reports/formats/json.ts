/** report.json: the report model as is (it carries schemaVersion; see reports/schema/). */
import type { Renderer } from '../renderer.ts';

export const renderJson: Renderer = (report) => JSON.stringify(report, null, 2) + '\n';

/** `gauntlet canary lint <files..>`: the handler, kept apart so the `canary` command group only delegates. */
import { ExitCode } from '../../core/errors.ts';
import { emit, optionsFromArgs, type GlobalArgs } from '../context.ts';

export async function canaryLintCommand(a: GlobalArgs & { files?: string[] }): Promise<number> {
  const o = optionsFromArgs(a);
  if (!a.files?.length) {
    const { UsageError } = await import('../../core/errors.ts');
    throw new UsageError('canary lint needs one or more manifest files', { hint: 'gauntlet canary lint k8s/canary.yaml k8s/app.yaml' });
  }
  const { canaryLint, formatLint, lintExitCode } = await import('../../canary/lint.ts');
  const r = await canaryLint({ files: a.files });
  emit(o, { schema: 'gauntlet/canary-lint/v1', ...r }, () => formatLint(r).trimEnd());
  return lintExitCode(r) === 0 ? ExitCode.Pass : ExitCode.GateFailed;
}

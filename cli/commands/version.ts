/** `gauntlet version`: the same as `--version`, plus the Node running it with -o json. */
import { emit, optionsFromArgs } from '../context.ts';
import { ExitCode } from '../../core/errors.ts';
import { defineCommand } from './types.ts';

export const version = defineCommand<Record<string, never>>({
  command: 'version',
  describe: 'print the version of gauntlet',
  builder: (y) => y,
  async handler(a) {
    const o = optionsFromArgs(a);
    const { toolVersion } = await import('../../core/version.ts');
    emit(o, { schema: 'gauntlet/version/v1', version: toolVersion(), node: process.versions.node }, () => toolVersion());
    return ExitCode.Pass;
  },
});

/**
 * The lab: a real multi-node Kubernetes on this machine (provider `local`, from upstream
 * binaries) or in Docker (provider `kind`). Every command is an async function taking an options
 * object and returning plain data; the CLI only parses flags.
 */
export { ADDON_NAMES, FLAGGER_ADDON, routerUrl, prometheusUrl, CONTEXT_NAME, FAKE_NODE, IMAGES, NET, TIMINGS, WORLD_HOSTS, WORLD_PORTS, labPaths, nodeSpecs } from './config.ts';
export type { AddonName, LabPaths, NodeSpec, WorldHost } from './config.ts';
export { labUp, labDown, labStatus, labEnv, labKubeconfigPath, labNodeStop, labNodeStart, labContainerKill, labNodeProvider, labNodeRunning } from './commands.ts';
export type { LabUpOptions, LabUpResult, LabDownResult, LabEnvResult } from './commands.ts';
export type { LabStatus } from './providers/local/status.ts';
export { formatStatus } from './providers/local/status.ts';

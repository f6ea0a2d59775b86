/** Every built-in step kind, registered by importing its file. Adding a kind is adding a line. */
import './steps/http-probe.ts';
import '../chaos/faults/command.ts';
import '../chaos/faults/pod-kill.ts';
import '../chaos/faults/node-drain.ts';
import '../chaos/faults/node-taint.ts';
import '../chaos/faults/node-loss.ts';
import '../chaos/faults/spot-interruption.ts';
import '../chaos/faults/pod-failure.ts';
import '../chaos/faults/network-partition.ts';
import '../chaos/faults/container-kill.ts';
import '../canary/strategies/deploy.ts';
import '../canary/strategies/canary.ts';
import '../canary/strategies/flagger.ts';
import '../loadtest/step.ts';
import './steps/egress-probe.ts';

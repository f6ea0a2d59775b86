/** Every built-in step kind, registered by importing its file. Adding a kind is adding a line. */
import './steps/http-probe.ts';
import '../chaos/faults/command.ts';
import '../chaos/faults/pod-kill.ts';
import '../canary/strategies/deploy.ts';
import '../canary/strategies/canary.ts';
import '../loadtest/step.ts';
import './steps/egress-probe.ts';

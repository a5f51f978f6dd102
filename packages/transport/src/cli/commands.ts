import type { CliCommand } from './cli-command.js';
import { asyncapiCommand } from './commands/asyncapi.command.js';
import { consumersCommand } from './commands/consumers.command.js';
import { deadLettersCommand } from './commands/dead-letters.command.js';
import { k8sCommand } from './commands/k8s.command.js';
import { permissionsCommand } from './commands/permissions.command.js';

/** The commands of `nest-jetstream`, in the order `--help` lists them. A new command: its file in commands/, and one line here. */
export const COMMANDS: readonly CliCommand[] = [consumersCommand, deadLettersCommand, permissionsCommand, k8sCommand, asyncapiCommand];

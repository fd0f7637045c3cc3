import { generateCommand, generateHelp } from './commands/generate';
import { logprobsCommand, logprobsHelp } from './commands/logprobs';
import { simCommand, simHelp } from './commands/sim';
import { evalCommand, evalHelp } from './commands/eval';
import { rateCommand, rateHelp } from './commands/rate';
import { agreementCommand, agreementHelp } from './commands/agreement';
import { serveCommand, serveHelp } from './commands/serve';
import { processIO, UsageError, type CliIO } from './io';
import { terminalSafe } from './terminal_text';

type Command = { run: (argv: string[], io: CliIO) => Promise<number>; help: string };

const COMMANDS: Record<string, Command> = {
  generate: { run: generateCommand, help: generateHelp },
  logprobs: { run: logprobsCommand, help: logprobsHelp },
  sim: { run: simCommand, help: simHelp },
  eval: { run: evalCommand, help: evalHelp },
  rate: { run: rateCommand, help: rateHelp },
  agreement: { run: agreementCommand, help: agreementHelp },
  serve: { run: serveCommand, help: serveHelp },
};

function usage(): string {
  return `Duelbook command line (Node, CPU backend)\n\nUsage: duelbook <command> [options]\n\n${Object.values(COMMANDS)
    .map((c) => c.help)
    .join('\n\n')}\n`;
}

export async function main(argv: string[], io: CliIO = processIO): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    io.stdout(usage());
    return name ? 0 : 2;
  }
  // Own properties only: "toString" or "constructor" are not commands.
  const cmd = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (!cmd) {
    io.stderr(`duelbook: unknown command "${terminalSafe(name)}"\n\n${usage()}`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    io.stdout(cmd.help + '\n');
    return 0;
  }
  try {
    return await cmd.run(rest, io);
  } catch (e) {
    const err = e as Error & { code?: string };
    const usageLike = e instanceof UsageError || (err.code ?? '').startsWith('ERR_PARSE_ARGS');
    // One line: a message may quote a file's text or a flag's value.
    io.stderr(`duelbook ${name}: ${terminalSafe(err.message ?? String(e))}\n`);
    return usageLike ? 2 : 1;
  }
}

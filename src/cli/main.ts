import { processIO, UsageError, type CliIO } from './io';
import { terminalSafe } from './terminal_text';

type Command = { run: (argv: string[], io: CliIO) => Promise<number>; help: string };

/**
 * Each command's module is loaded only when that command runs (or for the usage text): `serve`
 * then does not carry the engine, tokenizer and ONNX code of the others (the server's resident
 * memory halved, measured by scripts/load/room_load.ts).
 */
const COMMANDS: Record<string, () => Promise<Command>> = {
  generate: async () => import('./commands/generate').then((m) => ({ run: m.generateCommand, help: m.generateHelp })),
  logprobs: async () => import('./commands/logprobs').then((m) => ({ run: m.logprobsCommand, help: m.logprobsHelp })),
  sim: async () => import('./commands/sim').then((m) => ({ run: m.simCommand, help: m.simHelp })),
  eval: async () => import('./commands/eval').then((m) => ({ run: m.evalCommand, help: m.evalHelp })),
  rate: async () => import('./commands/rate').then((m) => ({ run: m.rateCommand, help: m.rateHelp })),
  agreement: async () => import('./commands/agreement').then((m) => ({ run: m.agreementCommand, help: m.agreementHelp })),
  serve: async () => import('./commands/serve').then((m) => ({ run: m.serveCommand, help: m.serveHelp })),
};

async function usage(): Promise<string> {
  const commands = await Promise.all(Object.values(COMMANDS).map((load) => load()));
  return `Duelbook command line (Node, CPU backend)\n\nUsage: duelbook <command> [options]\n\n${commands.map((c) => c.help).join('\n\n')}\n`;
}

export async function main(argv: string[], io: CliIO = processIO): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    io.stdout(await usage());
    return name ? 0 : 2;
  }
  // Own properties only: "toString" or "constructor" are not commands.
  const load = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (!load) {
    io.stderr(`duelbook: unknown command "${terminalSafe(name)}"\n\n${await usage()}`);
    return 2;
  }
  const cmd = await load();
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

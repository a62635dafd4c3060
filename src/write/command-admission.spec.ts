import type { CallHandler, ExecutionContext } from '@nestjs/common';
import { firstValueFrom, from, type Observable } from 'rxjs';
import { Environment } from '../config.js';
import { Metrics } from '../metrics.js';
import { CommandAdmission, CommandGate } from './command-admission.js';

/** An HTTP request of `method` whose handler runs until `finish` is called (or fails with `fail`). */
const request = (method: string) => {
  let finish!: (value: string) => void;
  let fail!: (error: Error) => void;
  const answer = new Promise<string>((resolve, reject) => ((finish = resolve), (fail = reject)));
  const handler = { started: false, finish, fail };
  const context = { switchToHttp: () => ({ getRequest: () => ({ method }) }) } as unknown as ExecutionContext;
  const next: CallHandler = { handle: () => ((handler.started = true), from(answer)) };
  return { handler, context, next };
};

const admission = (limit: number) => {
  const metrics = new Metrics();
  const gate = new CommandAdmission(new CommandGate(Object.assign(new Environment(), { COMMAND_CONCURRENCY: limit }), metrics));
  const through = ({ context, next }: ReturnType<typeof request>) => gate.intercept(context, next).then((o: Observable<unknown>) => firstValueFrom(o));
  const gauge = async () => Object.fromEntries((await metrics.registry.getSingleMetric('eventix_http_commands')!.get()).values.map((v) => [v.labels.state, v.value]));
  return { through, gauge };
};

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('command admission (COMMAND_CONCURRENCY)', () => {
  it('runs at most the limit of commands at once, the next in arrival order as each ends, failed or not; queries pass', async () => {
    const { through, gauge } = admission(2);
    const commands = [request('POST'), request('PUT'), request('POST'), request('DELETE')];
    const answers = commands.map((command) => through(command));
    await tick();
    expect(commands.map((c) => c.handler.started)).toEqual([true, true, false, false]);
    expect(await gauge()).toEqual({ running: 2, waiting: 2 });

    const query = request('GET');
    const queried = through(query);
    await tick();
    expect(query.handler.started).toBe(true);
    query.handler.finish('seat map');
    await expect(queried).resolves.toBe('seat map');

    commands[1].handler.fail(new Error('409'));
    await expect(answers[1]).rejects.toThrow('409');
    await tick();
    expect(commands.map((c) => c.handler.started)).toEqual([true, true, true, false]);

    commands[0].handler.finish('first');
    await expect(answers[0]).resolves.toBe('first');
    await tick();
    expect(commands[3].handler.started).toBe(true);
    for (const [i, command] of commands.entries()) command.handler.finish(`answer ${i}`);
    await Promise.allSettled(answers);
    expect(await gauge()).toEqual({ running: 0, waiting: 0 });
  });

  it('lets every command run at once with 0', async () => {
    const { through } = admission(0);
    const commands = Array.from({ length: 50 }, () => request('POST'));
    const answers = commands.map((command) => through(command));
    await tick();
    expect(commands.every((c) => c.handler.started)).toBe(true);
    for (const command of commands) command.handler.finish('ok');
    await Promise.all(answers);
  });
});

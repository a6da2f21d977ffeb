/** The CLI's HTTP adapter, when the server it is given cannot be reached. */
import { freePort } from '../../../src/temporal/free-port';
import { SignalroomApi } from '../../../src/cli/api-client';

test('a server that does not answer is named, with the cause, instead of "fetch failed"', async () => {
  const url = `http://127.0.0.1:${await freePort()}`;
  await expect(new SignalroomApi(url, 'token').approvals.get('approval:api:prod:1')).rejects.toThrow(`cannot reach the Signalroom API at ${url}: ECONNREFUSED`);
});

test('the cause of a failure without one is its message', async () => {
  const failing = (async () => {
    throw new Error('network down');
  }) as unknown as typeof fetch;
  await expect(new SignalroomApi('https://signalroom.example.com/', 'token', failing).approvals.get('x')).rejects.toThrow('cannot reach the Signalroom API at https://signalroom.example.com: network down');
});

test('a server that takes longer than the call may wait is named as not answering', async () => {
  const timedOut = (async () => {
    throw new DOMException('The operation was aborted due to timeout', 'TimeoutError');
  }) as unknown as typeof fetch;
  await expect(new SignalroomApi('https://signalroom.example.com', 'token', timedOut).approvals.get('x')).rejects.toThrow('no answer from the Signalroom API at https://signalroom.example.com within 60 s');
});

import { PgNotifyTransport } from '../../store/pg-notify';
import type { WaveSettings } from '../settings/wave-settings';
import { ControlChannel, type ControlTransport } from './control-channel';
import { LocalSocketTransport } from './local-socket';
import { RedisPubSubTransport } from './redis-pubsub';

export { ControlChannel, type ControlHandler, type ControlTransport } from './control-channel';
export { ControlEnvelope, ControlMessage, parseEnvelope } from './messages';
export { controlSocketAddress, controlSocketDir, LocalSocketTransport } from './local-socket';
export { RedisPubSubTransport } from './redis-pubsub';

/**
 * The control channel chosen from the settings: always the local socket of the data dir (the
 * processes of this machine, also on the embedded store), plus Redis pub/sub when REDIS_URL is
 * set and Postgres LISTEN/NOTIFY when DATABASE_URL names the store's server (the processes of
 * other machines). A message goes through all of them; a receiver takes it once.
 */
export function createControlChannel(
  settings: Pick<WaveSettings, 'dataDir' | 'redisUrl' | 'redisPrefix' | 'databaseUrl'>,
  log: (line: string) => void = () => {},
): ControlChannel {
  const transports: ControlTransport[] = [new LocalSocketTransport(settings.dataDir)];
  if (settings.redisUrl) transports.push(new RedisPubSubTransport(settings.redisUrl, settings.redisPrefix));
  if (settings.databaseUrl) transports.push(new PgNotifyTransport(settings.databaseUrl));
  return new ControlChannel(transports, log);
}
export { relaySessionEvents, teeToChannel, type RelayDeps, type UiSink } from './session-relay';

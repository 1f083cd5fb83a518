import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { protoPath as healthProtoPath } from 'grpc-health-check';

type Ctor = new (address: string, credentials: grpc.ChannelCredentials) => grpc.Client;

const reflectionProtoDir = path.join(
  path.dirname(require.resolve('@grpc/reflection/package.json')),
  'build/proto',
);

function clientCtor(file: string, includeDirs: string[], service: string): Ctor {
  const pkg = grpc.loadPackageDefinition(
    protoLoader.loadSync(file, { includeDirs, keepCase: true, enums: String }),
  );
  const ctor = service.split('.').reduce<unknown>((o, k) => (o as Record<string, unknown>)[k], pkg);
  return ctor as Ctor;
}

const HealthClient = clientCtor(healthProtoPath, [], 'grpc.health.v1.Health');
const ReflectionClient = clientCtor(
  path.join(reflectionProtoDir, 'grpc/reflection/v1/reflection.proto'),
  [reflectionProtoDir],
  'grpc.reflection.v1.ServerReflection',
);

/** grpc.health.v1.Health/Check for `service` ('' is the server as a whole). */
export async function healthCheck(port: number, service = ''): Promise<string> {
  const client = new HealthClient(
    `127.0.0.1:${port}`,
    grpc.credentials.createInsecure(),
  ) as grpc.Client & {
    Check: (
      req: unknown,
      opts: grpc.CallOptions,
      cb: (err: grpc.ServiceError | null, res?: { status: string }) => void,
    ) => void;
  };
  try {
    return await new Promise((resolve, reject) =>
      client.Check({ service }, { deadline: Date.now() + 5_000 }, (err, res) =>
        err ? reject(err) : resolve(res?.status ?? 'UNKNOWN'),
      ),
    );
  } finally {
    client.close();
  }
}

/** Service names the server lists through grpc.reflection.v1 ServerReflectionInfo. */
export async function reflectedServices(port: number): Promise<string[]> {
  const client = new ReflectionClient(
    `127.0.0.1:${port}`,
    grpc.credentials.createInsecure(),
  ) as grpc.Client & {
    ServerReflectionInfo: (
      opts: grpc.CallOptions,
    ) => grpc.ClientDuplexStream<unknown, Record<string, unknown>>;
  };
  try {
    return await new Promise((resolve, reject) => {
      const call = client.ServerReflectionInfo({ deadline: Date.now() + 5_000 });
      call.on('data', (res: { list_services_response?: { service: { name: string }[] } }) => {
        resolve((res.list_services_response?.service ?? []).map((s) => s.name).sort());
        call.end();
      });
      call.on('error', reject);
      call.write({ list_services: '' });
    });
  } finally {
    client.close();
  }
}

/** Opens grpc.health.v1.Health/Watch for `service`; `next()` resolves with each status sent. */
export function healthWatch(
  port: number,
  service: string,
): { next: () => Promise<string>; close: () => void } {
  const client = new HealthClient(
    `127.0.0.1:${port}`,
    grpc.credentials.createInsecure(),
  ) as grpc.Client & {
    Watch: (req: unknown) => grpc.ClientReadableStream<{ status: string }>;
  };
  const call = client.Watch({ service });
  const received: string[] = [];
  const waiting: ((status: string) => void)[] = [];
  call.on('data', (res: { status: string }) => {
    const waiter = waiting.shift();
    if (waiter) waiter(res.status);
    else received.push(res.status);
  });
  call.on('error', () => undefined);
  return {
    next: () => {
      const ready = received.shift();
      return ready !== undefined
        ? Promise.resolve(ready)
        : new Promise((resolve) => waiting.push(resolve));
    },
    close: () => {
      call.cancel();
      client.close();
    },
  };
}

import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { ReflectionService } from '@grpc/reflection';
import { HealthImplementation, protoPath as healthProtoPath } from 'grpc-health-check';
import { type JsonLogger } from '../logging/json-logger';

/** One gRPC service a StarMiner service implements. */
export interface GrpcServiceRegistration {
  /** Fully-qualified name, e.g. "starminer.pricing.v1.PricingService": its health status name. */
  name: string;
  /** Generated grpc-js service definition (ts-proto's `...Service`). */
  definition: grpc.ServiceDefinition;
  implementation: grpc.UntypedServiceImplementation;
  /** The .proto declaring it, relative to the proto root; reflection describes it from there. */
  protoFile: string;
}

export interface GrpcServerOptions {
  logger: JsonLogger;
  services: readonly GrpcServiceRegistration[];
  /** Include root of the .proto files (@starminer/proto's protoRoot). */
  protoRoot: string;
  /**
   * Run around every call, in order. The hook for cross-cutting concerns such as reading
   * trace context from call metadata.
   */
  interceptors?: grpc.ServerInterceptor[];
}

const reflectionProtoDir = path.join(
  path.dirname(require.resolve('@grpc/reflection/package.json')),
  'build/proto',
);

/**
 * The service's gRPC server: its own services, grpc.health.v1.Health (overall status "" and one
 * per served service, all following readiness) and server reflection (v1 and v1alpha) built from
 * the same .proto files, loaded with proto-loader.
 */
export class GrpcServer {
  private readonly server: grpc.Server;
  private readonly health: HealthImplementation;
  private readonly statusNames: string[];
  private serving = false;

  constructor(private readonly opts: GrpcServerOptions) {
    this.server = new grpc.Server({ interceptors: opts.interceptors ?? [] });
    this.statusNames = ['', ...opts.services.map((s) => s.name)];
    this.health = new HealthImplementation(
      Object.fromEntries(this.statusNames.map((n) => [n, 'NOT_SERVING' as const])),
    );
    this.health.addToServer(this.server);
    for (const s of opts.services) this.server.addService(s.definition, s.implementation);

    const described = protoLoader.loadSync(
      [
        healthProtoPath,
        path.join(reflectionProtoDir, 'grpc/reflection/v1/reflection.proto'),
        path.join(reflectionProtoDir, 'grpc/reflection/v1alpha/reflection.proto'),
        ...opts.services.map((s) => path.join(opts.protoRoot, s.protoFile)),
      ],
      { includeDirs: [opts.protoRoot, reflectionProtoDir], keepCase: true },
    );
    new ReflectionService(described).addToServer(this.server);
  }

  /** Binds all interfaces on `port` (0 picks one) and returns the bound port. */
  async start(port: number): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.bindAsync(
        `0.0.0.0:${port}`,
        grpc.ServerCredentials.createInsecure(),
        (err, bound) => (err ? reject(err) : resolve(bound)),
      );
    });
  }

  /** Sets every health status name to SERVING or NOT_SERVING (Watch streams see the change). */
  setServing(serving: boolean): void {
    // Watch streams get a message per setStatus: only changes are sent.
    if (serving === this.serving) return;
    this.serving = serving;
    for (const name of this.statusNames)
      this.health.setStatus(name, serving ? 'SERVING' : 'NOT_SERVING');
  }

  /** Stops accepting calls, lets running calls finish for up to `timeoutMs`, then cancels the rest. */
  async stop(timeoutMs: number): Promise<void> {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.opts.logger.warn(
          'grpc calls still running at the shutdown deadline: cancelling them',
          { timeoutMs },
        );
        this.server.forceShutdown();
        resolve();
      }, timeoutMs);
      this.server.tryShutdown(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
}

import { status as GrpcStatus } from '@grpc/grpc-js';
import { type GrpcServiceRegistration, unaryHandler } from '@starminer/service-kit';
import { registryV1 } from '@starminer/proto';
import { type NodeRecord, type NodeStatus } from '../domain/node';
import {
  InvalidPageTokenError,
  type QueryInventoryHandler,
} from '../app/query-inventory/query-inventory.handler';

const statusToProto: Record<NodeStatus, registryV1.NodeStatus> = {
  admitted: registryV1.NodeStatus.NODE_STATUS_ADMITTED,
  rejected: registryV1.NodeStatus.NODE_STATUS_REJECTED,
  quarantined: registryV1.NodeStatus.NODE_STATUS_QUARANTINED,
};
const statusFromProto = new Map<registryV1.NodeStatus, NodeStatus>(
  Object.entries(statusToProto).map(([k, v]) => [v, k as NodeStatus]),
);
const ADDRESS = /^0x[0-9a-fA-F]{40}$/;

function nodeToProto(n: NodeRecord): registryV1.Node {
  return {
    name: n.name,
    region: n.region,
    provider: n.provider,
    pool: n.pool,
    gpuProduct: n.gpuProduct,
    gpuMemoryMib: n.gpuMemoryMiB,
    gpuCapacity: n.capacityGpus,
    verified: n.verified,
    uid: n.uid,
    gpuClass: n.gpuClass,
    allocatableGpus: n.allocatableGpus,
    allocatedGpus: n.allocatedGpus,
    ready: n.ready,
    cordoned: n.cordoned,
    status: statusToProto[n.status],
    reason: n.reason,
    message: n.message,
    lastHeartbeat: n.lastHeartbeat?.toISOString(),
  };
}

class BadRequest extends Error {}

/** Thin gRPC adapter: validates requests, delegates to the inventory queries, maps the answers. */
function unary<Req, Res>(fn: (req: Req) => Promise<Res>) {
  return unaryHandler(fn, (err) =>
    err instanceof BadRequest || err instanceof InvalidPageTokenError
      ? GrpcStatus.INVALID_ARGUMENT
      : err instanceof NotFound
        ? GrpcStatus.NOT_FOUND
        : GrpcStatus.INTERNAL,
  );
}
class NotFound extends Error {}

export function registryGrpcService(q: QueryInventoryHandler): GrpcServiceRegistration {
  const implementation: registryV1.RegistryServiceServer = {
    getProvider: unary(async (req: registryV1.GetProviderRequest) => {
      if (!ADDRESS.test(req.address))
        throw new BadRequest(`address '${req.address}' is not a 0x-prefixed 20-byte hex address`);
      const found = await q.provider(req.address);
      if (!found)
        throw new NotFound(
          `provider ${req.address.toLowerCase()} is not known to the registry (no node claims it and no chain event named it)`,
        );
      const s = found.state;
      return {
        provider: {
          address: s.address,
          stake: { baseUnits: s.bonded.toString() },
          active: s.active,
          registered: s.registered,
          minStake: { baseUnits: s.minStake.toString() },
          slashPending: s.slashPending,
          inactiveReason: s.inactiveReason,
          admittedNodes: found.admittedNodes,
          checkedAt: s.checkedAt.toISOString(),
        },
      };
    }),
    listNodes: unary(async (req: registryV1.ListNodesRequest) => {
      const status = req.status ? statusFromProto.get(req.status) : undefined;
      if (req.status && !status)
        throw new BadRequest(
          `status ${req.status} is not a NodeStatus (accepted: 1 admitted, 2 rejected, 3 quarantined)`,
        );
      const page = await q.listNodes({
        ...(req.region ? { region: req.region } : {}),
        ...(req.provider ? { provider: req.provider } : {}),
        ...(req.pool ? { pool: req.pool } : {}),
        ...(status ? { status } : {}),
        pageSize: req.pageSize,
        ...(req.pageToken ? { pageToken: req.pageToken } : {}),
      });
      return { nodes: page.nodes.map(nodeToProto), nextPageToken: page.nextPageToken };
    }),
    getCapacity: unary(async (req: registryV1.GetCapacityRequest) => {
      const pools = await q.capacity({
        ...(req.region ? { region: req.region } : {}),
        ...(req.gpuProduct ? { gpuProduct: req.gpuProduct } : {}),
        ...(req.provider ? { provider: req.provider } : {}),
      });
      return {
        pools: pools.map((p) => ({
          region: p.region,
          provider: p.provider,
          pool: p.pool,
          gpuProduct: p.gpuProduct,
          gpuMemoryMib: p.gpuMemoryMiB,
          totalGpus: p.totalGpus,
          freeGpus: p.freeGpus,
          gpuClass: p.gpuClass,
          allocatableGpus: p.allocatableGpus,
          allocatedGpus: p.allocatedGpus,
          nodes: p.nodes,
        })),
      };
    }),
  };
  return {
    name: 'starminer.registry.v1.RegistryService',
    definition: registryV1.RegistryServiceService,
    implementation,
    protoFile: 'starminer/registry/v1/registry.proto',
  };
}

// Generated messages and grpc-js services, one namespace per protobuf package
// (starminer.matchmaker.v1 -> matchmakerV1). 64-bit integers are decimal strings,
// timestamps RFC 3339 strings, token amounts TokenAmount { baseUnits: string }.
export * from './gen';
export { protoRoot, serviceProtoFiles } from './proto-files';

import { DecodeError, UnknownEventTypeError } from '../domain/errors';
import { upcast, type UpcasterChain } from '../domain/upcast';

/** The two functions ts-proto generates per message that the registry needs. */
export interface MessageCodec<T> {
  encode(message: T): { finish(): Uint8Array };
  decode(input: Uint8Array): T;
}

/** A domain event: a generated message with its type name as discriminant. */
export interface TypedEvent {
  readonly type: string;
}

export interface EventDefinition {
  readonly type: string;
  readonly topic: string;
  /** The one service that publishes this type; consumers drop it from any other. */
  readonly producer: string;
  /** Version written by this code; readers upcast anything older to it. */
  readonly schemaVersion: number;
  encode(event: TypedEvent): Uint8Array;
  /** Decodes a payload written with `schemaVersion` and upcasts it to the current shape. */
  decode(payload: Uint8Array, schemaVersion: number): TypedEvent;
}

/** The event union a registry holds. */
export type EventsOf<R> = R extends EventRegistry<infer E> ? E : never;

export interface EncodedEvent {
  type: string;
  topic: string;
  schemaVersion: number;
  payload: Uint8Array;
}

/**
 * type -> (encode, decode, topic, schemaVersion). `E` is the union of the events registered,
 * so `encode` accepts exactly those and `decode` returns that union.
 */
export class EventRegistry<E extends TypedEvent = never> {
  private readonly definitions = new Map<string, EventDefinition>();

  /**
   * Registers one event type. `upcasters[v]` turns a decoded version-v object into version v+1.
   * Returns the registry widened with the new type, so a catalogue is built by chaining.
   */
  register<T extends string, M extends object>(
    type: T,
    codec: MessageCodec<M>,
    options: {
      topic: string;
      producer: string;
      schemaVersion?: number;
      upcasters?: UpcasterChain;
    },
  ): EventRegistry<E | ({ type: T } & M)> {
    if (this.definitions.has(type)) throw new Error(`event type ${type} registered twice`);
    const schemaVersion = options.schemaVersion ?? 1;
    const upcasters = options.upcasters ?? {};
    this.definitions.set(type, {
      type,
      topic: options.topic,
      producer: options.producer,
      schemaVersion,
      encode: (event) => {
        // ts-proto's encode reads only the message's own fields, so the `type` tag is ignored.
        return codec.encode(event as unknown as M).finish();
      },
      decode: (payload, version) => {
        let message: M;
        try {
          message = codec.decode(payload);
        } catch (err) {
          throw new DecodeError(`payload of ${type} v${version} is not valid protobuf`, {
            cause: err,
          });
        }
        const current = upcast(
          message as Record<string, unknown>,
          version,
          schemaVersion,
          upcasters,
        );
        return { ...current, type } as TypedEvent;
      },
    });
    return this as unknown as EventRegistry<E | ({ type: T } & M)>;
  }

  /** Adds every definition of `other` (e.g. to merge per-topic catalogues into one). */
  include<F extends TypedEvent>(other: EventRegistry<F>): EventRegistry<E | F> {
    for (const type of other.types()) {
      if (this.definitions.has(type)) throw new Error(`event type ${type} registered twice`);
      this.definitions.set(type, other.definition(type));
    }
    return this as unknown as EventRegistry<E | F>;
  }

  has(type: string): boolean {
    return this.definitions.has(type);
  }

  definition(type: string): EventDefinition {
    const def = this.definitions.get(type);
    if (!def) throw new UnknownEventTypeError(type);
    return def;
  }

  types(): string[] {
    return [...this.definitions.keys()];
  }

  topicOf(type: E['type']): string {
    return this.definition(type).topic;
  }

  /** Distinct topics of the registered events, sorted. */
  topics(): string[] {
    return [...new Set([...this.definitions.values()].map((d) => d.topic))].sort();
  }

  encode(event: E): EncodedEvent {
    const def = this.definition(event.type);
    return {
      type: def.type,
      topic: def.topic,
      schemaVersion: def.schemaVersion,
      payload: def.encode(event),
    };
  }

  decode(type: string, schemaVersion: number, payload: Uint8Array): E {
    return this.definition(type).decode(payload, schemaVersion) as E;
  }
}

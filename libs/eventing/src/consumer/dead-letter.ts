import { errorCode, errorMessage } from '../domain/errors';
import { type IncomingMessage, type OutgoingMessage } from '../kafka/ports';

/**
 * The dead-letter copy of a message: the original key, value and headers untouched (so it can be
 * replayed as is), plus why and where it failed.
 */
export function deadLetterMessage(
  dlqTopic: string,
  groupId: string,
  message: IncomingMessage,
  err: unknown,
  failedAt: Date,
): OutgoingMessage {
  return {
    topic: dlqTopic,
    key: message.key ?? '',
    value: message.value ?? Buffer.alloc(0),
    headers: {
      ...message.headers,
      'dlq-reason': errorMessage(err).slice(0, 2_000),
      'dlq-error-code': errorCode(err),
      'dlq-original-topic': message.topic,
      'dlq-original-partition': String(message.partition),
      'dlq-original-offset': message.offset,
      'dlq-consumer-group': groupId,
      'dlq-failed-at': failedAt.toISOString(),
    },
  };
}

/**
 * OTLP/HTTP bodies: protobuf (application/x-protobuf) or JSON (application/json), maybe gzipped,
 * in; the Export*ServiceResponse (and google.rpc.Status for errors) out, in the request's encoding.
 */
import { gunzipSync } from 'node:zlib';
import protobuf from 'protobufjs';
import { OTLP_DESCRIPTOR } from './descriptor.js';
import { OtlpDecodeError } from './decode.js';

const root = protobuf.Root.fromJSON(OTLP_DESCRIPTOR);
const types = {
  metricsRequest: root.lookupType('opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest'),
  metricsResponse: root.lookupType('opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceResponse'),
  traceRequest: root.lookupType('opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest'),
  traceResponse: root.lookupType('opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse'),
  status: root.lookupType('google.rpc.Status'),
};

/** The two OTLP/HTTP encodings. */
export type OtlpEncoding = 'protobuf' | 'json';

/** Which signal a body carries. */
export type OtlpSignal = 'metrics' | 'traces';

/** The media type of an encoding (also what a response is sent as). */
export const MEDIA_TYPE: Record<OtlpEncoding, string> = { protobuf: 'application/x-protobuf', json: 'application/json' };

/** Undoes Content-Encoding: gzip (or identity); the output may not exceed `limitBytes`. */
export function decompress(body: Buffer, contentEncoding: string | undefined, limitBytes: number): Buffer {
  const encoding = (contentEncoding ?? 'identity').trim().toLowerCase();
  if (encoding === 'identity' || encoding === '') return body;
  if (encoding !== 'gzip') throw new OtlpDecodeError('/headers/content-encoding', `unsupported Content-Encoding ${JSON.stringify(encoding)}: send gzip or none`);
  try {
    return gunzipSync(body, { maxOutputLength: limitBytes });
  } catch (err) {
    const tooLarge = (err as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE';
    throw new OtlpDecodeError('/body', tooLarge ? `the body is over ${limitBytes} bytes once decompressed` : 'the body is not valid gzip');
  }
}

/**
 * The request as a plain object for decode.ts: protobuf decoded with 64-bit integers as decimal
 * strings and enums as numbers (ids stay bytes), or JSON parsed.
 */
export function parseBody(signal: OtlpSignal, encoding: OtlpEncoding, body: Buffer): unknown {
  if (encoding === 'json') {
    try {
      return JSON.parse(body.toString('utf8')) as unknown;
    } catch (err) {
      throw new OtlpDecodeError('/body', `not valid JSON: ${(err as Error).message}`);
    }
  }
  const type = signal === 'metrics' ? types.metricsRequest : types.traceRequest;
  try {
    return type.toObject(type.decode(body), { longs: String, enums: Number, arrays: true });
  } catch (err) {
    throw new OtlpDecodeError('/body', `not a valid protobuf ${type.name}: ${(err as Error).message}`);
  }
}

/** What could not be taken of an export (OTLP's ExportPartialSuccess). */
export interface PartialSuccess {
  rejected: number;
  errorMessage: string;
}

/** The Export*ServiceResponse body; partial_success only when something was refused or there is a message. */
export function encodeResponse(signal: OtlpSignal, encoding: OtlpEncoding, partial: PartialSuccess): Buffer | string {
  const counted = signal === 'metrics' ? 'rejectedDataPoints' : 'rejectedSpans';
  const hasPartial = partial.rejected > 0 || partial.errorMessage !== '';
  if (encoding === 'json') {
    // OTLP/JSON writes int64 as a decimal string.
    return JSON.stringify(hasPartial ? { partialSuccess: { [counted]: String(partial.rejected), errorMessage: partial.errorMessage } } : {});
  }
  const type = signal === 'metrics' ? types.metricsResponse : types.traceResponse;
  const message = type.fromObject(hasPartial ? { partialSuccess: { [counted]: partial.rejected, errorMessage: partial.errorMessage } } : {});
  return Buffer.from(type.encode(message).finish());
}

/** gRPC status codes an OTLP/HTTP error carries (google.rpc.Code). */
export const RPC_CODE = { invalidArgument: 3, unauthenticated: 16, permissionDenied: 7, resourceExhausted: 8, unavailable: 14, internal: 13 } as const;

/** An OTLP/HTTP error body (google.rpc.Status) in protobuf. */
export function encodeStatus(code: number, message: string): Buffer {
  return Buffer.from(types.status.encode(types.status.fromObject({ code, message })).finish());
}

/** Decodes an Export*ServiceResponse (tests read the server's answers with it). */
export function decodeResponse(signal: OtlpSignal, body: Uint8Array): { partialSuccess?: { rejectedDataPoints?: string; rejectedSpans?: string; errorMessage?: string } } {
  const type = signal === 'metrics' ? types.metricsResponse : types.traceResponse;
  return type.toObject(type.decode(body), { longs: String }) as ReturnType<typeof decodeResponse>;
}

/** Decodes a google.rpc.Status (tests read error answers with it). */
export function decodeStatus(body: Uint8Array): { code?: number; message?: string } {
  return types.status.toObject(types.status.decode(body)) as { code?: number; message?: string };
}

/** Encodes an export request from a plain object (tests build protobuf bodies with it). */
export function encodeRequest(signal: OtlpSignal, request: Record<string, unknown>): Buffer {
  const type = signal === 'metrics' ? types.metricsRequest : types.traceRequest;
  return Buffer.from(type.encode(type.fromObject(request)).finish());
}

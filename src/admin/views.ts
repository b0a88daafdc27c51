/**
 * Records as the management API shows them: snake_case fields as in the API samples, ISO
 * times, human sizes. Secrets appear only in `createdCredentialView`.
 */
import type { BucketStats } from "../storage/buckets.ts";
import type { PresignRecord } from "../storage/presigns.ts";
import type {
  BucketRecord,
  CredentialRecord,
  ListEntry,
  PartRecord,
  StoredChecksum,
  UploadRecord,
} from "../storage/records.ts";
import { bareEtag, humanSize, isoTime } from "./format.ts";

export function credentialView(c: CredentialRecord) {
  return {
    id: c.id,
    access_key: c.accessKey,
    user_name: c.userName,
    is_active: c.isActive,
    created_at: isoTime(c.createdAt),
  };
}

/** The only view with the secret: the answer to a create, shown once. */
export function createdCredentialView(c: CredentialRecord) {
  return { ...credentialView(c), secret_key: c.secretKey };
}

/** How an owner is named: its user name, or its access key when it has none. */
export function ownerName(c: CredentialRecord | null): string | null {
  return c === null ? null : c.userName || c.accessKey;
}

export function bucketView(b: BucketRecord, stats: BucketStats, owner: CredentialRecord | null) {
  return {
    name: b.name,
    region: b.region,
    owner: ownerName(owner),
    owner_id: b.ownerId,
    created_at: isoTime(b.createdAt),
    object_count: stats.objects,
    total_size: stats.bytes,
    total_size_human: humanSize(stats.bytes),
  };
}

export function objectView(key: string, o: ListEntry) {
  return {
    key,
    size: o.size,
    size_human: humanSize(o.size),
    content_type: o.contentType ?? "binary/octet-stream",
    etag: bareEtag(o.etag),
    is_multipart: o.partCount > 0,
    part_count: o.partCount,
    created_at: isoTime(o.createdAt),
    updated_at: isoTime(o.lastModified),
  };
}

/** An object's stored checksum (`x-amz-checksum-*`), or null when it has none. */
export function checksumView(c: StoredChecksum | null) {
  return c === null ? null : { algorithm: c.algorithm, value: c.value, type: c.type };
}

/** A part of a multipart object or upload. */
export function partView(p: PartRecord) {
  return {
    part_number: p.partNumber,
    size: p.size,
    etag: bareEtag(p.etag),
    last_modified: isoTime(p.lastModified),
  };
}

export function uploadView(u: UploadRecord, parts: { count: number; bytes: number }) {
  return {
    key: u.key,
    upload_id: u.uploadId,
    initiated: isoTime(u.initiated),
    part_count: parts.count,
    size: parts.bytes,
    size_human: humanSize(parts.bytes),
  };
}

export function presignView(r: PresignRecord) {
  return {
    id: r.id,
    url: r.url,
    bucket_name: r.bucket,
    object_key: r.key,
    method: r.method,
    access_key: r.accessKey,
    expires_in: Math.round((r.expiresAt - r.createdAt) / 1000),
    created_at: isoTime(r.createdAt),
    expires_at: isoTime(r.expiresAt),
  };
}

/** The body of an answer that has nothing else to say. */
export function done(message = "Operation completed successfully") {
  return { message };
}

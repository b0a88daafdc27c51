import { S3Client, CreateBucketCommand, PutObjectCommand, CreateMultipartUploadCommand, UploadPartCommand } from "@aws-sdk/client-s3";
const s3 = new S3Client({ endpoint: "http://127.0.0.1:19000", region: "us-east-1", forcePathStyle: true, credentials: { accessKeyId: "AKEXPLORE0000000000", secretAccessKey: "explore-secret-123456" } });
const admin = (m: string, p: string, b?: unknown) => fetch("http://127.0.0.1:19001/api/v1" + p, { method: m, headers: { "x-api-key": "test-admin-key-123456", "content-type": "application/json" }, body: b ? JSON.stringify(b) : undefined }).then((r) => r.json());
for (const b of ["photos", "backups", "media-archive"]) await s3.send(new CreateBucketCommand({ Bucket: b }));
const sizes: Record<string, number> = { "photos": 3_400_000, "backups": 9_800_000, "media-archive": 1_200_000 };
for (const [b, n] of Object.entries(sizes)) {
  await s3.send(new PutObjectCommand({ Bucket: b, Key: "readme.txt", Body: "hello " + b, ContentType: "text/plain" }));
  await s3.send(new PutObjectCommand({ Bucket: b, Key: `2024/summer/beach-${b}.jpg`, Body: new Uint8Array(n), ContentType: "image/jpeg", Metadata: { camera: "x100" } }));
  await s3.send(new PutObjectCommand({ Bucket: b, Key: `2024/winter.jpg`, Body: new Uint8Array(1000) }));
  await s3.send(new PutObjectCommand({ Bucket: b, Key: `docs/a very long file name that goes on and on for quite a while to test wrapping.pdf`, Body: new Uint8Array(5000) }));
}
const up = await s3.send(new CreateMultipartUploadCommand({ Bucket: "backups", Key: "db/dump-2024-06-01.sql.gz" }));
await s3.send(new UploadPartCommand({ Bucket: "backups", Key: "db/dump-2024-06-01.sql.gz", UploadId: up.UploadId, PartNumber: 1, Body: new Uint8Array(5 * 1024 * 1024) }));
await admin("POST", "/credentials", { user_name: "backup-server" });
await admin("POST", "/credentials", { user_name: "phone" });
await admin("POST", "/presigned-urls", { bucket_name: "photos", object_key: "2024/summer/beach-photos.jpg", access_key: "AKEXPLORE0000000000", expires_in: 3600 });
await admin("POST", "/presigned-urls", { bucket_name: "backups", object_key: "readme.txt", access_key: "AKEXPLORE0000000000", expires_in: 600 });
s3.destroy();

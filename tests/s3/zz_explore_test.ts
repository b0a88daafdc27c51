import { Readable } from "node:stream";
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand, HeadObjectCommand } from "@aws-sdk/client-s3";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
import { withServer } from "../helpers/server.ts";
import { buildChunkedUpload, rawRequest, sendSigned, signRequest, socketRequest } from "../helpers/sign.ts";
import { checksumOf } from "../helpers/checksums.ts";

Deno.test("explore", async () => {
  await withServer(async (server) => {
    const s3 = server.client();
    await s3.send(new CreateBucketCommand({ Bucket: "bkt" }));
    const r1 = await s3.send(new PutObjectCommand({ Bucket: "bkt", Key: "s", Body: Readable.from([new TextEncoder().encode("hello "), new TextEncoder().encode("world")]) , ContentLength: 11}));
    console.log("stream put", r1.ChecksumCRC32, r1.ETag);
    for (const alg of ["CRC32","CRC32C","CRC64NVME","SHA1","SHA256"] as const) {
      const r = await s3.send(new PutObjectCommand({ Bucket: "bkt", Key: "c"+alg, Body: "data", ChecksumAlgorithm: alg }));
      const g = await s3.send(new HeadObjectCommand({ Bucket: "bkt", Key: "c"+alg, ChecksumMode: "ENABLED" }));
      console.log(alg, JSON.stringify(r).slice(0,300), g.ChecksumCRC32, g.ChecksumCRC32C, g.ChecksumCRC64NVME, g.ChecksumSHA1, g.ChecksumSHA256, checksumOf(alg, new TextEncoder().encode("data")));
    }
    const url = await getSignedUrl(s3, new GetObjectCommand({ Bucket: "bkt", Key: "s" }), { expiresIn: 60 });
    console.log(url);
    const res = await fetch(url); console.log(res.status, await res.text());
    const up = await buildChunkedUpload(server, { method: "PUT", path: "/bkt/chunked", mode: "STREAMING-AWS4-HMAC-SHA256-PAYLOAD", data: new TextEncoder().encode("x".repeat(100000)), chunkSize: 65536 });
    const rr = await sendSigned(up); console.log("chunked", rr.status, rr.text);
    const up2 = await buildChunkedUpload(server, { method: "PUT", path: "/bkt/chunked2", mode: "STREAMING-UNSIGNED-PAYLOAD-TRAILER", data: new TextEncoder().encode("abc"), chunkSize: 65536, trailers: {"x-amz-checksum-crc32": checksumOf("CRC32", new TextEncoder().encode("abc"))} });
    const rr2 = await sendSigned(up2); console.log("chunked2", rr2.status, rr2.text);
    const up3 = await buildChunkedUpload(server, { method: "PUT", path: "/bkt/chunked3", mode: "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER", data: new TextEncoder().encode("abc"), chunkSize: 65536, trailers: {"x-amz-checksum-crc32": checksumOf("CRC32", new TextEncoder().encode("abc"))} });
    const rr3 = await sendSigned(up3); console.log("chunked3", rr3.status, rr3.text);
    const sig = await signRequest(server, { method: "PUT", path: "/bkt/trunc", contentSha256: "UNSIGNED-PAYLOAD", headers: {"content-length": "1000"}, body: new Uint8Array(1000) });
    const t = await socketRequest(server, sig, { truncate: { sendBytes: 400, then: "half-close" } });
    console.log("trunc", t.status, t.text);
    await socketRequest(server, sig, { truncate: { sendBytes: 400, then: "close" } });
    await new Promise(r => setTimeout(r, 200));
    console.log((await rawRequest(server, { method: "HEAD", path: "/bkt/trunc" })).status);
    const v = await rawRequest(server, { method: "PUT", path: "/bkt/", host: "bkt.vs.test:1" });
    console.log(v.status, v.text);
  });
});

import type { CredentialRecord } from "../storage/records.ts";
import type { OwnerData } from "./xml_types.ts";

/** How a credential appears as an S3 Owner: its access key as ID, its user name shown. */
export function ownerOf(c: CredentialRecord): OwnerData {
  return { id: c.accessKey, displayName: c.userName || c.accessKey };
}

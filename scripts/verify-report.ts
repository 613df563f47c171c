// Verifies a compliance report (its JSON, or its integrity block alone) against a running api:
//   verify-report FILE [--api http://127.0.0.1:8080] [--token cct_…] [--share TOKEN]
//
// It goes through the api, not the stores, because the check must recompute the digest from the
// readings the server holds wherever they are (a remote InfluxDB, a shared PostgreSQL), and only
// the api knows which readings a caller may see: a consignee has a share link, not database
// credentials. The signature is also checked here, with the public key the api publishes, so the
// answer does not rest on the server's word alone.
import { createPublicKey } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { verifyReportSignature } from '@coldchain/api';

const usage = `usage: verify-report FILE [--api URL] [--token TOKEN] [--share SHARE_TOKEN]
  FILE is a report as JSON (with its "integrity" block) or the block alone.
  --api    the api's base URL (default COLDCHAIN_API_URL or http://127.0.0.1:8080)
  --token  an API bearer token (default COLDCHAIN_API_TOKEN)
  --share  a share link's token instead of a bearer token
  Exit status: 0 valid, 1 invalid, 2 the check could not be made.`;

const fail = (message: string): never => {
  console.error(message);
  process.exit(2);
};

interface Integrity {
  shipmentId: string;
  revision: number;
  issuedAtMs: number;
  verdict: string;
  digest: string;
  signature: string;
}

const isIntegrity = (v: unknown): v is Integrity => {
  const o = v as Record<string, unknown> | null;
  return (
    typeof o === 'object' &&
    o !== null &&
    typeof o.shipmentId === 'string' &&
    typeof o.revision === 'number' &&
    typeof o.issuedAtMs === 'number' &&
    typeof o.verdict === 'string' &&
    typeof o.digest === 'string' &&
    typeof o.signature === 'string'
  );
};

async function main() {
  const parsed = (() => {
    try {
      return parseArgs({
        allowPositionals: true,
        options: {
          api: { type: 'string' },
          token: { type: 'string' },
          share: { type: 'string' },
          help: { type: 'boolean' },
        },
      });
    } catch (err) {
      return fail(`${(err as Error).message}\n${usage}`);
    }
  })();
  const { values, positionals } = parsed;
  if (values.help || positionals.length !== 1) return fail(usage);
  const apiUrl = (values.api ?? process.env.COLDCHAIN_API_URL ?? 'http://127.0.0.1:8080').replace(/\/$/, '');
  const token = values.token ?? process.env.COLDCHAIN_API_TOKEN;
  const share = values.share;
  if (!share && !token) return fail('give --token (or COLDCHAIN_API_TOKEN) or --share');

  const body: unknown = JSON.parse(await readFile(positionals[0] as string, 'utf8'));
  const integrity = isIntegrity(body) ? body : (body as { integrity?: unknown }).integrity;
  if (!isIntegrity(integrity))
    return fail(
      `${positionals[0]}: no integrity block (shipmentId, revision, issuedAtMs, verdict, digest, signature)`,
    );

  const keyRes = await fetch(`${apiUrl}/v1/keys/report-signing`);
  if (!keyRes.ok) return fail(`GET /v1/keys/report-signing: ${keyRes.status}`);
  const key = (await keyRes.json()) as { keyId: string; publicKeyPem: string };
  const signatureOk = verifyReportSignature(
    createPublicKey(key.publicKeyPem),
    integrity,
    integrity.signature,
  );
  console.log(`signature (key ${key.keyId}, checked here): ${signatureOk ? 'valid' : 'NOT VALID'}`);

  const path = share ? `/v1/shared/${encodeURIComponent(share)}/verify` : '/v1/verify';
  const res = await fetch(`${apiUrl}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(share ? {} : { authorization: `Bearer ${token}` }) },
    body: JSON.stringify({ integrity }),
  });
  const answer = (await res.json()) as {
    valid?: boolean;
    problems?: Array<{ code: string; message: string }>;
    changes?: {
      added: Array<{ legId: number; deviceId: string; tsMs: number; values: Record<string, string> }>;
      removed: Array<{ legId: number; deviceId: string; tsMs: number; values: Record<string, string> }>;
      changed: Array<{
        legId: number;
        deviceId: string;
        tsMs: number;
        before: Record<string, string>;
        after: Record<string, string>;
      }>;
    } | null;
    error?: { message: string };
  };
  if (!res.ok) return fail(`POST ${path}: ${res.status} ${answer.error?.message ?? ''}`);
  const at = (r: { legId: number; deviceId: string; tsMs: number }) =>
    `leg ${r.legId} ${r.deviceId} ${new Date(r.tsMs).toISOString()}`;
  const show = (v: Record<string, string>) =>
    Object.entries(v)
      .map(([k, x]) => `${k}=${x}`)
      .join(' ');
  console.log(
    `shipment ${integrity.shipmentId} revision ${integrity.revision}: ${answer.valid ? 'VALID' : 'INVALID'}`,
  );
  for (const p of answer.problems ?? []) console.log(`  ${p.code}: ${p.message}`);
  for (const r of answer.changes?.added ?? []) console.log(`  + ${at(r)} ${show(r.values)}`);
  for (const r of answer.changes?.removed ?? []) console.log(`  - ${at(r)} ${show(r.values)}`);
  for (const r of answer.changes?.changed ?? [])
    console.log(`  ~ ${at(r)} ${show(r.before)} → ${show(r.after)}`);
  process.exit(answer.valid && signatureOk ? 0 : 1);
}

main().catch((err: unknown) => fail(`verify-report: ${(err as Error).message}`));

#!/usr/bin/env node
// The node `soap` client's run of the two-party EDI loop against the gateway.
//
// Usage: node parcels.js <config.json>
// The config names the WSDL (served URL or local file of the original), the
// endpoint, the SOAP version, the file's name and base64 content, and the
// webhook URL and Basic user to register (the password comes in
// HOOK_PASSWORD). Steps: partner registers an InBox callback
// (CallBackAddEx, its whole network and mailboxes); demo uploads the file;
// partner lists its inbox, downloads the parcel, demo tries the same
// parcel (a fault), partner confirms, lists again, reads ParcelInfo; demo
// reads its outbox archive. It prints one JSON document on stdout:
//   {"steps": [{"operation", "label", "outcome", "detail", "value", "body", ...}]}
// with what the library returned ("value"), the raw response ("body",
// client.lastResponse) for pytest to schema-validate, and for the download
// the sha256 of the decoded Content. Assertions are made in pytest.
'use strict';

const crypto = require('crypto');
const fs = require('fs');
const axios = require('axios');
const soap = require('soap');

/** An axios instance for node soap that refuses every non-loopback URL. */
function loopbackOnlyHttp() {
  const http = axios.create({ maxContentLength: 64 * 1024 * 1024, maxBodyLength: 64 * 1024 * 1024 });
  http.interceptors.request.use((config) => {
    const host = new URL(config.url).hostname;
    if (!['127.0.0.1', 'localhost', '[::1]'].includes(host)) {
      throw new Error(`refusing to fetch ${config.url}: nothing may come from outside loopback`);
    }
    return config;
  });
  return http;
}

/** The fault fields node soap exposes on an error (root.Envelope.Body.Fault). */
function faultOf(err) {
  const fault = err && err.root && err.root.Envelope && err.root.Envelope.Body && err.root.Envelope.Body.Fault;
  if (!fault) return null;
  const code = fault.faultcode || (fault.Code && fault.Code.Value);
  const reason = fault.faultstring || (fault.Reason && fault.Reason.Text);
  const detail = fault.detail || fault.Detail || {};
  return { code, errorCode: detail.ECGridOSSOAPErrorCode, message: typeof reason === 'string' ? reason : JSON.stringify(reason) };
}

/** The ParcelIDInfo entries of a ParcelIDInfoCollection, always a list. */
function parcelsOf(collection) {
  const list = collection && collection.ParcelIDInfoList && collection.ParcelIDInfoList.ParcelIDInfo;
  return list ? [].concat(list) : [];
}

async function main() {
  const cfg = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
  const steps = [];
  const client = await soap.createClientAsync(cfg.wsdl, {
    forceSoap12Headers: cfg.soap === '1.2',
    disableCache: true,
    request: loopbackOnlyHttp(),
  });
  if (cfg.setEndpoint) client.setEndpoint(cfg.endpoint);

  // Runs one operation; expectFault says whether a fault is the right answer.
  async function call(operation, args, expectFault = false, label = operation) {
    const step = { operation, label, outcome: 'fail', detail: '', value: null, body: null };
    steps.push(step);
    try {
      const [result] = await client[operation + 'Async'](args);
      step.body = client.lastResponse;
      step.value = result;
      step.outcome = expectFault ? 'fail' : 'pass';
      if (expectFault) step.detail = 'expected a fault, got a result';
      return [result, step];
    } catch (err) {
      step.body = typeof client.lastResponse === 'string' ? client.lastResponse : null;
      const fault = faultOf(err);
      step.value = fault ? { fault } : null;
      step.detail = fault ? `${fault.code} ${fault.errorCode}: ${fault.message}` : String(err && err.stack || err);
      step.outcome = expectFault && fault ? 'pass' : 'fail';
      return [null, step];
    }
  }

  const [demoLogin] = await call('Login', { LoginName: 'demo', Password: 'Demo#2026' }, false, 'Login demo');
  const [partnerLogin] = await call('Login', { LoginName: 'partner', Password: 'Partner#2026' }, false, 'Login partner');
  const demo = demoLogin && demoLogin.LoginResult;
  const partner = partnerLogin && partnerLogin.LoginResult;
  if (!demo || !partner) throw new Error('a login failed: ' + JSON.stringify(steps));

  await call('CallBackAddEx', {
    SessionID: partner, NetworkID: 0, MailboxID: 0, UserID: 0,
    SystemObject: 'Parcel', ObjectStatus: 0, Direction: 'InBox', Frequency: 0, MaxRetries: 3,
    URL: cfg.hookUrl, HTTPAuthentication: 'Basic', HTTPUser: cfg.hookUser,
    HTTPPassword: process.env.HOOK_PASSWORD, Status: 'Active',
  });
  const [uploaded] = await call('ParcelUpload', {
    SessionID: demo, FileName: cfg.fileName, Bytes: cfg.bytes, Content: cfg.contentBase64,
  });
  const outbound = uploaded && uploaded.ParcelUploadResult;

  const [inbox, inboxStep] = await call('ParcelInBox', { SessionID: partner });
  const listed = parcelsOf(inbox && inbox.ParcelInBoxResult).filter((p) => p.FileName === cfg.fileName);
  inboxStep.listed = listed;
  const parcelId = listed.length === 1 ? listed[0].ParcelID : null;
  if (parcelId !== null) {
    const [file, fileStep] = await call('ParcelDownload', { SessionID: partner, ParcelID: parcelId });
    const content = file && file.ParcelDownloadResult && file.ParcelDownloadResult.Content;
    fileStep.sha256 = typeof content === 'string'
      ? crypto.createHash('sha256').update(Buffer.from(content, 'base64')).digest('hex') : null;
    fileStep.value = file && { ...file.ParcelDownloadResult, Content: `<${content ? content.length : 0} base64 characters>` };
    await call('ParcelDownload', { SessionID: demo, ParcelID: parcelId }, true, 'Fault: not yours');
    await call('ParcelInfo', { SessionID: partner, ParcelID: cfg.unknownId }, true, 'Fault: unknown parcel');
    await call('ParcelDownloadConfirm', { SessionID: partner, ParcelID: parcelId });
    const [after, afterStep] = await call('ParcelInBox', { SessionID: partner }, false, 'ParcelInBox after confirm');
    afterStep.listed = parcelsOf(after && after.ParcelInBoxResult).filter((p) => p.FileName === cfg.fileName);
    await call('ParcelInfo', { SessionID: partner, ParcelID: parcelId });
  }
  const [archive, archiveStep] = await call('ParcelOutBoxArchive', {
    SessionID: demo, BeginDate: '2000-01-01T00:00:00Z',
    EndDate: new Date(Date.now() + 86400000).toISOString(),
    ECGridIDFrom: 0, ECGridIDTo: 0, PageNo: 1, RecordsPerPage: 500,
  });
  archiveStep.listed = parcelsOf(archive && archive.ParcelOutBoxArchiveResult).filter((p) => p.FileName === cfg.fileName);
  process.stdout.write(JSON.stringify({ outbound, parcelId, steps }) + '\n');
}

main().catch((err) => {
  process.stdout.write(JSON.stringify({ error: String(err && err.stack || err) }) + '\n');
  process.exitCode = 1;
});

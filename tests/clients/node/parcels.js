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
const { openClient, stepRunner, run } = require('./soap_steps');

/** The ParcelIDInfo entries of a ParcelIDInfoCollection, always a list. */
function parcelsOf(collection) {
  const list = collection && collection.ParcelIDInfoList && collection.ParcelIDInfoList.ParcelIDInfo;
  return list ? [].concat(list) : [];
}

async function main() {
  const cfg = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
  const steps = [];
  const call = stepRunner(await openClient(cfg), steps, cfg.soap);

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

run(main);

#!/usr/bin/env node
// The node `soap` client's run of the suite's workflow against the gateway.
//
// Usage: node workflow.js <config.json>
// The config names the WSDL (served URL or local file of the original), the
// endpoint to point the proxy at, the SOAP version, the webhook URL and the
// Basic credentials to register. It prints one JSON document on stdout:
//   {"steps": [{"operation", "label", "soap", "outcome", "detail", "value", "body"}]}
// where "body" is the raw response (client.lastResponse) for pytest to
// schema-validate, "value" what the proxy handed back, and "outcome"
// "pass" or "fail". Assertions on values are made in pytest; this script
// only reports what the library did (a thrown fault is reported with its
// code and ECGridOSSOAPErrorCode as the library exposes them).
'use strict';

const fs = require('fs');
const { openClient, stepRunner, run } = require('./soap_steps');

async function main() {
  const cfg = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
  const steps = [];
  const call = stepRunner(await openClient(cfg), steps, cfg.soap);

  const [login] = await call('Login', { LoginName: cfg.login, Password: cfg.password });
  const sid = login && login.LoginResult;
  if (sid) {
    await call('WhoAmI', { SessionID: sid });
    await call('Version', {});
    await call('NowUTC', {});
    const [added] = await call('CallBackAddEx', {
      SessionID: sid, NetworkID: cfg.networkId, MailboxID: cfg.mailboxId, UserID: 0,
      SystemObject: 'Parcel', ObjectStatus: 0, Direction: 'InBox', Frequency: 0, MaxRetries: 3,
      URL: cfg.hookUrl, HTTPAuthentication: 'Basic', HTTPUser: cfg.hookUser,
      HTTPPassword: process.env.HOOK_PASSWORD, Status: 'Active',
    });
    const id = added && added.CallBackAddExResult && added.CallBackAddExResult.CallBackEventID;
    if (id !== undefined && id !== null) {
      await call('CallBackTest', { SessionID: sid, CallBackEventID: id, ParcelID: 0, InterchangeID: 0, UserID: 0 });
      await call('CallBackQueueInfo', { SessionID: sid, CallBackQueueID: id });
    }
    await call('CallBackQueueInfo', { SessionID: sid, CallBackQueueID: cfg.unknownId }, true, 'Fault: unknown id');
    await call('Logout', { SessionID: sid });
    await call('WhoAmI', { SessionID: sid }, true, 'Fault: stale session');
  }
  await call('Login', { LoginName: cfg.login, Password: cfg.password + '-wrong' }, true, 'Fault: wrong password');
  process.stdout.write(JSON.stringify({ steps }) + '\n');
}

run(main);

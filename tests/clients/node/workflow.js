#!/usr/bin/env node
// The node `soap` client's run of the suite's workflow against the gateway.
//
// Usage: node workflow.js <config.json>
// The config names the WSDL (served URL or local file of the original), the
// endpoint to point the proxy at, the SOAP version, the webhook URL and the
// Basic credentials to register. It prints one JSON document on stdout:
//   {"steps": [{"operation", "soap", "outcome", "detail", "value", "body"}]}
// where "body" is the raw response (client.lastResponse) for pytest to
// schema-validate, "value" what the proxy handed back, and "outcome"
// "pass" or "fail". Assertions on values are made in pytest; this script
// only reports what the library did (a thrown fault is reported with its
// code and ECGridOSSOAPErrorCode as the library exposes them).
'use strict';

const fs = require('fs');
const axios = require('axios');
const soap = require('soap');

/** An axios instance for node soap that refuses every non-loopback URL. */
function loopbackOnlyHttp() {
  const http = axios.create();
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
  const detail = fault.detail || fault.Detail || {};
  return { code, errorCode: detail.ECGridOSSOAPErrorCode, message: err.message };
}

async function main() {
  const cfg = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
  const steps = [];
  const client = await soap.createClientAsync(cfg.wsdl, {
    forceSoap12Headers: cfg.soap === '1.2',
    disableCache: true,
    request: loopbackOnlyHttp(),
  });
  // The original WSDL names os.ecgrid.io; the served one names the gateway.
  if (cfg.setEndpoint) client.setEndpoint(cfg.endpoint);

  // Runs one operation; expectFault says whether a fault is the right answer.
  async function call(operation, args, expectFault = false, label = operation) {
    const step = { operation: label, soap: cfg.soap, outcome: 'fail', detail: '', value: null, body: null };
    steps.push(step);
    try {
      const [result] = await client[operation + 'Async'](args);
      step.body = client.lastResponse;
      step.value = result;
      step.outcome = expectFault ? 'fail' : 'pass';
      if (expectFault) step.detail = 'expected a fault, got a result';
      return result;
    } catch (err) {
      step.body = typeof client.lastResponse === 'string' ? client.lastResponse : null;
      const fault = faultOf(err);
      step.value = fault ? { fault } : null;
      step.detail = fault ? `${fault.code} ${fault.errorCode}` : String(err && err.stack || err);
      step.outcome = expectFault && fault ? 'pass' : 'fail';
      return null;
    }
  }

  const login = await call('Login', { LoginName: cfg.login, Password: cfg.password });
  const sid = login && login.LoginResult;
  if (sid) {
    await call('WhoAmI', { SessionID: sid });
    await call('Version', {});
    await call('NowUTC', {});
    const added = await call('CallBackAddEx', {
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

main().catch((err) => {
  process.stdout.write(JSON.stringify({ error: String(err && err.stack || err) }) + '\n');
  process.exitCode = 1;
});

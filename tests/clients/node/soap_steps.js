// What the node `soap` runs of the suite share (workflow.js, parcels.js):
// a loopback-only HTTP client, the proxy built from the config's WSDL, the
// fault fields the library exposes, and a runner that records each
// operation as a step for pytest to check.
'use strict';

const axios = require('axios');
const soap = require('soap');

/** Largest request or answer body axios takes (a parcel of tens of MiB). */
const MAX_BODY_BYTES = 64 * 1024 * 1024;

/** An axios instance for node soap that refuses every non-loopback URL. */
function loopbackOnlyHttp() {
  const http = axios.create({ maxContentLength: MAX_BODY_BYTES, maxBodyLength: MAX_BODY_BYTES });
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

/**
 * The proxy for `cfg.wsdl` (served URL or local file of the original), SOAP
 * 1.2 headers when `cfg.soap` is "1.2", pointed at `cfg.endpoint` when
 * `cfg.setEndpoint` (the original WSDL names os.ecgrid.io).
 */
async function openClient(cfg) {
  const client = await soap.createClientAsync(cfg.wsdl, {
    forceSoap12Headers: cfg.soap === '1.2',
    disableCache: true,
    request: loopbackOnlyHttp(),
  });
  if (cfg.setEndpoint) client.setEndpoint(cfg.endpoint);
  return client;
}

/**
 * A function that runs one operation on `client` and appends its step to
 * `steps`: `call(operation, args, expectFault = false, label = operation)`
 * resolves to `[result or null, step]`. A step is `{operation, label,
 * soap, outcome, detail, value, body}`: "value" what the library handed back
 * (or `{fault}`), "body" the raw response, "outcome" "pass" when a result
 * came where one was expected or a fault where one was.
 */
function stepRunner(client, steps, soapVersion) {
  return async function call(operation, args, expectFault = false, label = operation) {
    const step = { operation, label, soap: soapVersion, outcome: 'fail', detail: '', value: null, body: null };
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
  };
}

/** Runs `main`; a throw is printed as `{"error": …}` and exits 1. */
function run(main) {
  main().catch((err) => {
    process.stdout.write(JSON.stringify({ error: String(err && err.stack || err) }) + '\n');
    process.exitCode = 1;
  });
}

module.exports = { openClient, stepRunner, run };

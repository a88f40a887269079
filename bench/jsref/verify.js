// The JS reference of package vc's BenchmarkVerifyCredential: Hypersign's
// verification stack (jsonld-signatures 9.3.1, @digitalbazaar/ed25519-signature-2020
// 3.0.0, @digitalbazaar/ed25519-verification-key-2020 3.3.0, as pinned in
// package.json) verifying vc/01 with every context and DID document in memory,
// warmed up first. It prints Go benchmark lines, which benchstat reads:
//
//   node verify.js [-count 6] [-benchtime 3]
//
// Run it through bench/vc-ratio.sh, which runs the Go benchmark in the same run
// and prints the ratio.
'use strict';
const fs = require('fs');
const path = require('path');
const jsigs = require('jsonld-signatures');
const {Ed25519Signature2020} = require('@digitalbazaar/ed25519-signature-2020');

const root = path.join(__dirname, '..', '..');
const vectors = path.join(root, 'vc', 'testdata', 'vectors');
const contexts = path.join(root, 'internal', 'ldproof', 'contexts');
const readJSON = p => JSON.parse(fs.readFileSync(p, 'utf8'));

const documents = new Map(Object.entries({
  // Hypersign's copy of credentials/v1, which vc/01 needs (as the Go side tries first).
  'https://www.w3.org/2018/credentials/v1': readJSON(path.join(contexts, 'credentials.json')),
  'https://w3id.org/security/suites/ed25519-2020/v1': readJSON(path.join(contexts, 'ed25519-signature-2020.json')),
  'https://raw.githubusercontent.com/hypersign-protocol/hypersign-contexts/main/HypersignCredentialStatus2023.jsonld':
    readJSON(path.join(contexts, 'hypersignCredentialStatus2023.json')),
  'https://www.w3.org/ns/did/v1': readJSON(path.join(contexts, 'did.json')),
}));
const issuer = readJSON(path.join(vectors, 'dids', 'issuer.did.json')).didDocument;
documents.set(issuer.id, issuer);
for (const vm of issuer.verificationMethod) {
  documents.set(vm.id, {'@context': 'https://w3id.org/security/suites/ed25519-2020/v1', ...vm});
}

// documentLoader serves documents from memory and nothing else.
async function documentLoader(url) {
  const document = documents.get(url);
  if (document === undefined) {
    throw new Error(`documentLoader: ${url} is not in memory`);
  }
  return {contextUrl: null, documentUrl: url, document: structuredClone(document)};
}

const credential = readJSON(path.join(vectors, 'vc', '01-valid.vc.json'));
const {purposes: {AssertionProofPurpose}} = jsigs;

async function verifyOnce() {
  const result = await jsigs.verify(credential, {
    suite: new Ed25519Signature2020(),
    purpose: new AssertionProofPurpose(),
    documentLoader,
  });
  if (!result.verified) {
    throw new Error('vc/01 did not verify: ' + JSON.stringify(result.error || result));
  }
}

async function main() {
  const args = process.argv.slice(2);
  const flag = (name, def) => {
    const i = args.indexOf(name);
    return i >= 0 ? Number(args[i + 1]) : def;
  };
  const count = flag('-count', 1);
  const benchtime = flag('-benchtime', 3) * 1e9;

  // Warm up: let V8 optimize, as the Go benchmark runs after its own warm-up.
  for (let i = 0; i < 300; i++) {
    await verifyOnce();
  }
  for (let c = 0; c < count; c++) {
    let n = 0;
    const cpuStart = process.cpuUsage();
    const start = process.hrtime.bigint();
    let elapsed = 0n;
    while (elapsed < BigInt(benchtime)) {
      await verifyOnce();
      n++;
      elapsed = process.hrtime.bigint() - start;
    }
    // CPU time of the process (user and system, µs), as the Go benchmark's cpu-ns/op.
    const cpu = process.cpuUsage(cpuStart);
    const nsPerOp = Number(elapsed) / n;
    const cpuNsPerOp = ((cpu.user + cpu.system) * 1000) / n;
    console.log(`BenchmarkJSReferenceVerifyCredential \t${n}\t${nsPerOp.toFixed(0)} ns/op\t${cpuNsPerOp.toFixed(0)} cpu-ns/op`);
  }
}

main().catch(err => {
  console.error(err);
  process.exit(1);
});

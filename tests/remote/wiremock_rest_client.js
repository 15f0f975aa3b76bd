// Drive a server's /__admin API with WireMock's Node admin client,
// wiremock-rest-client, and print what each call gave, as one JSON line.
// Run by tests/remote/test_wiremock_clients.py: node this.js BASE_URL
// (NODE_PATH holds the installed client).
'use strict';
const { WireMockRestClient } = require('wiremock-rest-client');

async function main(base) {
  const wm = new WireMockRestClient(base, { logLevel: 'silent' });
  const out = {};
  const made = await wm.mappings.createMapping({
    request: { method: 'GET', urlPath: '/node' },
    response: { status: 200, body: 'from node' },
    metadata: { owner: 'node' } });
  out.created = made.id;
  out.all = (await wm.mappings.getAllMappings()).mappings.map(m => m.id);
  out.one = (await wm.mappings.getMapping(made.id)).request.urlPath;
  await wm.mappings.updateMapping(made.id, {
    request: { method: 'GET', urlPath: '/node' },
    response: { status: 202, body: 'updated' } });
  const answer = await fetch(base + 'node');
  out.answer = [answer.status, await answer.text()];
  await fetch(base + 'missing');
  out.requests = (await wm.requests.getAllRequests()).requests.map(
    r => r.request.url);
  out.count = (await wm.requests.getCount({ method: 'GET' })).count;
  out.found = (await wm.requests.findRequests({ urlPath: '/node' }))
    .requests.map(r => r.url);
  out.unmatched = (await wm.requests.getUnmatchedRequests()).requests.map(
    r => r.url);
  out.nearMisses = (await wm.requests.getUnmatchedNearMisses())
    .nearMisses.length;
  const events = (await wm.requests.getAllRequests()).requests;
  out.event = (await wm.requests.getRequest(events[0].id)).request.url;
  await wm.requests.deleteRequest(events[0].id);
  out.afterDelete = (await wm.requests.getAllRequests()).meta.total;
  await wm.requests.removeRequests({ urlPath: '/node' });
  out.afterRemove = (await wm.requests.getAllRequests()).meta.total;
  await wm.requests.resetAllRequests();
  await wm.global.updateGlobalSettings({ fixedDelay: 10 });
  await wm.mappings.createMapping({
    scenarioName: 'flow', requiredScenarioState: 'Started',
    newScenarioState: 'done', request: { urlPath: '/flow' },
    response: { status: 200, body: 'first' } });
  await fetch(base + 'flow');
  out.scenarios = (await wm.scenarios.getAllScenarios()).scenarios.map(
    s => [s.name, s.state]);
  await wm.scenarios.resetScenario('flow');
  out.afterReset = (await wm.scenarios.getAllScenarios()).scenarios.map(
    s => s.state);
  await wm.scenarios.setScenarioState('flow', 'done');
  await wm.scenarios.resetAllScenarios();
  out.found2 = (await wm.mappings.findByMetaData({
    matchesJsonPath: '$.owner' })).mappings.length;
  await wm.mappings.removeByMetaData({ matchesJsonPath: '$.owner' });
  await wm.mappings.deleteMapping(made.id).catch(() => null);
  await wm.mappings.deleteAllMappings();
  out.left = (await wm.mappings.getAllMappings()).mappings.length;
  await wm.global.resetAll();
  process.stdout.write(JSON.stringify(out) + '\n');
}

main(process.argv[2]).catch(error => {
  process.stderr.write(String(error && error.stack || error) + '\n');
  process.exit(1);
});

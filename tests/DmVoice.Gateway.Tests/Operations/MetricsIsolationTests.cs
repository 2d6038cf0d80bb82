using System.Diagnostics.Metrics;
using System.Net;
using System.Text.RegularExpressions;
using DmVoice.Gateway.Observability;
using DmVoice.Gateway.Tests.Api;
using DmVoice.Grains.Infrastructure;

namespace DmVoice.Gateway.Tests.Operations;

/// <summary>
/// Many gateways come and go in one test process, and their meters share names. A gateway exports the
/// meters of its own host only: another host's instruments (here stood in for by meters of the same
/// names created outside any host) neither show in its /metrics nor use up its exporter's room for
/// metric streams, which once left a gateway's /metrics with nothing but <c>target_info</c>.
/// </summary>
public sealed class MetricsIsolationTests
{
    /// <summary>More than the exporter's default of 1000 metric streams.</summary>
    private const int ForeignInstruments = 1200;

    [Fact]
    public async Task A_gateway_exports_its_own_meters_however_many_instruments_other_hosts_in_the_process_create()
    {
        await using var server = await GatewayServer.StartAsync(s => s["Gateway:RequestsPerMinute"] = "1000000");
        using var foreignGateway = new Meter(GatewayMetrics.MeterName);
        using var foreignCalls = new Meter(CallMetrics.MeterName);
        for (var i = 0; i < ForeignInstruments; i++)
        {
            var meter = i % 2 == 0 ? foreignGateway : foreignCalls;
            meter.CreateCounter<long>($"dmvoice.foreign.instrument{i}").Add(1);
        }

        // The call meters of the co-hosted silo are created with the first call, after all of the above.
        await using var a = Rest.NewUser(server.BaseAddress, "metered-a");
        await using var b = Rest.NewUser(server.BaseAddress, "metered-b");
        var device = await b.ConnectAsync();
        var dm = await a.CreateDmAsync(b);
        await a.JoinAsync(dm.Id);
        await device.WaitForAsync(VoiceEventNames.CallStarted);

        using var scraper = new HttpClient();
        var text = await Eventually.GetAsync(
            async () =>
            {
                var response = await scraper.GetAsync(server.MetricsAddress);
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                return await response.Content.ReadAsStringAsync();
            },
            t => Regex.IsMatch(t, @"(?m)^dmvoice_calls_started_total(\{[^}]*\})? [1-9]")
                && Regex.IsMatch(t, @"(?m)^dmvoice_gateway_connections(\{[^}]*\})? [1-9]"),
            "this gateway's call and connection metrics in its /metrics");

        Assert.Contains("http_server_request_duration_seconds", text, StringComparison.Ordinal);
        Assert.DoesNotContain("dmvoice_foreign_instrument", text, StringComparison.Ordinal);
    }
}

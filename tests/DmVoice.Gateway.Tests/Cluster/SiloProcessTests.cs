using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using DmVoice.Grains.Hosting;
using DmVoice.TestSupport.Processes;

namespace DmVoice.Gateway.Tests.Cluster;

/// <summary>The silo process as an operator runs it: its management port, its start-up checks, its signals.</summary>
[Collection(ProcessCollection.Name)]
public sealed class SiloProcessTests
{
    [Fact]
    public async Task The_management_port_serves_probes_Prometheus_metrics_with_Orleans_and_DmVoice_meters_and_the_dashboard()
    {
        // Localhost mode: one silo with in-memory state, and a gateway process that joins it.
        await using var cluster = await ProcessCluster.StartAsync("management", redis: false);
        var ports = cluster.SiloPorts(cluster.Hosts.Host(2));
        var silo = cluster.AddSilo("silo", cluster.Hosts.Host(2), ports, s => s["Silo:Dashboard"] = "true");
        var gateway = cluster.AddGateway("gateway", cluster.Hosts.Host(3));
        await cluster.StartAllAsync();

        foreach (var path in new[] { SiloManagementOptions.LivePath, SiloManagementOptions.ReadyPath })
        {
            using var probe = await silo.GetAsync(path);
            Assert.Equal(HttpStatusCode.OK, probe.StatusCode);
            Assert.Equal("Healthy", await probe.Content.ReadAsStringAsync());
        }

        // A call with a ring that is answered: joins, a ring outcome, grain calls, activations.
        await using var alice = await VoiceUser.CreateAsync(gateway.HealthAddress, TestIds.User("alice"), "Alice");
        await using var bob = await VoiceUser.CreateAsync(gateway.HealthAddress, TestIds.User("bob"), "Bob");
        var dm = await alice.CreateDmAsync(bob);
        await alice.JoinAsync(dm.Id);
        await bob.JoinAsync(dm.Id);

        var metrics = await Eventually.GetAsync(
            async () =>
            {
                using var response = await silo.GetAsync(SiloManagementOptions.MetricsPath);
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                Assert.Equal("text/plain", response.Content.Headers.ContentType?.MediaType);
                return await response.Content.ReadAsStringAsync();
            },
            // The exporter caches a scrape briefly; wait for one taken after the call.
            text => text.Contains("dmvoice_rings_stopped", StringComparison.Ordinal),
            "a scrape that includes the call");

        // DmVoice's calls and rings, and how long each grain method took where it ran.
        Assert.Matches(@"(?m)^dmvoice_calls_started_total(\{[^}]*\})? [1-9]", metrics);
        Assert.Matches(@"(?m)^dmvoice_calls_joins_total(\{[^}]*\})? [2-9]", metrics);
        Assert.Matches(@"(?m)^dmvoice_rings_stopped_total\{[^}]*outcome=""accepted""[^}]*\} 1", metrics);
        Assert.Matches(@"(?m)^dmvoice_grain_call_duration_seconds_count\{[^}]*grain=""IUserVoiceGrain""[^}]*method=""JoinDmCall""[^}]*outcome=""ok""[^}]*\} [2-9]", metrics);
        // Buckets fine enough for calls that take milliseconds.
        Assert.Matches(@"(?m)^dmvoice_grain_call_duration_seconds_bucket\{[^}]*method=""JoinDmCall""[^}]*le=""0.005""\}", metrics);
        // Orleans' own: activations by grain type, grain-to-grain request latency, storage timings.
        Assert.Matches(@"(?m)^orleans_grains\{[^}]*type=""[^""]*dmcall[^""]*""[^}]*\} [1-9]", metrics.ToLowerInvariant());
        Assert.Contains("orleans_catalog_activations", metrics, StringComparison.Ordinal);
        Assert.Contains("orleans_app_requests_latency_milliseconds_bucket", metrics, StringComparison.Ordinal);
        Assert.Contains("orleans_storage_write_latency_milliseconds_bucket", metrics, StringComparison.Ordinal);
        // And the runtime's: garbage collection, CPU.
        Assert.Contains("dotnet_gc_collections_total", metrics, StringComparison.Ordinal);

        // The dashboard (Silo:Dashboard=true): its page, and its data from the cluster.
        using var page = await silo.GetAsync(SiloManagementOptions.DashboardPath + "/");
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
        // Its counters are collected every second: wait for a collection that has seen the silo.
        await Eventually.GetAsync(
            async () =>
            {
                using var response = await silo.GetAsync(SiloManagementOptions.DashboardPath + "/DashboardCounters");
                return response.StatusCode == HttpStatusCode.OK
                    ? JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("totalActiveHostCount").GetInt32()
                    : -1;
            },
            activeHosts => activeHosts == 1,
            "the dashboard to count the one active silo");

        // SIGTERM is a clean stop.
        Assert.Equal(0, await silo.StopAsync());
        Assert.Matches(new Regex("Silo .* is S" + Regex.Escape("127.0.0.1")), silo.Output());
    }

    [Fact]
    public async Task A_silo_is_live_but_not_ready_while_Redis_does_not_answer_and_ready_once_it_has_joined()
    {
        await using var cluster = await ProcessCluster.StartAsync("not-ready");
        var redis = cluster.Redis!;
        var host = cluster.Hosts.Host(2);
        // Redis accepts the connection but, frozen, never answers; give the silo longer than StackExchange.Redis' 5 s to wait.
        var silo = cluster.AddSilo("silo", host, cluster.SiloPorts(host), s => s["ConnectionStrings:Redis"] = redis.ConnectionString + ",connectTimeout=60000");

        await redis.FreezeAsync();
        try
        {
            await silo.StartAsync(waitUntilReady: false);
            await silo.WaitUntilLiveAsync();
            using var notReady = await silo.GetAsync(SiloManagementOptions.ReadyPath);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, notReady.StatusCode);
            Assert.Equal("Unhealthy", await notReady.Content.ReadAsStringAsync());
        }
        finally
        {
            await redis.ThawAsync();
        }

        await silo.WaitUntilReadyAsync();
        Assert.True(silo.IsRunning);
    }

    [Theory]
    [InlineData("10.0.0")]
    [InlineData("300.1.2.3")]
    [InlineData("silo-1.internal")]
    [InlineData("0.0.0.0")]
    public async Task A_malformed_advertised_address_stops_the_silo_at_start_with_a_message_naming_the_setting(string address)
    {
        var output = await StartRefusedAsync(s =>
        {
            s["Cluster:Mode"] = "Redis";
            s["ConnectionStrings:Redis"] = "127.0.0.1:1";
            s["Cluster:AdvertisedIPAddress"] = address;
        });
        Assert.Contains($"Cluster:AdvertisedIPAddress '{address}'", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Kubernetes_hosting_switched_on_outside_a_pod_stops_the_silo_at_start_with_the_reason()
    {
        var output = await StartRefusedAsync(s =>
        {
            s["Cluster:Mode"] = "Redis";
            s["ConnectionStrings:Redis"] = "127.0.0.1:1";
            s["Cluster:Kubernetes"] = "true";
        });
        Assert.Contains("Cluster:Kubernetes=true", output, StringComparison.Ordinal);
        Assert.Contains("KUBERNETES_SERVICE_HOST", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_management_URL_that_is_not_an_http_URL_stops_the_silo_at_start_with_a_message_naming_the_setting()
    {
        var output = await StartRefusedAsync(s => s["Silo:ManagementUrls"] = "tcp://127.0.0.1:8081");
        Assert.Contains("Silo:ManagementUrls entry 'tcp://127.0.0.1:8081'", output, StringComparison.Ordinal);
    }

    /// <summary>Starts a silo that must refuse to run; returns its output once it has exited with a failure code.</summary>
    private static async Task<string> StartRefusedAsync(Action<Dictionary<string, string?>> settings)
    {
        await using var cluster = await ProcessCluster.StartAsync("refused", redis: false);
        var host = cluster.Hosts.Host(2);
        var silo = cluster.AddSilo("silo", host, cluster.SiloPorts(host), settings);
        await silo.StartAsync(waitUntilReady: false);
        Assert.NotEqual(0, await silo.WaitForExitAsync());
        return silo.Output();
    }
}

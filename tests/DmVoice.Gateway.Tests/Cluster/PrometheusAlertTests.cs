using System.Text.Json;
using DmVoice.Gateway.Tests.Deploy;
using DmVoice.TestSupport.LiveKit;
using DmVoice.TestSupport.Processes;

namespace DmVoice.Gateway.Tests.Cluster;

/// <summary>
/// Debian's Prometheus, run with the shipped deploy/prometheus/prometheus.yml and alerts.yml, against a
/// real silo process and a real gateway process on loopback: it scrapes them, the dashboard's queries
/// find their metrics, and the alerts go off when the silo dies.
/// </summary>
[Collection(ProcessCollection.Name)]
public sealed class PrometheusAlertTests
{
    private static readonly TimeSpan AlertWait = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Prometheus_with_the_shipped_config_scrapes_the_silo_and_the_gateway_and_every_dashboard_query_and_alert_finds_its_metrics()
    {
        PrometheusServer.RequireBinary();
        await using var deployment = await Deployment.StartAsync("prom-dash");
        var prometheus = deployment.Prometheus;

        // Traffic that makes every series the dashboard and the alerts read: a call with a ring and a device
        // receiving its events, a ring answered, a call that ends (and has LiveKit delete its room), storage
        // writes and grain calls.
        await using var alice = await VoiceUser.CreateAsync(deployment.Gateway.HealthAddress, TestIds.User("alice"), "Alice");
        await using var bob = await VoiceUser.CreateAsync(deployment.Gateway.HealthAddress, TestIds.User("bob"), "Bob");
        var phone = await bob.ConnectAsync(deployment.Gateway.HealthAddress);
        var dm = await alice.CreateDmAsync(bob);
        await alice.JoinAsync(dm.Id);
        await phone.WaitForAsync(VoiceEventNames.CallStarted);
        await bob.JoinAsync(dm.Id);
        await alice.LeaveAsync(dm.Id);
        await bob.LeaveAsync(dm.Id);

        var targets = await Eventually.GetAsync(
            prometheus.TargetsAsync,
            t => t.Count == 2 && t.All(x => x.Health == "up"),
            "Prometheus to scrape the silo and the gateway",
            TimeSpan.FromSeconds(30));
        Assert.Equal(["dmvoice-gateway", "dmvoice-silo"], targets.Select(t => t.Job).Order());

        await deployment.LiveKit.WaitForCallAsync("DeleteRoom", x => x.Room == DmVoice.LiveKit.LiveKitRooms.ForDm(dm.Id));

        // Every metric a dashboard query or an alert names is in Prometheus, scraped from the processes.
        var queries = MonitoringFiles.DashboardQueries();
        var names = queries.Select(q => q.Expression).Concat(MonitoringFiles.Alerts().Select(a => a.Expression))
            .SelectMany(MonitoringFiles.MetricNames)
            .ToHashSet(StringComparer.Ordinal);
        var missing = await Eventually.GetAsync(
            async () =>
            {
                var absent = new List<string>();
                foreach (var name in names)
                {
                    if ((await prometheus.QueryAsync($"count({{__name__=\"{name}\"}})")).GetArrayLength() == 0)
                    {
                        absent.Add(name);
                    }
                }

                return absent;
            },
            absent => absent.Count == 0,
            "every metric of the dashboard and the alerts to be scraped",
            TimeSpan.FromSeconds(45));
        Assert.Empty(missing);

        // Every query and alert is valid PromQL to Prometheus, and the silo says it is Active.
        foreach (var expression in queries.Select(q => q.Expression).Concat(MonitoringFiles.Alerts().Select(a => a.Expression)))
        {
            await prometheus.QueryAsync(expression);
        }

        var active = await prometheus.QueryAsync("dmvoice_silo_active");
        Assert.Equal("1", Assert.Single(active.EnumerateArray()).GetProperty("value")[1].GetString());
        Assert.DoesNotContain(await prometheus.AlertsAsync(), a => a.State == "firing");
    }

    [Fact]
    public async Task When_the_silo_dies_Prometheus_raises_DmVoiceSiloDown_and_the_gateway_s_503s_raise_DmVoiceUnavailableAnswers()
    {
        PrometheusServer.RequireBinary();
        await using var deployment = await Deployment.StartAsync("prom-alerts");
        var prometheus = deployment.Prometheus;
        await using var alice = await VoiceUser.CreateAsync(deployment.Gateway.HealthAddress, TestIds.User("alice"), "Alice");
        await using var bob = await VoiceUser.CreateAsync(deployment.Gateway.HealthAddress, TestIds.User("bob"), "Bob");
        await alice.CreateDmAsync(bob);
        await Eventually.GetAsync(prometheus.TargetsAsync, t => t.Count == 2 && t.All(x => x.Health == "up"), "both targets to be up", TimeSpan.FromSeconds(30));
        Assert.Empty(await prometheus.AlertsAsync());

        await deployment.Silo.KillAsync();

        // Users keep trying; every write is answered 503 temporarily_unavailable while the silo is gone.
        using var stop = new CancellationTokenSource();
        var unavailable = 0;
        var traffic = Task.Run(async () =>
        {
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
            http.DefaultRequestHeaders.Authorization = alice.Http.DefaultRequestHeaders.Authorization;
            while (!stop.IsCancellationRequested)
            {
                try
                {
                    using var response = await http.PostAsync(
                        new Uri(deployment.Gateway.HealthAddress, "/dm-groups"),
                        new StringContent($"{{\"memberIds\":[\"{bob.UserId}\"]}}", System.Text.Encoding.UTF8, "application/json"),
                        stop.Token);
                    if ((int)response.StatusCode == 503)
                    {
                        Interlocked.Increment(ref unavailable);
                    }
                }
                catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
                {
                }

                await Task.Delay(50, CancellationToken.None);
            }
        });

        try
        {
            var alerts = await Eventually.GetAsync(
                prometheus.AlertsAsync,
                a => a.Any(x => x.Name == "DmVoiceSiloDown") && a.Any(x => x.Name == "DmVoiceUnavailableAnswers"),
                "DmVoiceSiloDown and DmVoiceUnavailableAnswers to go pending or firing",
                AlertWait);

            var siloDown = alerts.Single(a => a.Name == "DmVoiceSiloDown");
            Assert.Contains(siloDown.State, new[] { "pending", "firing" });
            Assert.Equal(Authority(deployment.Silo.HealthAddress), siloDown.Labels.GetProperty("instance").GetString());
            Assert.Equal("page", siloDown.Labels.GetProperty("severity").GetString());
            var answers = alerts.Single(a => a.Name == "DmVoiceUnavailableAnswers");
            Assert.Equal(Authority(deployment.Gateway.MetricsAddress), answers.Labels.GetProperty("instance").GetString());
            Assert.True(Volatile.Read(ref unavailable) > 0);

            // Nothing else is wrong: no ghost, no 500, no lapsed lease, no push or LiveKit trouble.
            Assert.All(alerts, a => Assert.Contains(a.Name, new[] { "DmVoiceSiloDown", "DmVoiceUnavailableAnswers", "DmVoiceGatewayLeaseLapsed" }));
        }
        finally
        {
            await stop.CancelAsync();
            await traffic;
        }
    }

    private static string Authority(Uri address) => $"{address.Host}:{address.Port}";

    /// <summary>One silo and one gateway (Localhost mode) with a fake LiveKit server, and Prometheus scraping them.</summary>
    private sealed class Deployment(ProcessCluster cluster, FakeLiveKitServer liveKit, DmVoiceProcess silo, DmVoiceProcess gateway, PrometheusServer prometheus) : IAsyncDisposable
    {
        public FakeLiveKitServer LiveKit => liveKit;

        public DmVoiceProcess Silo => silo;

        public DmVoiceProcess Gateway => gateway;

        public PrometheusServer Prometheus => prometheus;

        public static async Task<Deployment> StartAsync(string name)
        {
            var liveKit = await FakeLiveKitServer.StartAsync();
            var cluster = await ProcessCluster.StartAsync(name, redis: false);
            try
            {
                cluster.CommonSettings["LiveKit:Url"] = liveKit.Url.ToString();
                cluster.CommonSettings["LiveKit:ApiKey"] = liveKit.ApiKey;
                cluster.CommonSettings["LiveKit:ApiSecret"] = liveKit.ApiSecret;
                var ports = cluster.SiloPorts(cluster.Hosts.Host(2));
                var silo = cluster.AddSilo("silo", cluster.Hosts.Host(2), ports);
                var gateway = cluster.AddGateway("gateway", cluster.Hosts.Host(3), configure: s =>
                {
                    s["Calls:EmptyCallGrace"] = "00:00:00";
                    s["Gateway:RequestsPerMinute"] = "100000";
                });
                silo.Settings["Calls:EmptyCallGrace"] = "00:00:00";
                await cluster.StartAllAsync();
                var prometheus = await PrometheusServer.StartAsync(new Dictionary<string, string[]>
                {
                    ["dmvoice-silo"] = [Authority(silo.HealthAddress)],
                    ["dmvoice-gateway"] = [Authority(gateway.MetricsAddress)],
                });
                return new Deployment(cluster, liveKit, silo, gateway, prometheus);
            }
            catch
            {
                await cluster.DisposeAsync();
                await liveKit.DisposeAsync();
                throw;
            }
        }

        public async ValueTask DisposeAsync()
        {
            await prometheus.DisposeAsync();
            await cluster.DisposeAsync();
            await liveKit.DisposeAsync();
        }
    }
}

using DmVoice.TestSupport.Processes;

namespace DmVoice.Benchmarks.Systems;

/// <summary>
/// DmVoice deployed as it runs in production, scaled out: two <c>DmVoice.Silo</c> and two
/// <c>DmVoice.Gateway</c> processes on one private redis-server (Redis mode), started with the
/// process harness of the tests (<see cref="ProcessCluster"/>). Silo A and gateway A listen on one
/// loopback address, silo B and gateway B on another, with the same ports, as two machines would.
/// The servers are other processes (<see cref="InProcess"/> is false): their memory is not measured,
/// their counters come from their /metrics and their CPU from their process ids. Every process is
/// stopped by its process id when the column ends, also after a failure.
/// </summary>
public sealed class DmVoiceClusterSystem : ISystemUnderTest
{
    /// <summary>Silos and gateways on a short leash: a column must not hang the run.</summary>
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(90);
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(15);

    private readonly ProcessCluster _cluster;

    private DmVoiceClusterSystem(string name, string description, ProcessCluster cluster, IReadOnlyList<Uri> gateways)
    {
        Name = name;
        Description = description;
        _cluster = cluster;
        Gateways = gateways;
    }

    public string Name { get; }

    public string Description { get; }

    public Uri BaseAddress => Gateways[0];

    public IReadOnlyList<Uri> Gateways { get; }

    public IReadOnlyList<IServiceProvider> Hosts => [];

    public bool InProcess => false;

    /// <summary>Every silo's and every gateway's management port serves /metrics.</summary>
    public IReadOnlyList<Uri> MetricsAddresses => [.. _cluster.Processes.Select(p => p.MetricsAddress)];

    public int? RedisProcessId => _cluster.Redis?.ProcessId;

    public double? SlowestProcessReadySeconds => _cluster.Processes.Max(p => p.ReadyAfter?.TotalSeconds);

    public IReadOnlyList<int> ServerProcessIds => [.. _cluster.Processes.Where(p => p.IsRunning).Select(p => p.ProcessId)];

    /// <summary>Where the processes' logs are (under the benchmark's output folder).</summary>
    public string LogDirectory => _cluster.LogDirectory;

    /// <summary>The processes run as in production (no /dev/token): users get tokens signed with the cluster's key.</summary>
    public Func<string, string>? MintToken => userId => ProcessCluster.MintToken(userId, userId);

    /// <param name="overrides">DmVoice settings for every process (the column's delivery mode among them).</param>
    /// <param name="environment">Environment variables for every process, on top of deploy/'s runtime settings.</param>
    /// <param name="apps">Which build of the silo and gateway to run (<see cref="PublishedApps"/> unless --built-apps).</param>
    /// <param name="progress">A line per stage while the processes start, which takes seconds.</param>
    public static async Task<DmVoiceClusterSystem> StartAsync(
        string name, IReadOnlyDictionary<string, string> overrides, IReadOnlyDictionary<string, string> environment, DmVoiceApps apps, Action<string> progress)
    {
        // As deployed: the Production environment and deploy/'s runtime settings (DeployRuntime).
        var cluster = await ProcessCluster.StartAsync("bench-" + name, production: true);
        try
        {
            cluster.Apps = apps;
            foreach (var (variable, value) in environment)
            {
                cluster.CommonEnvironment[variable] = value;
            }

            // The benchmark's own settings (rate limits lifted, calls end at once, quiet logs); the
            // cluster's identity, addresses, Redis and signing key are the harness's.
            foreach (var (key, value) in DmVoiceSystem.BaseSettings())
            {
                if (!key.StartsWith("Cluster:", StringComparison.OrdinalIgnoreCase) && !key.StartsWith("Auth:", StringComparison.OrdinalIgnoreCase))
                {
                    cluster.CommonSettings[key] = value;
                }
            }

            foreach (var (key, value) in overrides)
            {
                cluster.CommonSettings[key] = value;
            }

            var machineA = cluster.Hosts.Host(2);
            var machineB = cluster.Hosts.Host(3);
            var siloPorts = cluster.SiloPorts(machineA, machineB);
            var gatewayPort = GatewayPort(siloPorts, machineA, machineB);
            cluster.AddSilo("silo-a", machineA, siloPorts);
            cluster.AddSilo("silo-b", machineB, siloPorts);
            var gatewayA = cluster.AddGateway("gateway-a", machineA, gatewayPort);
            var gatewayB = cluster.AddGateway("gateway-b", machineB, gatewayPort);

            // One process at a time, each until it is ready, so that each one's time to ready is its own: two
            // silos joining an empty membership table at the same instant contend for it, and Orleans makes
            // the one that lost wait 2 to 4 s before it tries again (measured: 5.2 s to ready instead of 1.8 s).
            progress($"redis-server on {cluster.Redis!.ConnectionString}; starting silo-a ({machineA}), then silo-b ({machineB}) on ports {siloPorts.Silo}/{siloPorts.Gateway}");
            var clusterClock = System.Diagnostics.Stopwatch.StartNew();
            foreach (var silo in cluster.Silos)
            {
                await silo.StartAsync(timeout: StartTimeout);
            }

            progress($"silos ready (pids {string.Join(", ", cluster.Silos.Select(s => s.ProcessId))}; {ReadyTimes(cluster.Silos)}); starting gateway-a, then gateway-b on port {gatewayPort}");
            foreach (var gateway in cluster.Gateways)
            {
                await gateway.StartAsync(timeout: StartTimeout);
            }

            progress($"gateways ready (pids {string.Join(", ", cluster.Gateways.Select(g => g.ProcessId))}; {ReadyTimes(cluster.Gateways)}); all four ready {clusterClock.Elapsed.TotalSeconds:0.0} s after the first start; logs in {cluster.LogDirectory}");

            var delivery = overrides.GetValueOrDefault(DeliveryModes.Setting, "(product default)");
            var runtime = string.Join(", ", cluster.CommonEnvironment.Where(kv => kv.Value is not null).OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => $"{kv.Key}={kv.Value}"));
            var description = $"DmVoice scaled out: 2 silo + 2 gateway processes (apps {apps.Description}; Redis mode, private redis-server; {runtime}), {DeliveryModes.Setting}={delivery}; users spread over both gateways";
            var extra = overrides.Where(kv => !string.Equals(kv.Key, DeliveryModes.Setting, StringComparison.OrdinalIgnoreCase)).ToList();
            if (extra.Count > 0)
            {
                description += "; overrides: " + string.Join(", ", extra.Select(kv => $"{kv.Key}={kv.Value}"));
            }

            return new DmVoiceClusterSystem(name, description, cluster, [gatewayA.HealthAddress, gatewayB.HealthAddress]);
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// Gateways first (SIGTERM, so they drain like in a deployment), then silos; whatever has not exited
    /// in time is killed by its process id when the cluster is disposed, and so is redis-server.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        try
        {
            await Task.WhenAll(_cluster.Gateways.Where(p => p.IsRunning).Select(p => p.StopAsync(StopTimeout)));
            await Task.WhenAll(_cluster.Silos.Where(p => p.IsRunning).Select(p => p.StopAsync(StopTimeout)));
        }
        catch (Exception ex) when (ex is TimeoutException or InvalidOperationException)
        {
            Console.WriteLine($"[{Name}] a process did not stop in time and is killed: {ex.Message.Split('\n')[0]}");
        }
        finally
        {
            await _cluster.DisposeAsync();
        }
    }

    private static string ReadyTimes(IEnumerable<DmVoiceProcess> processes) =>
        "ready after " + string.Join(", ", processes.Select(p => string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{p.ReadyAfter?.TotalSeconds:0.00} s")));

    /// <summary>An HTTP port free on both addresses and not one of the silos' ports, which are not bound yet.</summary>
    private static int GatewayPort(SiloPorts silo, params System.Net.IPAddress[] hosts)
    {
        while (true)
        {
            var port = LoopbackAddresses.FreePort(hosts);
            if (port != silo.Silo && port != silo.Gateway && port != silo.Management)
            {
                return port;
            }
        }
    }
}

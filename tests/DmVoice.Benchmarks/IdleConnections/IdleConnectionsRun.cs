using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using DmVoice.Benchmarks.Report;
using DmVoice.Benchmarks.Systems;
using DmVoice.TestSupport.Processes;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR.Client;

namespace DmVoice.Benchmarks.IdleConnections;

/// <summary>
/// Gateway memory per idle connected user, measured in the gateway's own process: one private
/// redis-server, one <c>DmVoice.Silo</c> and one <c>DmVoice.Gateway</c> process (the process harness,
/// Redis mode, workstation GC like the cluster columns, the benchmark's settings), a baseline of the
/// gateway's managed heap and resident set, then N SignalR connections from this process (one user
/// each, WebSockets without negotiation, <c>sync</c> once as clients do), held idle for a while so
/// keep-alives and lease renewals run, and the gateway measured again. Only the gateway's process is
/// measured, so the clients' side of the connections is not in the figures.
/// </summary>
public static class IdleConnectionsRun
{
    public const int DefaultConnections = 20_000;
    public const double DefaultHoldSeconds = 20;

    /// <summary>Connections opened at a time.</summary>
    private const int Parallelism = 64;

    /// <summary>
    /// Descriptors beyond the sockets: the runtime, the cluster connections, logs, redis and the harness's
    /// pipes (a few hundred in either process).
    /// </summary>
    private const int SpareDescriptors = 1000;

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(90);
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan CollectionTimeout = TimeSpan.FromSeconds(60);

    /// <summary>Runs the mode, writes <c>idle-connections.json</c> and <c>.md</c> beside <c>--out</c>, prints the summary; returns the exit code.</summary>
    public static async Task<int> MainAsync(BenchmarkOptions options, string command, DmVoiceApps apps)
    {
        const string name = "idle";
        var machine = Machine.Describe();
        IdleConnectionsResult result;
        try
        {
            result = await RunAsync(name, options.IdleConnections, options.IdleHoldSeconds, options.Overrides, command, machine, apps);
        }
        catch (Exception ex)
        {
            Console.WriteLine($"== {name}: FAILED — {ex}");
            return 1;
        }

        var folder = Path.GetDirectoryName(Path.GetFullPath(options.Out))!;
        Directory.CreateDirectory(folder);
        var json = Path.Combine(folder, "idle-connections.json");
        var md = Path.Combine(folder, "idle-connections.md");
        await File.WriteAllTextAsync(json, JsonSerializer.Serialize(result, Json));
        var markdown = result.Markdown();
        await File.WriteAllTextAsync(md, markdown);
        Console.WriteLine();
        Console.WriteLine(markdown);
        Console.WriteLine($"JSON result: {json}");
        Console.WriteLine($"Markdown:    {md}");

        // The smoke check: the connections must have been made (errors on at most 1 %).
        if (result.Connected == 0 || result.Errors > Math.Max(1, result.Connections / 100))
        {
            Console.WriteLine($"benchmark FAILED: {result.Connected} of {result.Connections} connections made, {result.Errors} errors");
            return 1;
        }

        return 0;
    }

    public static async Task<IdleConnectionsResult> RunAsync(
        string name, int connections, double holdSeconds, IReadOnlyDictionary<string, string> overrides, string command, MachineInfo machine, DmVoiceApps apps)
    {
        var wall = Stopwatch.StartNew();
        void Say(string line) => Console.WriteLine($"[{name}] {line}");
        var loadAverageAtStart = Machine.LoadAverage();
        Console.WriteLine($"\n== {name}: gateway memory per idle connected user, {connections:N0} connections held {holdSeconds:0.#} s (load average {loadAverageAtStart})");

        var needed = (ulong)(connections + SpareDescriptors);
        var (soft, problem) = FileLimit.Ensure(needed);
        if (problem is not null)
        {
            throw new InvalidOperationException(string.Create(
                CultureInfo.InvariantCulture,
                $"Not enough file descriptors: {problem}. Each connection is a socket in this process and one in the gateway, each process has its own limit; at this limit at most {Math.Max(0, (long)soft - SpareDescriptors):N0} connections fit (--idle-connections N). Raising the hard limit needs root with CAP_SYS_RESOURCE (not granted inside some containers)."));
        }

        Say($"open-file limit {soft} for this process and the processes it starts (needed about {needed})");

        // As the cluster columns run them: the Production environment and deploy/'s runtime settings.
        await using var cluster = await ProcessCluster.StartAsync("bench-idle", production: true);
        cluster.Apps = apps;
        var settings = Settings(cluster, overrides);
        var host = cluster.Hosts.Host(2);
        var ports = cluster.SiloPorts(host);
        var silo = cluster.AddSilo("silo", host, ports);
        var gateway = cluster.AddGateway("gateway", host);
        try
        {
            Say($"redis-server on {cluster.Redis!.ConnectionString}; starting the silo on {host} (ports {ports.Silo}/{ports.Gateway})");
            await silo.StartAsync(timeout: StartTimeout);
            Say($"silo ready (pid {silo.ProcessId}); starting the gateway at {gateway.HealthAddress}");
            await gateway.StartAsync(timeout: StartTimeout);
            Say($"gateway ready (pid {gateway.ProcessId}, metrics {gateway.MetricsAddress}); logs in {cluster.LogDirectory}");
            var probe = new GatewayProbe(gateway.MetricsAddress, gateway.ProcessId);

            // Let start-up's own work (the first lease renewal, JIT) settle before the baseline.
            await Task.Delay(TimeSpan.FromSeconds(5));
            Say($"baseline: asking the gateway for a full collection (resident {Mib(probe.ResidentBytes())})");
            var baseline = await probe.AfterNextCollectionAsync(CollectionTimeout, Say);
            Say($"baseline: managed heap {Mib(baseline.LiveBytes)} live ({Mib(baseline.HeapBytes)} with fragmentation) after its last collection ({baseline.DeepestGeneration ?? "none since the mark"}{(baseline.Induced ? ", asked for" : string.Empty)}), resident {Mib(baseline.WorkingSetBytes)}");

            var run = Guid.NewGuid().ToString("N")[..6];
            var clients = new HubConnection?[connections];
            var errors = new ConcurrentDictionary<string, int>(StringComparer.Ordinal);
            var connectSeconds = await ConnectAllAsync(name, gateway.HealthAddress, clients, i => ProcessCluster.MintToken($"idle-{run}-{i}", $"idle-{run}-{i}"), errors, probe);
            var connected = clients.Count(c => c is not null);
            var afterConnect = probe.ResidentBytes();

            Say($"holding {connected:N0} connections idle for {holdSeconds:0.#} s");
            var held = Stopwatch.StartNew();
            while (held.Elapsed.TotalSeconds < holdSeconds)
            {
                await Task.Delay(TimeSpan.FromSeconds(Math.Min(5, Math.Max(0.1, holdSeconds - held.Elapsed.TotalSeconds))));
                var open = clients.Count(c => c?.State == HubConnectionState.Connected);
                Say(string.Create(CultureInfo.InvariantCulture, $"idle {Math.Min(100, held.Elapsed.TotalSeconds * 100 / holdSeconds),3:0}% ({held.Elapsed.TotalSeconds:0}/{holdSeconds:0.#} s): {open:N0} connected, gateway resident {Mib(probe.ResidentBytes())}"));
            }

            Say("idle: asking the gateway for a full collection");
            var idle = await probe.AfterNextCollectionAsync(CollectionTimeout, Say);
            Say($"idle: managed heap {Mib(idle.LiveBytes)} live ({Mib(idle.HeapBytes)} with fragmentation) after its last collection ({idle.DeepestGeneration ?? "none since the mark"}{(idle.Induced ? ", asked for" : string.Empty)}), resident {Mib(idle.WorkingSetBytes)}");
            var stillOpen = clients.Count(c => c?.State == HubConnectionState.Connected);
            var loadAverageAtEnd = Machine.LoadAverage();
            var result = IdleConnectionsResult.From(
                DateTimeOffset.UtcNow, command, machine, name, connections, connected, stillOpen, errors.ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal),
                connectSeconds, holdSeconds, baseline, afterConnect, idle, SettingsUsed(settings), $"apps {apps.Description}; {Runtime(cluster)}", loadAverageAtStart, loadAverageAtEnd, 0);
            Say(string.Create(
                CultureInfo.InvariantCulture,
                $"done: managed heap {result.HeapBytesPerConnection / 1024:0.00} KB per idle connected user, resident {result.WorkingSetBytesPerConnection / 1024:0.00} KB per user; {result.ConnectionsIn2GiB:N0} connections in 2 GiB"));

            Say($"closing {connected:N0} connections");
            await Parallel.ForEachAsync(clients.Where(c => c is not null), new ParallelOptions { MaxDegreeOfParallelism = Parallelism }, async (c, _) => await c!.DisposeAsync());
            return result with { WallSeconds = Math.Round(wall.Elapsed.TotalSeconds, 1) };
        }
        finally
        {
            // The gateway drains like in a deployment, then the silo; whatever still runs is killed, and
            // redis-server removed, when the cluster is disposed (also after a failure).
            Say("stopping the gateway and the silo");
            try
            {
                if (gateway.IsRunning)
                {
                    await gateway.StopAsync(StopTimeout);
                }

                if (silo.IsRunning)
                {
                    await silo.StopAsync(StopTimeout);
                }
            }
            catch (Exception ex) when (ex is TimeoutException or InvalidOperationException)
            {
                Say($"a process did not stop in time and is killed: {ex.Message.Split('\n')[0]}");
            }
        }
    }

    /// <summary>The benchmark's DmVoice settings (rate limits lifted, quiet logs, --set) on top of the harness's, plus the runtime meter on /metrics.</summary>
    private static Dictionary<string, string?> Settings(ProcessCluster cluster, IReadOnlyDictionary<string, string> overrides)
    {
        foreach (var (key, value) in DmVoiceSystem.BaseSettings())
        {
            if (!key.StartsWith("Cluster:", StringComparison.OrdinalIgnoreCase) && !key.StartsWith("Auth:", StringComparison.OrdinalIgnoreCase))
            {
                cluster.CommonSettings[key] = value;
            }
        }

        // The gateway exports only its own meters: this turns on the .NET runtime's (heap after the last
        // collection, collection counts) through the host's metrics configuration, without changing it.
        cluster.CommonSettings["Metrics:EnabledMetrics:System.Runtime"] = "true";
        foreach (var (key, value) in overrides)
        {
            cluster.CommonSettings[key] = value;
        }

        return cluster.CommonSettings;
    }

    /// <summary>The processes' environment as the harness sets it (e.g. DOTNET_gcServer=0, ASPNETCORE_ENVIRONMENT=Production).</summary>
    private static string Runtime(ProcessCluster cluster) =>
        string.Join(", ", cluster.CommonEnvironment.Where(kv => kv.Value is not null).OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => $"{kv.Key}={kv.Value}"));

    private static Dictionary<string, string> SettingsUsed(Dictionary<string, string?> settings) =>
        settings
            .Where(kv => kv.Value is not null && !kv.Key.StartsWith("Auth:", StringComparison.OrdinalIgnoreCase) && !kv.Key.StartsWith("Cluster:", StringComparison.OrdinalIgnoreCase) && !kv.Key.StartsWith("ConnectionStrings:", StringComparison.OrdinalIgnoreCase))
            .ToDictionary(kv => kv.Key, kv => kv.Value!, StringComparer.Ordinal);

    /// <summary>Opens a connection per slot, <see cref="Parallelism"/> at a time, with a progress line every 3 s; returns the seconds it took.</summary>
    private static async Task<double> ConnectAllAsync(
        string name, Uri gateway, HubConnection?[] clients, Func<int, string> token, ConcurrentDictionary<string, int> errors, GatewayProbe probe)
    {
        var hub = new Uri(gateway, "/hubs/voice");
        var done = 0L;
        var failed = 0L;
        var ticker = new RateTicker(TimeSpan.FromSeconds(3), () => Interlocked.Read(ref done), (now, rate, average) =>
            Console.WriteLine(string.Create(
                CultureInfo.InvariantCulture,
                $"[{name}] connecting: {now:N0}/{clients.Length:N0} ({now * 100 / clients.Length}%), {rate:N0}/s now, {average:N0}/s avg, {Interlocked.Read(ref failed)} errors, gateway resident {Mib(probe.ResidentBytes())}")));

        await Parallel.ForEachAsync(Enumerable.Range(0, clients.Length), new ParallelOptions { MaxDegreeOfParallelism = Parallelism }, async (i, _) =>
        {
            var userToken = token(i);
            var connection = new HubConnectionBuilder()
                .WithUrl(hub, o =>
                {
                    o.AccessTokenProvider = () => Task.FromResult<string?>(userToken);
                    o.Transports = HttpTransportType.WebSockets;
                    o.SkipNegotiation = true;
                })
                .Build();
            try
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
                await connection.StartAsync(timeout.Token);
                // The documented handshake: connect, then sync.
                await connection.InvokeAsync<JsonElement>("sync", timeout.Token);
                clients[i] = connection;
                Interlocked.Increment(ref done);
            }
            catch (Exception ex)
            {
                Interlocked.Increment(ref failed);
                errors.AddOrUpdate(ex.GetType().Name + ": " + ex.Message.Split('\n')[0], 1, (_, n) => n + 1);
                await connection.DisposeAsync();
            }
        });
        var seconds = ticker.ElapsedSeconds;
        await ticker.DisposeAsync();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"[{name}] connecting: {done:N0}/{clients.Length:N0} connected in {seconds:0.0} s, {done / seconds:N0}/s, {failed} errors, gateway resident {Mib(probe.ResidentBytes())}"));
        return seconds;
    }

    internal static string Mib(long bytes) => string.Create(CultureInfo.InvariantCulture, $"{bytes / 1048576.0:0.0} MiB");
}

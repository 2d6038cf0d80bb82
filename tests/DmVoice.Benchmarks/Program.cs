using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using DmVoice.Benchmarks;
using DmVoice.Benchmarks.GrainMemory;
using DmVoice.Benchmarks.IdleConnections;
using DmVoice.Benchmarks.Load;
using DmVoice.Benchmarks.Report;
using DmVoice.Benchmarks.Systems;
using DmVoice.TestSupport.Processes;

BenchmarkOptions options;
try
{
    options = BenchmarkOptions.Parse(args);
}
catch (Exception ex) when (ex is ArgumentException or FormatException)
{
    Console.Error.WriteLine(ex.Message);
    Console.Error.WriteLine(BenchmarkOptions.Usage);
    return 2;
}

if (options.Help)
{
    Console.WriteLine(BenchmarkOptions.Usage);
    return 0;
}

var wall = Stopwatch.StartNew();
var machine = Machine.Describe();
var command = "dotnet run -c Release --project tests/DmVoice.Benchmarks --" + (args.Length > 0 ? " " + string.Join(' ', args.Select(Quote)) : string.Empty);
Console.WriteLine($"DmVoice benchmark: {command}");
Console.WriteLine($"machine: {machine.Cores} cores, {machine.MemoryBytes / (1024 * 1024)} MiB, {machine.Runtime}, SDK {machine.DotnetSdk}, load average {machine.LoadAverageAtStart}");
// The processes of the scaled-out columns and of --idle-connections run the apps as deployed: published once, when first needed.
var outputDirectory = Path.GetDirectoryName(Path.GetFullPath(options.Out))!;
var appsForProcesses = new Lazy<Task<DmVoiceApps>>(() => options.PublishApps
    ? PublishedApps.PublishAsync(Path.Combine(outputDirectory, "apps"), line => Console.WriteLine($"[apps] {line}"))
    : Task.FromResult(DmVoiceApps.Built));
if (options.IdleConnections > 0)
{
    // A separate mode: the gateway's own process, measured alone.
    return await IdleConnectionsRun.MainAsync(options, command, await appsForProcesses.Value);
}

if (options.Targets.Count > 0)
{
    Console.WriteLine($"workload: {LoadGenerator.Describe(options)}; load {options.DurationSeconds} s, light load {options.LightCalls} calls × {options.LightDurationSeconds} s with {options.ThinkMs} ms think time, lease window {options.LeaseWindowSeconds} s");
}

if (options.GrainMemory)
{
    var (gmCalls, _, _) = GrainMemoryRun.Layout(options.Participants);
    Console.WriteLine($"grain-level memory: {options.Participants:N0} participants in {gmCalls:N0} live calls, delivery {string.Join(", ", options.GrainDelivery)}");
}

var redisServer = RedisServer.FindProgram();
var notes = new List<string>();
var results = new List<SystemResult>();
var runs = new List<(string Name, Func<Task<ISystemUnderTest>>? Start, string? Skip)>();
foreach (var target in options.Targets)
{
    switch (target)
    {
        case TargetNames.Floor:
            runs.Add((TargetNames.Floor, async () => await FloorSystem.StartAsync(), null));
            break;
        case TargetNames.Seed or TargetNames.SeedBackplane or TargetNames.SeedBackplaneCluster:
            var backplane = target != TargetNames.Seed;
            var seedGateways = target == TargetNames.SeedBackplaneCluster ? 2 : 1;
            runs.Add(redisServer is null
                ? (target, null, "redis-server was not found on PATH; the seed-design baselines need a real Redis")
                : (target, async () => await SeedSystem.StartAsync(target, redisServer, backplane, seedGateways), null));
            break;
        case TargetNames.DmVoiceDirect or TargetNames.DmVoiceStreams or TargetNames.DmVoiceRedisDirect or TargetNames.DmVoiceRedisStreams:
            var delivery = target is TargetNames.DmVoiceDirect or TargetNames.DmVoiceRedisDirect ? DeliveryModes.Direct : DeliveryModes.Streams;
            var inRedis = target is TargetNames.DmVoiceRedisDirect or TargetNames.DmVoiceRedisStreams;
            // The column's delivery mode wins over --set.
            var settings = new Dictionary<string, string>(options.Overrides, StringComparer.OrdinalIgnoreCase) { [DeliveryModes.Setting] = delivery };
            runs.Add(DmVoiceRun(target, settings, inRedis));
            break;
        case TargetNames.DmVoiceCluster or TargetNames.DmVoiceClusterStreams:
            var clusterSettings = new Dictionary<string, string>(options.Overrides, StringComparer.OrdinalIgnoreCase)
            {
                [DeliveryModes.Setting] = target == TargetNames.DmVoiceCluster ? DeliveryModes.Direct : DeliveryModes.Streams,
            };
            runs.Add(redisServer is null
                ? (target, null, "cluster mode needs redis-server, which was not found on PATH")
                : (target, async () => await DmVoiceClusterSystem.StartAsync(target, clusterSettings, new Dictionary<string, string>(), await appsForProcesses.Value, line => Console.WriteLine($"[{target}] {line}")), null));
            break;
    }
}

foreach (var (name, variantSettings) in options.Variants)
{
    var merged = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase) { [DeliveryModes.Setting] = DeliveryModes.Direct };
    foreach (var (k, v) in options.Overrides.Concat(variantSettings))
    {
        merged[k] = v;
    }

    var inRedis = string.Equals(merged.GetValueOrDefault("Cluster:Mode"), "Redis", StringComparison.OrdinalIgnoreCase);
    runs.Add(DmVoiceRun(name, merged, inRedis));
}

foreach (var (name, variantSettings, environment) in options.ClusterVariants)
{
    var merged = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase) { [DeliveryModes.Setting] = DeliveryModes.Direct };
    foreach (var (k, v) in options.Overrides.Concat(variantSettings))
    {
        merged[k] = v;
    }

    runs.Add(redisServer is null
        ? (name, null, "cluster mode needs redis-server, which was not found on PATH")
        : (name, async () => await DmVoiceClusterSystem.StartAsync(name, merged, environment, await appsForProcesses.Value, line => Console.WriteLine($"[{name}] {line}")), null));
}

if (runs.Any(r => TargetNames.IsDmVoice(r.Name)) && !DmVoiceSystem.DeliverySettingKnown)
{
    notes.Add($"This build of DmVoice has no EventDelivery setting: {DeliveryModes.Setting} is ignored, so the -direct and -streams columns run the same code (memory streams).");
}

if (runs.Any(r => TargetNames.IsCluster(r.Name) && r.Start is not null))
{
    // Published before anything is measured, so no column's start or warm-up pays for the publish. A
    // failed publish fails the scaled-out columns (each start awaits the same task), not the whole run.
    try
    {
        await appsForProcesses.Value;
    }
    catch (Exception ex) when (ex is InvalidOperationException or TimeoutException)
    {
        Console.WriteLine($"[apps] publishing failed; the scaled-out columns will fail: {ex.Message.Split('\n')[0]}");
    }
}

if (options.WarmupRoundSeconds > 0 && runs.Count > 0)
{
    // Measured: without this the first system run pays for tier-0 code (Orleans, Kestrel, SignalR and
    // the client) while the tiered JIT recompiles it on cores that are already saturated.
    Console.WriteLine($"\n== warm-up round: DmVoice for {options.WarmupRoundSeconds} s, not recorded");
    var warmSettings = new Dictionary<string, string>(options.Overrides, StringComparer.OrdinalIgnoreCase) { [DeliveryModes.Setting] = DeliveryModes.Direct };
    await using var warmSystem = await DmVoiceSystem.StartAsync("warm-up", warmSettings, null);
    await using (var warmLoad = new LoadGenerator([warmSystem.BaseAddress], options, Math.Min(options.Calls, 100)))
    {
        await warmLoad.SetUpAsync((_, _, _) => { }, CancellationToken.None);
        var warm = new Recorder();
        await warmLoad.RunAsync(warmLoad.CallCount, TimeSpan.FromSeconds(options.WarmupRoundSeconds), 0, warm, Ticker("warm-up", "round", options.WarmupRoundSeconds, warm));
    }
}

foreach (var (name, start, skip) in runs)
{
    if (start is null)
    {
        Console.WriteLine($"\n== {name}: skipped — {skip}");
        results.Add(SystemResult.NotRun(name, skip, null));
        notes.Add($"{name} skipped: {skip}");
        continue;
    }

    try
    {
        results.Add(await RunSystemAsync(name, start, options));
    }
    catch (Exception ex)
    {
        Console.WriteLine($"== {name}: FAILED — {ex}");
        results.Add(SystemResult.NotRun(name, null, ex.GetType().Name + ": " + ex.Message));
    }
}

var grainMemory = new List<GrainMemoryResult>();
var grainMemoryFailures = new List<string>();
if (options.GrainMemory)
{
    foreach (var delivery in options.GrainDelivery)
    {
        var name = "grains-" + delivery.ToLowerInvariant();
        try
        {
            grainMemory.Add(await GrainMemoryRun.RunAsync(name, delivery, options.Participants, options.Overrides));
        }
        catch (Exception ex)
        {
            Console.WriteLine($"== {name}: FAILED — {ex}");
            grainMemoryFailures.Add(name);
            notes.Add($"{name} failed: {ex.GetType().Name}: {ex.Message}");
        }
    }

    if (!DmVoiceSystem.DeliverySettingKnown && options.GrainDelivery.Count > 1)
    {
        notes.Add($"Grain-level memory: {DeliveryModes.Setting} is ignored by this build, so its columns run the same code.");
    }
}

var ratios = new List<RatioSet>();
var ran = results.Where(r => r.Skipped is null && r.Failure is null).ToList();
foreach (var system in ran.Where(r => TargetNames.IsDmVoice(r.Name)))
{
    foreach (var baseline in ran.Where(r => TargetNames.Baselines.Contains(r.Name)))
    {
        ratios.Add(Figures.Ratio(system, baseline));
    }
}

var targets = Targets.Check(results);
var cpu = ran.Where(r => r.Load is not null).Select(r => r.Load!.CpuPercent).ToList();
var loads = ran.Select(r => r.LoadAverage1m).OfType<double>().ToList();
if (cpu.Count > 1 && loads.Count > 1 && loads.Max() - loads.Min() > machine.Cores)
{
    // Throughput ratios assume every column had the same machine; here they did not.
    notes.Add(string.Create(
        CultureInfo.InvariantCulture,
        $"The machine's load changed during the run (load average {loads.Min():0.#} to {loads.Max():0.#} when the columns started; this process got {cpu.Min():0}–{cpu.Max():0} % of the CPU under load): other work competed with the later or earlier columns, so compare their ratios with care."));
}
if (results.Any(r => TargetNames.IsCluster(r.Name)))
{
    notes.Add($"dmvoice-cluster columns: the silos and gateways are separate processes, run as deployed (Production environment, deploy/'s runtime settings: {string.Join(", ", DeployRuntime.Environment.Select(kv => $"{kv.Key}={kv.Value}"))}; tokens signed with the cluster's key as an identity provider's would be), so memory and the lease window are n/a, and the server counters (grain calls, storage writes, events pushed, ...) are read from the processes' /metrics at the edges of each phase (counts and means, no percentiles, so server request time is n/a); the other figures are the client's (ops/s, event and REST latency, errors), 'process CPU' is the benchmark process (the client) only and 'separate server processes CPU' the four silos and gateways. 'CPU per operation, all processes' adds this process, the servers and redis-server, for every column alike, so it compares a scaled-out column with a single-process one. The processes are warmed up by the column's own warm-up load (--process-warmup, {options.ProcessWarmupSeconds} s: fresh processes the warm-up round never reached) before anything is measured.");
}

if (results.Any(r => r.Skipped is null && r.Failure is null && !TargetNames.IsCluster(r.Name)))
{
    notes.Add("Client (load generator) and servers share one process and its cores; memory figures are differences between snapshots and include the client side of each connection, which is the same for every system.");
}

if (results.Count > 0)
{
    notes.Add("'load' = closed loop, no think time: latency includes queueing at saturation. 'light' = few calls with think time: latency without queueing.");
}

if (grainMemory.Count > 0)
{
    notes.Add("Grain-level memory: per participant and per call are (heap after the joins − heap before anything was created) ÷ participants or calls; the DMs' own grains (group, member directories, the call grain) are part of it. The silo's fixed costs are in the baseline.");
}
var settingsUsed = new Dictionary<string, string>(DmVoiceSystem.BaseSettings().Where(kv => !kv.Key.StartsWith("Cluster:", StringComparison.Ordinal) && !kv.Key.StartsWith("Auth:", StringComparison.Ordinal)), StringComparer.Ordinal);
foreach (var (k, v) in options.Overrides)
{
    settingsUsed[k] = v;
}

settingsUsed["mode"] = (options.Redis ? "embedded + Redis" : "embedded") + (options.Cluster ? " + cluster" : string.Empty);
settingsUsed["leaseWindowSeconds"] = options.LeaseWindowSeconds.ToString(CultureInfo.InvariantCulture);
var result = new BenchmarkResult(
    DateTimeOffset.UtcNow, command, machine, LoadGenerator.Describe(options), settingsUsed, results, ratios, targets, grainMemory, notes, Math.Round(wall.Elapsed.TotalSeconds, 1));

var outPath = Path.GetFullPath(options.Out);
Directory.CreateDirectory(Path.GetDirectoryName(outPath)!);
await File.WriteAllTextAsync(outPath, JsonSerializer.Serialize(result, new JsonSerializerOptions(JsonSerializerDefaults.Web) { WriteIndented = true }));
var markdown = Markdown.Document(result);
await File.WriteAllTextAsync(Path.ChangeExtension(outPath, ".md"), markdown);

Console.WriteLine();
Console.WriteLine(markdown);
Console.WriteLine($"JSON result: {outPath}");
Console.WriteLine($"Markdown:    {Path.ChangeExtension(outPath, ".md")}");
Console.WriteLine($"wall time {wall.Elapsed.TotalSeconds:0.0} s");

// A smoke check: every system that ran must have completed call cycles with (almost) no errors.
var failed = results.Where(r => r.Failure is not null || (r.Skipped is null && (r.Load is not { Cycles: > 0 } || r.Load.Errors > Math.Max(1, r.Load.Ops / 100))))
    .Select(r => r.Name)
    .Concat(grainMemoryFailures)
    .Concat(grainMemory.Where(g => g.LiveParticipantsVerified != g.Participants).Select(g => g.Name))
    .ToList();
if (failed.Count > 0)
{
    Console.WriteLine("benchmark FAILED for: " + string.Join(", ", failed));
    return 1;
}

return 0;

(string Name, Func<Task<ISystemUnderTest>>? Start, string? Skip) DmVoiceRun(string name, Dictionary<string, string> settings, bool inRedis) =>
    inRedis && redisServer is null
        ? (name, null, "Redis mode needs redis-server, which was not found on PATH")
        : (name, async () => await DmVoiceSystem.StartAsync(name, settings, inRedis ? redisServer : null), null);

static string Quote(string arg) => arg.Contains(' ', StringComparison.Ordinal) || arg.Contains(';', StringComparison.Ordinal) ? $"\"{arg}\"" : arg;

static async Task<SystemResult> RunSystemAsync(string name, Func<Task<ISystemUnderTest>> start, BenchmarkOptions options)
{
    var loadAverage = Machine.LoadAverage();
    Console.WriteLine($"\n== {name}: starting (load average {loadAverage})");
    await MemorySnapshot.TakeAsync();
    var clock = Stopwatch.StartNew();
    var system = await start();
    var startup = clock.Elapsed.TotalSeconds;
    Console.WriteLine($"[{name}] started in {startup:0.0} s at {string.Join(", ", system.Gateways)} — {system.Description}");
    try
    {
        if (!system.Gateways.All(LoadGenerator.IsLoopback))
        {
            throw new InvalidOperationException("The system under test must listen on loopback only.");
        }

        // Meters of servers in other processes cannot be heard from here.
        using var counters = options.Counters && system.InProcess ? new ServerCounters(system.Hosts) : null;
        // ... so those are read from their /metrics at the edges of the load and light phases.
        var scraped = options.Counters && !system.InProcess && system.MetricsAddresses.Count > 0 ? new ScrapedCounters(system.MetricsAddresses) : null;
        var windows = new Dictionary<string, CounterWindow>(StringComparer.Ordinal);
        var baseline = await MemorySnapshot.TakeAsync();
        await using var load = new LoadGenerator(system.Gateways, options, mintToken: system.MintToken);
        var setup = new Recorder();
        var printed = new Dictionary<string, int>(StringComparer.Ordinal);
        counters?.Begin();
        await load.SetUpAsync((phase, done, total) =>
        {
            var decile = done * 10 / total;
            lock (printed)
            {
                if (printed.GetValueOrDefault(phase, -1) < decile)
                {
                    printed[phase] = decile;
                    Console.WriteLine($"[{name}] setup: {phase} {done}/{total} ({done * 100 / total}%)");
                }
            }
        }, CancellationToken.None);
        if (counters is not null)
        {
            windows["setup"] = counters.End();
        }

        if (system.Gateways.Count > 1)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"[{name}] setup: users spread over {system.Gateways.Count} gateways; {load.CrossGatewayShare:P0} of the awaited (actor, observer) pairs cross gateways"));
        }

        var connected = await MemorySnapshot.TakeAsync();
        LeaseResult? lease = null;
        if (TargetNames.IsDmVoice(name) && system.InProcess && options.LeaseWindowSeconds > 0)
        {
            lease = await LeaseWindowAsync(name, counters, load.UserCount, options.LeaseWindowSeconds, windows);
        }

        Console.WriteLine($"[{name}] setup: joining two members in each of {load.CallCount} calls");
        await load.JoinAllAsync(setup);
        var active = await MemorySnapshot.TakeAsync();
        Console.WriteLine($"[{name}] setup: leaving all calls");
        await load.LeaveAllAsync(setup);
        if (setup.ErrorCount > 0)
        {
            Console.WriteLine($"[{name}] setup errors: {string.Join(", ", setup.Errors.Select(e => $"{e.Key}={e.Value}"))}");
        }

        // Tiered JIT: without this the first system measured pays for compiling the shared code. Servers in
        // processes of their own start cold (the warm-up round ran in this process), and a profile of them
        // 5 s into the load showed a fifth of their samples in the JIT compiler: they warm up longer.
        var warmupSeconds = system.InProcess ? options.WarmupSeconds : options.ProcessWarmupSeconds;
        if (warmupSeconds > 0)
        {
            var warmup = new Recorder();
            await load.RunAsync(options.Calls, TimeSpan.FromSeconds(warmupSeconds), 0, warmup, Ticker(name, "warm-up (not recorded)", warmupSeconds, warmup));
        }

        var loadRecorder = new Recorder();
        var loadCounters = await load.RunAsync(options.Calls, TimeSpan.FromSeconds(options.DurationSeconds), 0, loadRecorder, Ticker(name, "load", options.DurationSeconds, loadRecorder), counters, system.ServerProcessIds, scraped, system.RedisProcessId);
        var loadResult = PhaseResult.From(loadRecorder, options.DurationSeconds, options.Calls, 0, loadCounters);

        if (options.SettleSeconds > 0)
        {
            var settled = await LoadGenerator.SettleAsync(
                TimeSpan.FromSeconds(options.SettleSeconds),
                system.ServerProcessIds,
                system.RedisProcessId,
                (seconds, percent) =>
                {
                    if ((int)seconds % 5 == 0)
                    {
                        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"[{name}] settling after the load: {percent:0.0} % of all cores ({seconds:0}/{options.SettleSeconds:0} s at most)"));
                    }
                });
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"[{name}] settled in {settled.TotalSeconds:0.0} s"));
        }

        var lightRecorder = new Recorder();
        var lightCounters = await load.RunAsync(options.LightCalls, TimeSpan.FromSeconds(options.LightDurationSeconds), options.ThinkMs, lightRecorder, Ticker(name, "light", options.LightDurationSeconds, lightRecorder), counters, system.ServerProcessIds, scraped, system.RedisProcessId);
        var lightResult = PhaseResult.From(lightRecorder, options.LightDurationSeconds, options.LightCalls, options.ThinkMs, lightCounters);

        // This process holds only the client side of an out-of-process system: its memory says nothing about the servers.
        var memory = system.InProcess ? MemoryResult.From(baseline, connected, active, load.UserCount, load.CallCount) : null;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"[{name}] done: load {loadResult.OpsPerSecond:0} ops/s, event p50 {loadResult["event:all"]?.P50:0.00} ms p99 {loadResult["event:all"]?.P99:0.00} ms; light event p50 {lightResult["event:all"]?.P50:0.00} ms p99 {lightResult["event:all"]?.P99:0.00} ms; errors {loadResult.Errors + lightResult.Errors}"));
        return new SystemResult(name, system.Description, Math.Round(startup, 2), load.UserCount, load.CallCount, loadResult, lightResult, memory, lease, windows, load.UnmatchedEvents, null, null, loadAverage, system.SlowestProcessReadySeconds);
    }
    finally
    {
        Console.WriteLine($"[{name}] stopping");
        await system.DisposeAsync();
    }
}

// Connections held open with no calls: what does keeping them registered cost the cluster?
static async Task<LeaseResult> LeaseWindowAsync(string name, ServerCounters? counters, int connections, double seconds, Dictionary<string, CounterWindow> windows)
{
    Console.WriteLine($"[{name}] lease window: {connections} connections open and idle for {seconds:0.#} s");
    counters?.Begin();
    var started = Stopwatch.GetTimestamp();
    while (Stopwatch.GetElapsedTime(started).TotalSeconds < seconds)
    {
        var left = seconds - Stopwatch.GetElapsedTime(started).TotalSeconds;
        await Task.Delay(TimeSpan.FromSeconds(Math.Min(1, Math.Max(0, left))));
        var elapsed = Stopwatch.GetElapsedTime(started).TotalSeconds;
        if (counters is not null && (elapsed >= seconds || (int)elapsed % 5 == 0))
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"[{name}] lease window {Math.Min(100, elapsed * 100 / seconds),3:0}% ({elapsed:0.0}/{seconds:0.#} s): {counters.SoFar(ServerCounters.PresenceMessages):0} presence messages so far"));
        }
    }

    if (counters is null)
    {
        return LeaseResult.From(connections, seconds, null, windows.GetValueOrDefault("setup"));
    }

    var window = counters.End();
    windows["idle"] = window;
    var result = LeaseResult.From(connections, seconds, window, windows.GetValueOrDefault("setup"));
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"[{name}] lease window done: {result.PresenceMessagesPerSecondPer10k:0.0} presence messages/s per 10,000 connections{(result.CounterPresent ? string.Empty : " (counter not present)")}; {result.GrainCallsPerSecond:0} grain calls/s in the cluster (of which {result.StreamQueuePollsPerSecond:0} stream queue polls)"));
    return result;
}

static Action<double> Ticker(string name, string phase, double duration, Recorder recorder)
{
    var lastOps = 0L;
    var lastAt = 0.0;
    return elapsed =>
    {
        var ops = recorder.Ops;
        var rate = elapsed > lastAt ? (ops - lastOps) / (elapsed - lastAt) : 0;
        lastOps = ops;
        lastAt = elapsed;
        Console.WriteLine(string.Create(
            CultureInfo.InvariantCulture,
            $"[{name}] {phase} {Math.Min(100, elapsed * 100 / duration),3:0}% ({elapsed:0.0}/{duration:0.#} s): {rate:0} ops/s now, {ops / Math.Max(elapsed, 0.001):0} avg, {recorder.Events} events, {recorder.Cycles} cycles, {recorder.ErrorCount} errors"));
    };
}

using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using DmVoice.Benchmarks;
using DmVoice.Benchmarks.Load;
using DmVoice.Benchmarks.Report;
using DmVoice.Benchmarks.Systems;

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
Console.WriteLine($"workload: {LoadGenerator.Describe(options)}; load {options.DurationSeconds} s, light load {options.LightCalls} calls × {options.LightDurationSeconds} s with {options.ThinkMs} ms think time");

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
        case TargetNames.Seed:
            runs.Add(redisServer is null
                ? (TargetNames.Seed, null, "redis-server was not found on PATH; the seed-design baseline needs a real Redis")
                : (TargetNames.Seed, async () => await SeedSystem.StartAsync(redisServer), null));
            break;
        case TargetNames.DmVoice:
            var dmVoiceRuns = new List<(string, Dictionary<string, string>)> { (TargetNames.DmVoice, new(options.Overrides, StringComparer.OrdinalIgnoreCase)) };
            foreach (var (name, settings) in options.Variants)
            {
                var merged = new Dictionary<string, string>(options.Overrides, StringComparer.OrdinalIgnoreCase);
                foreach (var (k, v) in settings)
                {
                    merged[k] = v;
                }

                dmVoiceRuns.Add((name, merged));
            }

            foreach (var (name, settings) in dmVoiceRuns)
            {
                if (options.Redis && redisServer is null)
                {
                    runs.Add((name, null, "--redis given but redis-server was not found on PATH"));
                }
                else
                {
                    runs.Add((name, async () => await DmVoiceSystem.StartAsync(name, settings, options.Redis ? redisServer : null), null));
                }
            }

            break;
    }
}

if (options.WarmupRoundSeconds > 0)
{
    // Measured: without this the first system run pays for tier-0 code (Orleans, Kestrel, SignalR and
    // the client) while the tiered JIT recompiles it on cores that are already saturated.
    Console.WriteLine($"\n== warm-up round: DmVoice for {options.WarmupRoundSeconds} s, not recorded");
    await using var warmSystem = await DmVoiceSystem.StartAsync("warm-up", options.Overrides, null);
    await using (var warmLoad = new LoadGenerator(warmSystem.BaseAddress, options, Math.Min(options.Calls, 100)))
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
        results.Add(new SystemResult(name, name, 0, 0, 0, null, null, null, 0, skip, null));
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
        results.Add(new SystemResult(name, name, 0, 0, 0, null, null, null, 0, null, ex.GetType().Name + ": " + ex.Message));
    }
}

var ratios = new List<RatioSet>();
var ran = results.Where(r => r.Skipped is null && r.Failure is null).ToList();
foreach (var system in ran.Where(r => r.Name.StartsWith(TargetNames.DmVoice, StringComparison.Ordinal)))
{
    foreach (var baseline in ran.Where(r => r.Name is TargetNames.Floor or TargetNames.Seed))
    {
        ratios.Add(Figures.Ratio(system, baseline));
    }
}

notes.Add("Client (load generator) and servers share one process and its cores; memory figures are differences between snapshots and include the client side of each connection, which is the same for every system.");
notes.Add("'load' = closed loop, no think time: latency includes queueing at saturation. 'light' = few calls with think time: latency without queueing.");
var settingsUsed = new Dictionary<string, string>(DmVoiceSystem.BaseSettings().Where(kv => !kv.Key.StartsWith("Cluster:", StringComparison.Ordinal) && !kv.Key.StartsWith("Auth:", StringComparison.Ordinal)), StringComparer.Ordinal);
foreach (var (k, v) in options.Overrides)
{
    settingsUsed[k] = v;
}

settingsUsed["mode"] = options.Redis ? "Redis" : "embedded";
var result = new BenchmarkResult(
    DateTimeOffset.UtcNow, command, machine, LoadGenerator.Describe(options), settingsUsed, results, ratios, notes, Math.Round(wall.Elapsed.TotalSeconds, 1));

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
var failed = results.Where(r => r.Failure is not null || (r.Skipped is null && (r.Load is not { Cycles: > 0 } || r.Load.Errors > Math.Max(1, r.Load.Ops / 100)))).ToList();
if (failed.Count > 0)
{
    Console.WriteLine("benchmark FAILED for: " + string.Join(", ", failed.Select(f => f.Name)));
    return 1;
}

return 0;

static string Quote(string arg) => arg.Contains(' ', StringComparison.Ordinal) || arg.Contains(';', StringComparison.Ordinal) ? $"\"{arg}\"" : arg;

static async Task<SystemResult> RunSystemAsync(string name, Func<Task<ISystemUnderTest>> start, BenchmarkOptions options)
{
    Console.WriteLine($"\n== {name}: starting");
    await MemorySnapshot.TakeAsync();
    var clock = Stopwatch.StartNew();
    var system = await start();
    var startup = clock.Elapsed.TotalSeconds;
    Console.WriteLine($"[{name}] started in {startup:0.0} s at {system.BaseAddress} — {system.Description}");
    if (!LoadGenerator.IsLoopback(system.BaseAddress))
    {
        throw new InvalidOperationException("The system under test must listen on loopback only.");
    }

    try
    {
        var baseline = await MemorySnapshot.TakeAsync();
        await using var load = new LoadGenerator(system.BaseAddress, options);
        var setup = new Recorder();
        var printed = new Dictionary<string, int>(StringComparer.Ordinal);
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
        var connected = await MemorySnapshot.TakeAsync();

        Console.WriteLine($"[{name}] setup: joining two members in each of {load.CallCount} calls");
        await load.JoinAllAsync(setup);
        var active = await MemorySnapshot.TakeAsync();
        Console.WriteLine($"[{name}] setup: leaving all calls");
        await load.LeaveAllAsync(setup);
        if (setup.ErrorCount > 0)
        {
            Console.WriteLine($"[{name}] setup errors: {string.Join(", ", setup.Errors.Select(e => $"{e.Key}={e.Value}"))}");
        }

        if (options.WarmupSeconds > 0)
        {
            // Tiered JIT: without this the first system measured pays for compiling the shared code.
            var warmup = new Recorder();
            await load.RunAsync(options.Calls, TimeSpan.FromSeconds(options.WarmupSeconds), 0, warmup, Ticker(name, "warm-up (not recorded)", options.WarmupSeconds, warmup));
        }

        var loadRecorder = new Recorder();
        await load.RunAsync(options.Calls, TimeSpan.FromSeconds(options.DurationSeconds), 0, loadRecorder, Ticker(name, "load", options.DurationSeconds, loadRecorder));
        var loadResult = PhaseResult.From(loadRecorder, options.DurationSeconds, options.Calls, 0);

        var lightRecorder = new Recorder();
        await load.RunAsync(options.LightCalls, TimeSpan.FromSeconds(options.LightDurationSeconds), options.ThinkMs, lightRecorder, Ticker(name, "light", options.LightDurationSeconds, lightRecorder));
        var lightResult = PhaseResult.From(lightRecorder, options.LightDurationSeconds, options.LightCalls, options.ThinkMs);

        var memory = MemoryResult.From(baseline, connected, active, load.UserCount, load.CallCount);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"[{name}] done: load {loadResult.OpsPerSecond:0} ops/s, event p50 {loadResult["event:all"]?.P50:0.00} ms p99 {loadResult["event:all"]?.P99:0.00} ms; light event p50 {lightResult["event:all"]?.P50:0.00} ms p99 {lightResult["event:all"]?.P99:0.00} ms; errors {loadResult.Errors + lightResult.Errors}"));
        return new SystemResult(name, system.Description, Math.Round(startup, 2), load.UserCount, load.CallCount, loadResult, lightResult, memory, load.UnmatchedEvents, null, null);
    }
    finally
    {
        Console.WriteLine($"[{name}] stopping");
        await system.DisposeAsync();
    }
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

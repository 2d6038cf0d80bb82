using System.Diagnostics;
using System.Globalization;
using DmVoice.Benchmarks.Load;
using DmVoice.Benchmarks.Report;
using DmVoice.Benchmarks.Systems;
using DmVoice.Grains.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace DmVoice.Benchmarks.GrainMemory;

/// <summary>
/// Memory at scale, grain level: one silo in this process (embedded configuration, in-memory storage,
/// no gateway, no SignalR), DMs created with <see cref="IDmGroupGrain.Create"/> and every member
/// joined with <see cref="IUserVoiceGrain.JoinDmCall"/> through the co-hosted client, so that
/// <c>participants</c> users sit in live calls of 2 and 3. Managed heap is measured after forced,
/// compacting full collections: before anything is created, after the DMs, after the joins.
/// </summary>
public static class GrainMemoryRun
{
    /// <summary>Calls = 40 % of the participants; 3-member calls make up the rest, so the total is exact.</summary>
    public static (int Calls, int Pairs, int Groups) Layout(int participants)
    {
        var calls = Math.Max(1, (int)Math.Round(participants * 0.4, MidpointRounding.AwayFromZero));
        var groups = participants - (2 * calls);
        var pairs = calls - groups;
        if (groups < 0 || pairs < 0)
        {
            throw new ArgumentException($"--participants {participants} cannot be split into calls of 2 and 3 at 40 % calls (use at least 5)");
        }

        return (calls, pairs, groups);
    }

    public static async Task<GrainMemoryResult> RunAsync(string name, string delivery, int participants, IReadOnlyDictionary<string, string> overrides)
    {
        var (calls, pairs, groups) = Layout(participants);
        var settings = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase)
        {
            ["Cluster:Mode"] = DmVoiceClusterOptions.LocalhostClustering,
            ["Cluster:SiloPort"] = Loopback.FreeTcpPort().ToString(CultureInfo.InvariantCulture),
            ["Cluster:GatewayPort"] = Loopback.FreeTcpPort().ToString(CultureInfo.InvariantCulture),
            ["Cluster:ClusterId"] = "bench-grains-" + Guid.NewGuid().ToString("N")[..8],
            [DeliveryModes.Setting] = delivery,
            // Nobody has a device here: nothing may time out while the calls are held and measured.
            ["Calls:DisconnectGrace"] = "00:10:00",
            ["Calls:RingTimeout"] = "00:02:00",
            ["Logging:LogLevel:Default"] = "Warning",
            ["Logging:LogLevel:Orleans"] = "Warning",
        };
        foreach (var (key, value) in overrides)
        {
            settings[key] = value;
        }

        settings[DeliveryModes.Setting] = delivery;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"\n== {name}: {participants:N0} participants in {calls:N0} live calls ({pairs:N0} of 2, {groups:N0} of 3), one in-process silo, {DeliveryModes.Setting}={delivery}"));

        var clock = Stopwatch.StartNew();
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
        {
            Args = [.. settings.Select(kv => $"--{kv.Key}={kv.Value}")],
            ContentRootPath = AppContext.BaseDirectory,
            EnvironmentName = "Benchmark",
        });
        builder.Logging.ClearProviders().AddSimpleConsole(o => o.SingleLine = true);
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(10));
        builder.UseOrleans(silo => silo.UseDmVoiceCluster(builder.Configuration));
        using var host = builder.Build();
        await host.StartAsync();
        var startup = clock.Elapsed.TotalSeconds;
        using var counters = new ServerCounters([host.Services], sample: false);
        try
        {
            var grains = host.Services.GetRequiredService<IGrainFactory>();
            var run = Guid.NewGuid().ToString("N")[..6];
            var layouts = Enumerable.Range(0, calls)
                .Select(i => Enumerable.Range(0, i < pairs ? 2 : 3).Select(m => $"gm-{run}-{i}-{m}").ToArray())
                .ToArray();

            var baseline = await MemorySnapshot.TakeAsync();
            var activationsAtStart = Activations(counters);
            counters.Begin();
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"[{name}] silo started in {startup:0.0} s; baseline managed heap {baseline.ManagedBytes / 1048576.0:0.0} MiB"));

            var dmIds = new string[calls];
            var dmSeconds = await InParallelAsync(name, "DM groups", calls, async i =>
            {
                var members = layouts[i];
                var isGroup = members.Length > 2;
                var id = isGroup ? DmGroupIds.NewGroup() : DmGroupIds.ForPair(members[0], members[1]);
                await grains.GetGrain<IDmGroupGrain>(id).Create(members[0], members[1..], null, isGroup);
                dmIds[i] = id;
                return 1;
            });
            var afterDms = await MemorySnapshot.TakeAsync();
            var activationsAfterDms = Activations(counters);

            var joinSeconds = await InParallelAsync(name, "participants joined", participants, calls, async i =>
            {
                // Members of one call join one after another: the first starts the call and rings the others.
                foreach (var member in layouts[i])
                {
                    await grains.GetGrain<IUserVoiceGrain>(member).JoinDmCall(dmIds[i], new JoinRequest(member));
                }

                return layouts[i].Length;
            });
            var afterJoins = await MemorySnapshot.TakeAsync();
            var activationsAfterJoins = Activations(counters);
            var built = counters.End();
            var byType = built.Series
                .Where(kv => ServerCounters.InstrumentOf(kv.Key) == "orleans-grains")
                .ToDictionary(kv => kv.Key[(kv.Key.LastIndexOf('=') + 1)..].TrimEnd('}'), kv => kv.Value.Sum, StringComparer.Ordinal);
            var storageWrites = built.Histogram("orleans-storage-write-latency").Count;

            // Everybody must still be in their call: a timed-out ring or grace would make the figure meaningless.
            var live = 0L;
            await Parallel.ForEachAsync(Enumerable.Range(0, calls), new ParallelOptions { MaxDegreeOfParallelism = 64 }, async (i, _) =>
            {
                var presence = await grains.GetGrain<IDmCallGrain>(dmIds[i]).GetPresence(layouts[i][0]);
                Interlocked.Add(ref live, presence.Participants.Count);
            });
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"[{name}] verified: {live:N0} of {participants:N0} participants in their calls after {clock.Elapsed.TotalSeconds:0} s"));

            var result = GrainMemoryResult.From(
                name, delivery, participants, calls, pairs, groups, Math.Round(startup, 2), Math.Round(dmSeconds, 2), Math.Round(joinSeconds, 2), live,
                baseline, afterDms, afterJoins, activationsAtStart, activationsAfterDms, activationsAfterJoins, byType, storageWrites);
            Console.WriteLine(string.Create(
                CultureInfo.InvariantCulture,
                $"[{name}] done: managed heap {result.ManagedBytesPerParticipant / 1024:0.00} KB per participant, {result.ManagedBytesPerCall / 1024:0.00} KB per call (of which joins alone {result.JoinManagedBytesPerParticipant / 1024:0.00} KB per participant)"));
            return result;
        }
        finally
        {
            Console.WriteLine($"[{name}] stopping");
            await host.StopAsync();
        }
    }

    private static double? Activations(ServerCounters counters)
    {
        var observed = counters.Observe();
        var matching = observed.Where(kv => ServerCounters.InstrumentOf(kv.Key) == "orleans-catalog-activations").ToList();
        return matching.Count == 0 ? null : matching.Sum(kv => kv.Value);
    }

    private static Task<double> InParallelAsync(string name, string what, int count, Func<int, Task<int>> work) =>
        InParallelAsync(name, what, count, count, work);

    /// <summary>Runs <paramref name="work"/> for 0..items-1, 64 at a time, printing progress (units done of <paramref name="total"/>) every second.</summary>
    private static async Task<double> InParallelAsync(string name, string what, int total, int items, Func<int, Task<int>> work)
    {
        var done = 0L;
        var ticker = new RateTicker(TimeSpan.FromSeconds(1), () => Interlocked.Read(ref done), (now, rate, average) =>
            Console.WriteLine(string.Create(
                CultureInfo.InvariantCulture,
                $"[{name}] {what}: {now:N0}/{total:N0} ({now * 100 / Math.Max(1, total)}%), {rate:N0}/s now, {average:N0}/s avg")));

        await Parallel.ForEachAsync(Enumerable.Range(0, items), new ParallelOptions { MaxDegreeOfParallelism = 64 }, async (i, _) =>
            Interlocked.Add(ref done, await work(i)));
        var seconds = ticker.ElapsedSeconds;
        await ticker.DisposeAsync();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"[{name}] {what}: {total:N0}/{total:N0} (100%) in {seconds:0.0} s, {total / seconds:N0}/s"));
        return seconds;
    }
}

/// <summary>The grain-level memory run of one delivery mode. Per-participant and per-call figures are from the baseline (before anything was created).</summary>
public sealed record GrainMemoryResult(
    string Name,
    string Delivery,
    int Participants,
    int Calls,
    int TwoPersonCalls,
    int ThreePersonCalls,
    double StartupSeconds,
    double DmSeconds,
    double JoinSeconds,
    long LiveParticipantsVerified,
    MemorySnapshot Baseline,
    MemorySnapshot AfterDms,
    MemorySnapshot AfterJoins,
    double? ActivationsAtStart,
    double? ActivationsAfterDms,
    double? ActivationsAfterJoins,
    Dictionary<string, double> ActivationsAddedByGrainType,
    double StorageWrites,
    double ManagedBytesPerParticipant,
    double ManagedBytesPerCall,
    double DmManagedBytesPerCall,
    double JoinManagedBytesPerParticipant,
    double WorkingSetBytesPerParticipant)
{
    public const double GoalBytesPerParticipant = 10 * 1024;

    public static GrainMemoryResult From(
        string name, string delivery, int participants, int calls, int pairs, int groups, double startup, double dmSeconds, double joinSeconds, long live,
        MemorySnapshot baseline, MemorySnapshot afterDms, MemorySnapshot afterJoins, double? activationsAtStart, double? activationsAfterDms, double? activationsAfterJoins,
        Dictionary<string, double> byType, double storageWrites) => new(
        name,
        delivery,
        participants,
        calls,
        pairs,
        groups,
        startup,
        dmSeconds,
        joinSeconds,
        live,
        baseline,
        afterDms,
        afterJoins,
        activationsAtStart,
        activationsAfterDms,
        activationsAfterJoins,
        byType,
        storageWrites,
        (afterJoins.ManagedBytes - baseline.ManagedBytes) / (double)participants,
        (afterJoins.ManagedBytes - baseline.ManagedBytes) / (double)calls,
        (afterDms.ManagedBytes - baseline.ManagedBytes) / (double)calls,
        (afterJoins.ManagedBytes - afterDms.ManagedBytes) / (double)participants,
        (afterJoins.WorkingSetBytes - baseline.WorkingSetBytes) / (double)participants);

    public bool GoalMet => ManagedBytesPerParticipant <= GoalBytesPerParticipant && LiveParticipantsVerified == Participants;
}

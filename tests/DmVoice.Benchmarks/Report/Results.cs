using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using DmVoice.Benchmarks.GrainMemory;
using DmVoice.Benchmarks.Load;

namespace DmVoice.Benchmarks.Report;

public sealed record BenchmarkResult(
    DateTimeOffset StartedAt,
    string Command,
    MachineInfo Machine,
    string Workload,
    Dictionary<string, string> Settings,
    List<SystemResult> Systems,
    List<RatioSet> Ratios,
    List<TargetCheck> Targets,
    List<GrainMemoryResult> GrainMemory,
    List<string> Notes,
    double WallSeconds);

public sealed record MachineInfo(int Cores, string Cpu, long MemoryBytes, string Os, string Runtime, string DotnetSdk, string LoadAverageAtStart, bool ServerGc);

/// <param name="Counters">Server meters per window: setup, idle (the lease window), and the load and light phases are in <see cref="PhaseResult.Counters"/>.</param>
public sealed record SystemResult(
    string Name,
    string Description,
    double StartupSeconds,
    int Users,
    int Calls,
    PhaseResult? Load,
    PhaseResult? Light,
    MemoryResult? Memory,
    LeaseResult? Lease,
    Dictionary<string, CounterWindow>? Counters,
    long UnmatchedEvents,
    string? Skipped,
    string? Failure,
    string? LoadAverageAtStart = null,
    double? SlowestProcessReadySeconds = null)
{
    public static SystemResult NotRun(string name, string? skipped, string? failure) =>
        new(name, name, 0, 0, 0, null, null, null, null, null, 0, skipped, failure);

    /// <summary>The one-minute load average when this system started.</summary>
    public double? LoadAverage1m => LoadAverageAtStart?.Split(' ') is [var first, ..] && double.TryParse(first, CultureInfo.InvariantCulture, out var v) ? v : null;
}

public sealed record PhaseResult(
    double Seconds,
    int ConcurrentCalls,
    int ThinkMs,
    long Ops,
    double OpsPerSecond,
    long Events,
    double EventsPerSecond,
    long Cycles,
    int Errors,
    double CpuPercent,
    Dictionary<string, int> ErrorKinds,
    Dictionary<string, Percentiles> Latency,
    CounterWindow? Counters,
    double? ServerProcessesCpuPercent = null,
    double? ProcessCpuSeconds = null,
    double? ServerProcessesCpuSeconds = null,
    double? RedisCpuSeconds = null)
{
    public static PhaseResult From(Recorder recorder, double seconds, int calls, int thinkMs, CounterWindow? counters) => new(
        seconds,
        calls,
        thinkMs,
        recorder.Ops,
        recorder.Ops / seconds,
        recorder.Events,
        recorder.Events / seconds,
        recorder.Cycles,
        recorder.ErrorCount,
        Math.Round(recorder.CpuPercent, 1),
        recorder.Errors.ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal),
        recorder.Series.ToDictionary(s => s, s => recorder.Get(s)!, StringComparer.Ordinal),
        counters,
        recorder.ServerProcessesCpuPercent is { } serverCpu ? Math.Round(serverCpu, 1) : null,
        recorder.CpuSeconds,
        recorder.ServerProcessesCpuSeconds,
        recorder.RedisCpuSeconds);

    public Percentiles? this[string series] => Latency.GetValueOrDefault(series);

    /// <summary>
    /// CPU milliseconds per REST operation of every process the operation touches: this process (the
    /// client, and for in-process systems the servers too), the system's own server processes and its
    /// redis-server. The one figure that compares a scaled-out deployment with a single process.
    /// </summary>
    public double? CpuMsPerOp => ProcessCpuSeconds is { } own && Ops > 0
        ? (own + (ServerProcessesCpuSeconds ?? 0) + (RedisCpuSeconds ?? 0)) * 1000 / Ops
        : null;

    /// <summary>The same without this process: the servers and redis-server alone (out-of-process systems only).</summary>
    public double? ServerCpuMsPerOp => ServerProcessesCpuSeconds is { } servers && Ops > 0
        ? (servers + (RedisCpuSeconds ?? 0)) * 1000 / Ops
        : null;

    /// <summary>redis-server's share of all cores over the phase.</summary>
    public double? RedisCpuPercent => RedisCpuSeconds is { } redis && Seconds > 0 ? redis * 100 / Seconds / Environment.ProcessorCount : null;

    /// <summary>A server counter's total in this phase divided by the REST operations the client completed in it.</summary>
    public double? PerOp(double? total) => total is { } t && Ops > 0 ? t / Ops : null;
}

/// <summary>Differences between snapshots: base → connected (per user), connected → calls active (per call).</summary>
public sealed record MemoryResult(
    MemorySnapshot Baseline,
    MemorySnapshot Connected,
    MemorySnapshot CallsActive,
    double ManagedBytesPerUser,
    double WorkingSetBytesPerUser,
    double ManagedBytesPerCall,
    double WorkingSetBytesPerCall)
{
    public static MemoryResult From(MemorySnapshot baseline, MemorySnapshot connected, MemorySnapshot active, int users, int calls) => new(
        baseline,
        connected,
        active,
        (connected.ManagedBytes - baseline.ManagedBytes) / (double)users,
        (connected.WorkingSetBytes - baseline.WorkingSetBytes) / (double)users,
        (active.ManagedBytes - connected.ManagedBytes) / (double)calls,
        (active.WorkingSetBytes - connected.WorkingSetBytes) / (double)calls);
}

/// <summary>
/// Presence and lease traffic while every user's connection is open and no call runs (the lease
/// window), from meter DmVoice.Gateway, counter dmvoice.gateway.presence.messages (tag kind), plus
/// the Orleans traffic of the same window; and the presence messages sent while the connections opened.
/// </summary>
public sealed record LeaseResult(
    int Connections,
    double Seconds,
    bool CounterPresent,
    Dictionary<string, double> MessagesByKind,
    double? PresenceMessagesPerSecondPer10k,
    double? GrainCallsPerSecond,
    double? GrainCallsPerSecondPer10k,
    double? StreamQueuePollsPerSecond,
    double? StorageWritesPerSecond,
    Dictionary<string, double> SetupMessagesByKind,
    double? SetupPresenceMessagesPerConnection)
{
    public static LeaseResult From(int connections, double seconds, CounterWindow? idle, CounterWindow? setup)
    {
        double? PerSecond(double? total) => idle is null || total is null ? null : total / idle.Seconds;
        double? PerSecondPer10k(double? total) => PerSecond(total) / connections * 10_000;
        var present = idle?.PresenceCounterPresent ?? false;
        return new LeaseResult(
            connections,
            idle?.Seconds ?? seconds,
            present,
            ByKind(idle),
            PerSecondPer10k(idle is null ? null : idle.Total(ServerCounters.PresenceMessages)),
            PerSecond(Stages.GrainCalls(idle)),
            PerSecondPer10k(Stages.GrainCalls(idle)),
            PerSecond(Stages.StreamQueueReadCount(idle)),
            PerSecond(Stages.StorageWrites(idle)),
            ByKind(setup),
            setup is null ? null : setup.Total(ServerCounters.PresenceMessages) / connections);
    }

    private static Dictionary<string, double> ByKind(CounterWindow? window) =>
        window is null
            ? []
            : window.Series
                .Where(kv => ServerCounters.InstrumentOf(kv.Key) == ServerCounters.PresenceMessages)
                .GroupBy(kv => KindOf(kv.Key), StringComparer.Ordinal)
                .ToDictionary(g => g.Key, g => g.Sum(kv => kv.Value.Sum), StringComparer.Ordinal);

    /// <summary>The kind tag's value in a series key such as <c>name{kind=lease_renewal}</c>, or "all" when there is none.</summary>
    private static string KindOf(string key)
    {
        var at = key.IndexOf("kind=", StringComparison.Ordinal);
        if (at < 0)
        {
            return "all";
        }

        var end = key.IndexOfAny([',', '}'], at);
        return key[(at + 5)..(end < 0 ? key.Length : end)];
    }
}

/// <summary>Figures derived from the server meters; null where the system has no such meter.</summary>
public static class Stages
{
    /// <summary>
    /// Grain calls that expected a response, timed where they were made (Orleans' application
    /// requests: a histogram in Orleans 10.4, observable count/sum counters in later versions).
    /// In-memory stream queues are grains too, so their calls are counted here as well (the embedded
    /// default's storage is not: it reads and writes in the caller's turn, InProcessGrainStorage).
    /// </summary>
    public const string GrainCallsHistogram = "orleans-app-requests-latency";
    public const string GrainCallsCount = "orleans-app-requests-latency-count";
    public const string GrainCallsSum = "orleans-app-requests-latency-sum";

    /// <summary>Requests and one-way messages handed to grains and system targets by the silo's dispatcher.</summary>
    public const string DispatcherReceived = "orleans-messaging-processing-dispatcher-received";
    public const string StorageWrite = "orleans-storage-write-latency";
    public const string StreamMessagesSent = "orleans-streams-persistent-stream-messages-sent";
    public const string StreamQueueReads = "orleans-streams-queue-read-duration";
    public const string EventsDelivered = "dmvoice.gateway.events_delivered";

    /// <summary>Messages grains pushed to gateways (direct delivery: one per gateway per stored change).</summary>
    public const string DeliveriesReceived = "dmvoice.gateway.deliveries_received";

    public static double? GrainCalls(CounterWindow? w) =>
        w is null ? null : w.Has(GrainCallsHistogram) ? w.Histogram(GrainCallsHistogram).Count : w.Has(GrainCallsCount) ? w.Total(GrainCallsCount) : null;

    public static double? GrainCallMeanMs(CounterWindow? w)
    {
        if (w is null)
        {
            return null;
        }

        var (count, sum) = w.Has(GrainCallsHistogram) ? w.Histogram(GrainCallsHistogram) : (w.Total(GrainCallsCount), w.Total(GrainCallsSum));
        return count > 0 ? sum / count : null;
    }

    public static double? OrleansMessages(CounterWindow? w) => w is not null && w.Has(DispatcherReceived) ? w.Total(DispatcherReceived) : null;

    public static double? StorageWrites(CounterWindow? w) => w is not null && (w.Has(StorageWrite) || IsOrleans(w)) ? w.Histogram(StorageWrite).Count : null;

    public static double? StorageWriteMeanMs(CounterWindow? w) =>
        w is not null && w.Histogram(StorageWrite) is { Count: > 0 } h ? h.Sum / h.Count : null;

    /// <summary>Messages put on Orleans streams (one per recipient per event in streams mode); 0 when the system does not stream.</summary>
    public static double? StreamMessages(CounterWindow? w) => IsOrleans(w) ? w!.Total(StreamMessagesSent) : null;

    /// <summary>Reads of the stream queues by the pulling agents (one per poll per queue).</summary>
    public static double? StreamQueueReadCount(CounterWindow? w) => IsOrleans(w) && !w!.FromMetricsEndpoints ? w!.Series.Where(kv => kv.Key == StreamQueueReads).Sum(kv => kv.Value.Count) : null;

    /// <summary>Orleans runs in the system: its counters that stayed at 0 mean none happened.</summary>
    private static bool IsOrleans(CounterWindow? w) => w is not null && (w.Has(GrainCallsHistogram) || w.Has(GrainCallsCount));

    public static double? EventsPushed(CounterWindow? w) => w is not null && w.Has(EventsDelivered) ? w.Total(EventsDelivered) : null;

    public static double? GatewayDeliveries(CounterWindow? w) => w is not null && w.Has(DeliveriesReceived) ? w.Total(DeliveriesReceived) : null;

    public static CounterValue? ServerRequests(CounterWindow? w) => w?.Series.GetValueOrDefault(ServerCounters.VoicePresenceRequests);
}

/// <summary>One system's figures divided by a baseline's (latency and memory: lower is better; ops/s: higher is better).</summary>
public sealed record RatioSet(string System, string Baseline, Dictionary<string, double?> Ratios);

/// <summary>The figures of the table, in order; each is one number per system.</summary>
public static class Figures
{
    public sealed record Figure(string Name, string Unit, Func<SystemResult, double?> Get);

    public static readonly Figure[] All =
    [
        new("load: event latency p50", "ms", s => s.Load?["event:all"]?.P50),
        new("load: event latency p95", "ms", s => s.Load?["event:all"]?.P95),
        new("load: event latency p99", "ms", s => s.Load?["event:all"]?.P99),
        new("load: event latency max", "ms", s => s.Load?["event:all"]?.Max),
        new("load: REST latency p50", "ms", s => s.Load?["rest:all"]?.P50),
        new("load: REST latency p95", "ms", s => s.Load?["rest:all"]?.P95),
        new("load: REST latency p99", "ms", s => s.Load?["rest:all"]?.P99),
        new("load: operations/s", "ops/s", s => s.Load?.OpsPerSecond),
        new("load: events delivered/s", "ev/s", s => s.Load?.EventsPerSecond),
        new("load: call cycles/s", "cycles/s", s => s.Load is { } l ? l.Cycles / l.Seconds : null),
        new("load: errors", "count", s => s.Load?.Errors),
        new("load: process CPU (all cores)", "%", s => s.Load?.CpuPercent),
        new("load: separate server processes CPU (all cores)", "%", s => s.Load?.ServerProcessesCpuPercent),
        new("load: redis-server CPU (all cores)", "%", s => s.Load?.RedisCpuPercent),
        new("load: CPU per operation, all processes (client, servers, redis-server)", "ms", s => s.Load?.CpuMsPerOp),
        new("load: CPU per operation, servers and redis-server only", "ms", s => s.Load?.ServerCpuMsPerOp),
        new("light: event latency p50", "ms", s => s.Light?["event:all"]?.P50),
        new("light: event latency p95", "ms", s => s.Light?["event:all"]?.P95),
        new("light: event latency p99", "ms", s => s.Light?["event:all"]?.P99),
        new("light: event latency max", "ms", s => s.Light?["event:all"]?.Max),
        new("light: REST latency p50", "ms", s => s.Light?["rest:all"]?.P50),
        new("light: REST latency p99", "ms", s => s.Light?["rest:all"]?.P99),
        new("light: errors", "count", s => s.Light?.Errors),
        new("light: process CPU (all cores)", "%", s => s.Light?.CpuPercent),
        new("light: separate server processes CPU (all cores)", "%", s => s.Light?.ServerProcessesCpuPercent),
        new("light: redis-server CPU (all cores)", "%", s => s.Light?.RedisCpuPercent),
        new("light: CPU per operation, all processes (client, servers, redis-server)", "ms", s => s.Light?.CpuMsPerOp),
        new("light: CPU per operation, servers and redis-server only", "ms", s => s.Light?.ServerCpuMsPerOp),
        new("memory: managed heap per connected user", "KB", s => s.Memory?.ManagedBytesPerUser / 1024),
        new("memory: working set per connected user", "KB", s => s.Memory?.WorkingSetBytesPerUser / 1024),
        new("memory: managed heap per active call", "KB", s => s.Memory?.ManagedBytesPerCall / 1024),
        new("memory: working set per active call", "KB", s => s.Memory?.WorkingSetBytesPerCall / 1024),
        new("startup", "s", s => s.StartupSeconds),
        new("startup: slowest server process ready after its start", "s", s => s.SlowestProcessReadySeconds),
        new("machine load average (1 min) when the system started", "load", s => s.LoadAverage1m),
    ];

    /// <summary>Where the time goes: client-side splits and server meters, per phase (per op = per REST operation the client completed).</summary>
    public static readonly Figure[] Stage =
    [
        .. PhaseStages("light", s => s.Light),
        .. PhaseStages("load", s => s.Load),
    ];

    /// <summary>The figures of the compact ratio table.</summary>
    public static readonly string[] RatioColumns =
    [
        "load: operations/s", "load: event latency p50", "load: event latency p99", "light: event latency p50", "light: event latency p99",
        "light: REST latency p50", "memory: managed heap per connected user", "memory: managed heap per active call",
    ];

    private static IEnumerable<Figure> PhaseStages(string phase, Func<SystemResult, PhaseResult?> get) =>
    [
        new($"{phase}: REST latency p50 (client)", "ms", s => get(s)?["rest:all"]?.P50),
        new($"{phase}: server request time p50 (join/state/leave)", "ms", s => Stages.ServerRequests(get(s)?.Counters)?.P50 * 1000),
        new($"{phase}: server request time p99 (join/state/leave)", "ms", s => Stages.ServerRequests(get(s)?.Counters)?.P99 * 1000),
        new($"{phase}: event after REST response p50", "ms", s => get(s)?["after-rest:all"]?.P50),
        new($"{phase}: event after REST response p99", "ms", s => get(s)?["after-rest:all"]?.P99),
        new($"{phase}: grain calls awaited per op", "calls", s => get(s) is { } p ? p.PerOp(Stages.GrainCalls(p.Counters)) : null),
        new($"{phase}: grain call mean latency", "ms", s => Stages.GrainCallMeanMs(get(s)?.Counters)),
        new($"{phase}: Orleans requests dispatched per op (grains + system targets)", "msgs", s => get(s) is { } p ? p.PerOp(Stages.OrleansMessages(p.Counters)) : null),
        new($"{phase}: storage writes per op", "writes", s => get(s) is { } p ? p.PerOp(Stages.StorageWrites(p.Counters)) : null),
        new($"{phase}: storage write mean latency", "ms", s => Stages.StorageWriteMeanMs(get(s)?.Counters)),
        new($"{phase}: stream messages published per op", "msgs", s => get(s) is { } p ? p.PerOp(Stages.StreamMessages(p.Counters)) : null),
        new($"{phase}: stream queue polls per second", "polls/s", s => get(s) is { } p && Stages.StreamQueueReadCount(p.Counters) is { } n ? n / p.Seconds : null),
        new($"{phase}: event messages grains pushed to gateways per op", "msgs", s => get(s) is { } p ? p.PerOp(Stages.GatewayDeliveries(p.Counters)) : null),
        new($"{phase}: events pushed to connections per op (gateway)", "events", s => get(s) is { } p ? p.PerOp(Stages.EventsPushed(p.Counters)) : null),
        new($"{phase}: events awaited per op (client)", "events", s => get(s) is { Ops: > 0 } p ? (double)p.Events / p.Ops : null),
    ];

    public static RatioSet Ratio(SystemResult system, SystemResult baseline) => new(
        system.Name,
        baseline.Name,
        All.Where(f => f.Unit is not ("count" or "%" or "load")).ToDictionary(
            f => f.Name,
            f => f.Get(system) is { } a && f.Get(baseline) is { } b && b != 0 ? Math.Round(a / b, 3) : (double?)null,
            StringComparer.Ordinal));
}

/// <summary>
/// One of the call core's targets for one DmVoice column: a ratio against a baseline of the same run, or
/// (with no baseline) a figure of the column itself, such as storage writes per operation.
/// </summary>
public sealed record TargetCheck(string System, string Target, string? Baseline, string Figure, double? Value, double? BaselineValue, double? Ratio, double Limit, bool HigherIsBetter, bool? Met);

public static class Targets
{
    private sealed record Definition(string Text, string? Baseline, string Figure, double Limit, bool HigherIsBetter, bool ForCluster = false);

    private static readonly Definition[] Definitions =
    [
        new("storage writes per operation ≤ 1.5 (load)", null, "load: storage writes per op", 1.5, false),
        new("grain calls awaited per operation ≤ 3 (load)", null, "load: grain calls awaited per op", 3.0, false),
        new("operations/s ≥ 1.0× the seed with a backplane", TargetNames.SeedBackplane, "load: operations/s", 1.0, true),
        new("operations/s ≥ 0.8× the seed design", TargetNames.Seed, "load: operations/s", 0.8, true),
        new("light-load event latency p50 ≤ 2× the floor", TargetNames.Floor, "light: event latency p50", 2.0, false),
        new("light-load event latency p99 ≤ 2.5× the floor", TargetNames.Floor, "light: event latency p99", 2.5, false),
        new("managed heap per active call ≤ 2× the floor", TargetNames.Floor, "memory: managed heap per active call", 2.0, false),

        // Scaled out (the --cluster columns): what the separate processes cost against one process.
        new("cluster: CPU per operation ≤ 2× dmvoice-direct (load, all processes)", TargetNames.DmVoiceDirect, "load: CPU per operation, all processes (client, servers, redis-server)", 2.0, false, ForCluster: true),
        new("cluster: CPU per operation ≤ 2× dmvoice-direct (light, all processes)", TargetNames.DmVoiceDirect, "light: CPU per operation, all processes (client, servers, redis-server)", 2.0, false, ForCluster: true),
        new("cluster: operations/s ≥ 1.0× seed-backplane-cluster", TargetNames.SeedBackplaneCluster, "load: operations/s", 1.0, true, ForCluster: true),
        new("cluster: light-load event latency p50 ≤ 1.5× seed-backplane-cluster", TargetNames.SeedBackplaneCluster, "light: event latency p50", 1.5, false, ForCluster: true),
        new("cluster: each process ready ≤ 3 s after its start", null, "startup: slowest server process ready after its start", 3.0, false, ForCluster: true),
    ];

    public static IEnumerable<string> Texts => Definitions.Select(d => d.Text);

    public static List<TargetCheck> Check(IReadOnlyList<SystemResult> results)
    {
        var ran = results.Where(r => r.Skipped is null && r.Failure is null).ToDictionary(r => r.Name, StringComparer.Ordinal);
        var checks = new List<TargetCheck>();
        foreach (var system in ran.Values.Where(r => TargetNames.IsDmVoice(r.Name)))
        {
            foreach (var d in Definitions.Where(d => d.ForCluster == TargetNames.IsCluster(system.Name)))
            {
                var figure = Figures.All.Concat(Figures.Stage).Single(f => f.Name == d.Figure);
                var value = figure.Get(system);
                var baselineValue = d.Baseline is null ? 1.0 : ran.TryGetValue(d.Baseline, out var baseline) ? figure.Get(baseline) : null;
                double? ratio = value is { } a && baselineValue is { } b && b > 0 ? a / b : null;
                bool? met = ratio is { } r ? (d.HigherIsBetter ? r >= d.Limit : r <= d.Limit) : null;
                checks.Add(new TargetCheck(system.Name, d.Text, d.Baseline, d.Figure, value, baselineValue, ratio is { } x ? Math.Round(x, 3) : null, d.Limit, d.HigherIsBetter, met));
            }
        }

        return checks;
    }
}

public static class Markdown
{
    public static string Table(BenchmarkResult result) => FigureTable(result, Figures.All);

    private static string FigureTable(BenchmarkResult result, IEnumerable<Figures.Figure> figures)
    {
        var systems = result.Systems.Where(s => s.Skipped is null && s.Failure is null).ToList();
        var sb = new StringBuilder();
        sb.Append("| figure | unit |");
        foreach (var s in systems)
        {
            sb.Append(' ').Append(s.Name).Append(" |");
        }

        sb.AppendLine();
        sb.Append("|---|---|");
        sb.Append(string.Concat(Enumerable.Repeat("---:|", systems.Count)));
        sb.AppendLine();
        foreach (var figure in figures)
        {
            sb.Append("| ").Append(figure.Name).Append(" | ").Append(figure.Unit).Append(" |");
            foreach (var s in systems)
            {
                sb.Append(' ').Append(Format(figure.Get(s))).Append(" |");
            }

            sb.AppendLine();
        }

        return sb.ToString();
    }

    /// <summary>Each DmVoice column against each baseline, on the figures that matter most (all ratios are in the JSON).</summary>
    public static string RatioTable(BenchmarkResult result)
    {
        var sb = new StringBuilder();
        sb.Append("| ratio |");
        foreach (var column in Figures.RatioColumns)
        {
            sb.Append(' ').Append(column).Append(" |");
        }

        sb.AppendLine();
        sb.Append("|---|").Append(string.Concat(Enumerable.Repeat("---:|", Figures.RatioColumns.Length))).AppendLine();
        foreach (var r in result.Ratios)
        {
            sb.Append("| ").Append(r.System).Append(" / ").Append(r.Baseline).Append(" |");
            foreach (var column in Figures.RatioColumns)
            {
                sb.Append(' ').Append(Ratio(r.Ratios.GetValueOrDefault(column))).Append(" |");
            }

            sb.AppendLine();
        }

        return sb.ToString();
    }

    public static string TargetTable(BenchmarkResult result)
    {
        var systems = result.Targets.Select(t => t.System).Distinct(StringComparer.Ordinal).ToList();
        var sb = new StringBuilder();
        sb.Append("| target |");
        foreach (var s in systems)
        {
            sb.Append(' ').Append(s).Append(" |");
        }

        sb.AppendLine();
        sb.Append("|---|").Append(string.Concat(Enumerable.Repeat("---|", systems.Count))).AppendLine();
        foreach (var text in Targets.Texts)
        {
            sb.Append("| ").Append(text).Append(" |");
            foreach (var s in systems)
            {
                var check = result.Targets.FirstOrDefault(t => t.System == s && t.Target == text);
                var cell = check switch
                {
                    null => "n/a",
                    { Met: null, Value: null } => "n/a (not measured for this column)",
                    { Met: null } => $"n/a ({check.Baseline} did not run)",
                    { Met: true, Baseline: null } => $"{check.Value:0.##} met",
                    { Met: true } => $"{Ratio(check.Ratio)} met",
                    { Baseline: null } => $"{check.Value:0.##} **missed**",
                    _ => $"{Ratio(check.Ratio)} **missed**",
                };
                sb.Append(' ').Append(cell).Append(" |");
            }

            sb.AppendLine();
        }

        return sb.ToString();
    }

    public static string LeaseTable(BenchmarkResult result)
    {
        var leased = result.Systems.Where(s => s.Lease is not null).ToList();
        var sb = new StringBuilder();
        sb.AppendLine("| column | connections | window | presence messages by kind | **presence messages/s per 10,000 connections** | presence messages per connection opened (setup) | grain calls/s (whole cluster) | grain calls/s per 10,000 connections | of which stream queue polls/s | storage writes/s |");
        sb.AppendLine("|---|---:|---:|---|---:|---:|---:|---:|---:|---:|");
        foreach (var s in leased)
        {
            var l = s.Lease!;
            var kinds = l.CounterPresent
                ? (l.MessagesByKind.Count == 0 ? "none" : string.Join(", ", l.MessagesByKind.Select(kv => $"{kv.Key}: {kv.Value:0}")))
                : "counter not present";
            sb.AppendLine(CultureInfo.InvariantCulture, $"| {s.Name} | {l.Connections} | {l.Seconds:0.#} s | {kinds} | {Format(l.CounterPresent ? l.PresenceMessagesPerSecondPer10k : 0)} | {Format(l.CounterPresent ? l.SetupPresenceMessagesPerConnection : 0)} | {Format(l.GrainCallsPerSecond)} | {Format(l.GrainCallsPerSecondPer10k)} | {Format(l.StreamQueuePollsPerSecond)} | {Format(l.StorageWritesPerSecond)} |");
        }

        return sb.ToString();
    }

    public static string GrainMemoryTable(BenchmarkResult result)
    {
        var runs = result.GrainMemory;
        var rows = new (string Name, string Unit, Func<GrainMemoryResult, string> Get)[]
        {
            ("participants (live calls of 2 + of 3)", "count", g => $"{g.Participants:N0} ({g.TwoPersonCalls:N0} + {g.ThreePersonCalls:N0})"),
            ("live calls", "count", g => g.Calls.ToString("N0", CultureInfo.InvariantCulture)),
            ("participants verified in their calls afterwards", "count", g => g.LiveParticipantsVerified.ToString("N0", CultureInfo.InvariantCulture)),
            ("**managed heap per participant** (goal ≤ 10 KB)", "KB", g => $"**{Format(g.ManagedBytesPerParticipant / 1024)}** {(g.GoalMet ? "met" : "**missed**")}"),
            ("managed heap per live call", "KB", g => Format(g.ManagedBytesPerCall / 1024)),
            ("of which: the DM (group, directories, idle call grain), per call", "KB", g => Format(g.DmManagedBytesPerCall / 1024)),
            ("of which: joining, per participant", "KB", g => Format(g.JoinManagedBytesPerParticipant / 1024)),
            ("working set per participant", "KB", g => Format(g.WorkingSetBytesPerParticipant / 1024)),
            ("managed heap: baseline → after DMs → after joins", "MiB", g => $"{g.Baseline.ManagedBytes / 1048576.0:0.0} → {g.AfterDms.ManagedBytes / 1048576.0:0.0} → {g.AfterJoins.ManagedBytes / 1048576.0:0.0}"),
            ("grain activations: start → after DMs → after joins", "count", g => $"{Count(g.ActivationsAtStart)} → {Count(g.ActivationsAfterDms)} → {Count(g.ActivationsAfterJoins)}"),
            ("activations added, by grain type", "count", g => g.ActivationsAddedByGrainType.Count == 0 ? "n/a" : string.Join("; ", g.ActivationsAddedByGrainType.Where(kv => kv.Value != 0).OrderByDescending(kv => kv.Value).Select(kv => $"{kv.Key}: {kv.Value:N0}"))),
            ("storage writes while building", "count", g => g.StorageWrites.ToString("N0", CultureInfo.InvariantCulture)),
            ("DMs created / participants joined", "s", g => $"{g.DmSeconds:0.0} / {g.JoinSeconds:0.0} ({g.Participants / Math.Max(0.001, g.JoinSeconds):N0} joins/s)"),
        };
        var sb = new StringBuilder();
        sb.Append("| figure | unit |");
        foreach (var g in runs)
        {
            sb.Append(' ').Append(g.Name).Append(" |");
        }

        sb.AppendLine();
        sb.Append("|---|---|").Append(string.Concat(Enumerable.Repeat("---:|", runs.Count))).AppendLine();
        foreach (var (name, unit, get) in rows)
        {
            sb.Append("| ").Append(name).Append(" | ").Append(unit).Append(" |");
            foreach (var g in runs)
            {
                sb.Append(' ').Append(get(g)).Append(" |");
            }

            sb.AppendLine();
        }

        return sb.ToString();
    }

    public static string Document(BenchmarkResult result)
    {
        var sb = new StringBuilder();
        var m = result.Machine;
        sb.AppendLine(CultureInfo.InvariantCulture, $"Command: `{result.Command}`");
        sb.AppendLine();
        sb.AppendLine(CultureInfo.InvariantCulture, $"Machine: {m.Cores} cores ({m.Cpu}), {m.MemoryBytes / (1024.0 * 1024 * 1024):0.0} GiB, {m.Os}, {m.Runtime}, SDK {m.DotnetSdk}, server GC {m.ServerGc}, load average at start {m.LoadAverageAtStart}");
        sb.AppendLine();
        if (result.Systems.Count > 0)
        {
            sb.AppendLine(CultureInfo.InvariantCulture, $"Workload: {result.Workload}");
            sb.AppendLine();
            foreach (var s in result.Systems)
            {
                var state = s.Skipped is not null ? $" — SKIPPED: {s.Skipped}" : s.Failure is not null ? $" — FAILED: {s.Failure}" : string.Empty;
                sb.AppendLine(CultureInfo.InvariantCulture, $"- **{s.Name}**: {s.Description}{state}");
            }

            sb.AppendLine();
            sb.Append(Table(result));
        }

        if (result.Ratios.Count > 0)
        {
            sb.AppendLine();
            sb.AppendLine("Ratios (DmVoice column / baseline; for operations/s higher is better, for the rest lower):");
            sb.AppendLine();
            sb.Append(RatioTable(result));
        }

        if (result.Targets.Count > 0)
        {
            sb.AppendLine();
            sb.AppendLine("Targets of the call core, as figures and ratios of this run:");
            sb.AppendLine();
            sb.Append(TargetTable(result));
        }

        if (result.Systems.Any(s => s.Light?.Counters is not null || s.Load?.Counters is not null || s.Light?["after-rest:all"] is not null))
        {
            sb.AppendLine();
            sb.AppendLine("Where the time goes (client-side splits and the servers' meters; per op = per REST operation completed in the phase):");
            sb.AppendLine();
            sb.Append(FigureTable(result, Figures.Stage));
        }

        if (result.Systems.Any(s => s.Lease is not null))
        {
            sb.AppendLine();
            sb.AppendLine("Lease and presence traffic (every user's connection open, no call running):");
            sb.AppendLine();
            sb.Append(LeaseTable(result));
        }

        if (result.GrainMemory.Count > 0)
        {
            sb.AppendLine();
            sb.AppendLine("Grain-level memory at scale (one in-process silo, no gateway, no SignalR; heap after forced compacting full collections, from a baseline taken before anything was created):");
            sb.AppendLine();
            sb.Append(GrainMemoryTable(result));
        }

        if (result.Notes.Count > 0)
        {
            sb.AppendLine();
            foreach (var note in result.Notes)
            {
                sb.AppendLine(CultureInfo.InvariantCulture, $"- {note}");
            }
        }

        return sb.ToString();
    }

    private static string Count(double? value) => value is { } v ? v.ToString("N0", CultureInfo.InvariantCulture) : "n/a";

    private static string Ratio(double? value) => value is { } v ? v.ToString("0.00", CultureInfo.InvariantCulture) + "×" : "n/a";

    private static string Format(double? value) => value switch
    {
        null => "n/a",
        { } v when Math.Abs(v) >= 100 => v.ToString("0", CultureInfo.InvariantCulture),
        { } v when Math.Abs(v) >= 10 => v.ToString("0.0", CultureInfo.InvariantCulture),
        { } v => v.ToString("0.00", CultureInfo.InvariantCulture),
    };
}

public static class Machine
{
    /// <summary>The load averages (1, 5, 15 minutes) now, or "n/a".</summary>
    public static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "n/a";

    public static MachineInfo Describe() => new(
        Environment.ProcessorCount,
        ReadField("/proc/cpuinfo", "model name") ?? RuntimeInformation.ProcessArchitecture.ToString(),
        MemTotal(),
        RuntimeInformation.OSDescription,
        RuntimeInformation.FrameworkDescription,
        DotnetSdk(),
        LoadAverage(),
        System.Runtime.GCSettings.IsServerGC);

    private static string? ReadField(string file, string field)
    {
        if (!File.Exists(file))
        {
            return null;
        }

        var line = File.ReadLines(file).FirstOrDefault(l => l.StartsWith(field, StringComparison.Ordinal));
        return line?[(line.IndexOf(':', StringComparison.Ordinal) + 1)..].Trim();
    }

    private static long MemTotal()
    {
        var kb = ReadField("/proc/meminfo", "MemTotal")?.Split(' ')[0];
        return kb is not null && long.TryParse(kb, CultureInfo.InvariantCulture, out var value)
            ? value * 1024
            : GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
    }

    private static string DotnetSdk()
    {
        try
        {
            using var process = Process.Start(new ProcessStartInfo("dotnet", "--version") { RedirectStandardOutput = true, UseShellExecute = false });
            if (process is null)
            {
                return "n/a";
            }

            var output = process.StandardOutput.ReadToEnd().Trim();
            process.WaitForExit(10_000);
            return output;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return "n/a";
        }
    }
}

using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
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
    List<string> Notes,
    double WallSeconds);

public sealed record MachineInfo(int Cores, string Cpu, long MemoryBytes, string Os, string Runtime, string DotnetSdk, string LoadAverageAtStart, bool ServerGc);

public sealed record SystemResult(
    string Name,
    string Description,
    double StartupSeconds,
    int Users,
    int Calls,
    PhaseResult? Load,
    PhaseResult? Light,
    MemoryResult? Memory,
    long UnmatchedEvents,
    string? Skipped,
    string? Failure);

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
    Dictionary<string, Percentiles> Latency)
{
    public static PhaseResult From(Recorder recorder, double seconds, int calls, int thinkMs) => new(
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
        recorder.Series.ToDictionary(s => s, s => recorder.Get(s)!, StringComparer.Ordinal));

    public Percentiles? this[string series] => Latency.GetValueOrDefault(series);
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
        new("light: event latency p50", "ms", s => s.Light?["event:all"]?.P50),
        new("light: event latency p95", "ms", s => s.Light?["event:all"]?.P95),
        new("light: event latency p99", "ms", s => s.Light?["event:all"]?.P99),
        new("light: event latency max", "ms", s => s.Light?["event:all"]?.Max),
        new("light: REST latency p50", "ms", s => s.Light?["rest:all"]?.P50),
        new("light: REST latency p99", "ms", s => s.Light?["rest:all"]?.P99),
        new("light: errors", "count", s => s.Light?.Errors),
        new("light: process CPU (all cores)", "%", s => s.Light?.CpuPercent),
        new("memory: managed heap per connected user", "KB", s => s.Memory?.ManagedBytesPerUser / 1024),
        new("memory: working set per connected user", "KB", s => s.Memory?.WorkingSetBytesPerUser / 1024),
        new("memory: managed heap per active call", "KB", s => s.Memory?.ManagedBytesPerCall / 1024),
        new("memory: working set per active call", "KB", s => s.Memory?.WorkingSetBytesPerCall / 1024),
        new("startup", "s", s => s.StartupSeconds),
    ];

    public static RatioSet Ratio(SystemResult system, SystemResult baseline) => new(
        system.Name,
        baseline.Name,
        All.Where(f => f.Unit is not ("count" or "%")).ToDictionary(
            f => f.Name,
            f => f.Get(system) is { } a && f.Get(baseline) is { } b && b != 0 ? Math.Round(a / b, 3) : (double?)null,
            StringComparer.Ordinal));
}

public static class Markdown
{
    public static string Table(BenchmarkResult result)
    {
        var systems = result.Systems.Where(s => s.Skipped is null && s.Failure is null).ToList();
        var sb = new StringBuilder();
        sb.Append("| figure | unit |");
        foreach (var s in systems)
        {
            sb.Append(' ').Append(s.Name).Append(" |");
        }

        foreach (var r in result.Ratios)
        {
            sb.Append(' ').Append(r.System).Append(" / ").Append(r.Baseline).Append(" |");
        }

        sb.AppendLine();
        sb.Append("|---|---|");
        sb.Append(string.Concat(Enumerable.Repeat("---:|", systems.Count + result.Ratios.Count)));
        sb.AppendLine();
        foreach (var figure in Figures.All)
        {
            sb.Append("| ").Append(figure.Name).Append(" | ").Append(figure.Unit).Append(" |");
            foreach (var s in systems)
            {
                sb.Append(' ').Append(Format(figure.Get(s))).Append(" |");
            }

            foreach (var r in result.Ratios)
            {
                var value = r.Ratios.GetValueOrDefault(figure.Name);
                sb.Append(' ').Append(value is { } v ? v.ToString("0.00", CultureInfo.InvariantCulture) + "×" : string.Empty).Append(" |");
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
        sb.AppendLine(CultureInfo.InvariantCulture, $"Workload: {result.Workload}");
        sb.AppendLine();
        foreach (var s in result.Systems)
        {
            var state = s.Skipped is not null ? $" — SKIPPED: {s.Skipped}" : s.Failure is not null ? $" — FAILED: {s.Failure}" : string.Empty;
            sb.AppendLine(CultureInfo.InvariantCulture, $"- **{s.Name}**: {s.Description}{state}");
        }

        sb.AppendLine();
        sb.Append(Table(result));
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
    public static MachineInfo Describe() => new(
        Environment.ProcessorCount,
        ReadField("/proc/cpuinfo", "model name") ?? RuntimeInformation.ProcessArchitecture.ToString(),
        MemTotal(),
        RuntimeInformation.OSDescription,
        RuntimeInformation.FrameworkDescription,
        DotnetSdk(),
        File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "n/a",
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

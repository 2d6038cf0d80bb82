using System.Globalization;
using System.Text;
using DmVoice.Benchmarks.Report;

namespace DmVoice.Benchmarks.IdleConnections;

/// <summary>
/// The idle-connections run: the gateway process's memory before any client connected and after the
/// connections were held idle. Per connection = (idle − baseline) ÷ connections still open at the end.
/// Heap figures are the managed heap after the gateway's last collection (a full one the run asked for,
/// unless a snapshot says otherwise): <see cref="HeapBytesPerConnection"/> counts live objects (heap
/// without the free space between them), <see cref="HeapWithFragmentationBytesPerConnection"/> the heap as
/// the runtime meter gives it.
/// </summary>
public sealed record IdleConnectionsResult(
    DateTimeOffset Timestamp,
    string Command,
    MachineInfo Machine,
    string Name,
    string Description,
    int Connections,
    int Connected,
    int OpenAtEnd,
    int Errors,
    Dictionary<string, int> ErrorKinds,
    double ConnectSeconds,
    double ConnectsPerSecond,
    double HoldSeconds,
    GatewaySnapshot Baseline,
    long WorkingSetAfterConnectBytes,
    GatewaySnapshot Idle,
    double HeapBytesPerConnection,
    double HeapWithFragmentationBytesPerConnection,
    double WorkingSetBytesPerConnection,
    double CommittedBytesPerConnection,
    long ConnectionsIn2GiB,
    bool HeapTargetMet,
    Dictionary<string, string> Settings,
    string LoadAverageAtStart,
    string LoadAverageAtEnd,
    List<string> Notes,
    double WallSeconds)
{
    /// <summary>The issue's target: gateway managed heap per idle connected user.</summary>
    public const double HeapTargetBytes = 20 * 1024;

    /// <summary>The moonshot: this many idle connections in one gateway of 2 GiB.</summary>
    public const long MoonshotConnections = 100_000;

    public const long TwoGiB = 2L * 1024 * 1024 * 1024;

    public static IdleConnectionsResult From(
        DateTimeOffset timestamp, string command, MachineInfo machine, string name, int connections, int connected, int openAtEnd, Dictionary<string, int> errorKinds,
        double connectSeconds, double holdSeconds, GatewaySnapshot baseline, long workingSetAfterConnect, GatewaySnapshot idle, Dictionary<string, string> settings,
        string runtime, string loadAverageAtStart, string loadAverageAtEnd, double wallSeconds)
    {
        var per = Math.Max(1, openAtEnd);
        var heapPer = (idle.LiveBytes - baseline.LiveBytes) / (double)per;
        var workingSetPer = (idle.WorkingSetBytes - baseline.WorkingSetBytes) / (double)per;
        var notes = new List<string>
        {
            "Only the gateway process is measured: the clients' side of the connections (in the benchmark process) is not in these figures.",
            "Managed heap = the .NET runtime meter's heap after the gateway's last collection (dotnet_gc_last_collection_heap_size_bytes minus dotnet_gc_last_collection_heap_fragmentation_size_bytes, all generations: live objects), read once a full collection the run asked for through the gateway's diagnostic port (an EventPipe session with the runtime's GCHeapCollect keyword, as heap-dump tools do) shows in dotnet_gc_collections_total; 'with fragmentation' is the meter's heap size as it is.",
            "Working set = VmRSS of the gateway process from /proc; the connections in 2 GiB = 2 GiB ÷ working set per connection (the baseline's fixed cost ignored).",
        };
        foreach (var (label, snapshot) in new[] { ("baseline", baseline), ("idle", idle) })
        {
            if (snapshot.CollectionsSinceMark == 0)
            {
                notes.Add($"The {label} figure's heap is from a collection before the mark: none happened in time.");
            }
            else if (snapshot.DeepestGeneration != "gen2")
            {
                notes.Add($"The {label} figure's heap follows a {snapshot.DeepestGeneration} collection, not a full one: older generations may still hold garbage.");
            }

            if (!snapshot.Induced)
            {
                notes.Add($"The {label} figure's collection was not asked for ({snapshot.InduceFailure}); it is the gateway's own.");
            }
        }

        var errors = errorKinds.Values.Sum();
        return new IdleConnectionsResult(
            timestamp,
            command,
            machine,
            name,
            $"one DmVoice.Gateway process and one DmVoice.Silo process (Redis mode, private redis-server; {runtime}); clients in the benchmark process: one user each with a token signed like an identity provider's, SignalR over WebSockets without negotiation, sync once",
            connections,
            connected,
            openAtEnd,
            errors,
            errorKinds,
            Math.Round(connectSeconds, 2),
            Math.Round(connected / Math.Max(connectSeconds, 0.001), 1),
            holdSeconds,
            baseline,
            workingSetAfterConnect,
            idle,
            heapPer,
            (idle.HeapBytes - baseline.HeapBytes) / (double)per,
            workingSetPer,
            (idle.CommittedBytes - baseline.CommittedBytes) / (double)per,
            workingSetPer > 0 ? (long)(TwoGiB / workingSetPer) : 0,
            heapPer <= HeapTargetBytes,
            settings,
            loadAverageAtStart,
            loadAverageAtEnd,
            notes,
            wallSeconds);
    }

    public string Markdown()
    {
        var s = new StringBuilder();
        s.AppendLine("# Gateway memory per idle connected user");
        s.AppendLine();
        s.AppendLine(Invariant($"`{Command}` — {Timestamp:yyyy-MM-dd HH:mm} UTC, {Machine.Cores} cores, {Machine.Runtime}, load average {LoadAverageAtStart} at the start, {LoadAverageAtEnd} at the end."));
        s.AppendLine();
        s.AppendLine(Description + ".");
        s.AppendLine();
        s.AppendLine("| figure | value |");
        s.AppendLine("|---|---:|");
        s.AppendLine(Invariant($"| connections asked for | {Connections:N0} |"));
        s.AppendLine(Invariant($"| connected (sync answered) | {Connected:N0} |"));
        s.AppendLine(Invariant($"| still connected after {HoldSeconds:0.#} s idle | {OpenAtEnd:N0} |"));
        s.AppendLine(Invariant($"| errors | {Errors:N0} |"));
        s.AppendLine(Invariant($"| connect time | {ConnectSeconds:0.0} s |"));
        s.AppendLine(Invariant($"| connect rate | {ConnectsPerSecond:N0} /s |"));
        s.AppendLine(Invariant($"| gateway managed heap (live) after a collection ({Collection(Baseline)}), baseline | {Mib(Baseline.LiveBytes)} |"));
        s.AppendLine(Invariant($"| gateway managed heap (live) after a collection ({Collection(Idle)}), idle | {Mib(Idle.LiveBytes)} |"));
        s.AppendLine(Invariant($"| gateway managed heap with fragmentation, baseline → idle | {Mib(Baseline.HeapBytes)} → {Mib(Idle.HeapBytes)} |"));
        s.AppendLine(Invariant($"| gateway working set (VmRSS), baseline | {Mib(Baseline.WorkingSetBytes)} |"));
        s.AppendLine(Invariant($"| gateway working set, right after connecting | {Mib(WorkingSetAfterConnectBytes)} |"));
        s.AppendLine(Invariant($"| gateway working set, idle | {Mib(Idle.WorkingSetBytes)} |"));
        s.AppendLine(Invariant($"| gateway GC committed, baseline → idle | {Mib(Baseline.CommittedBytes)} → {Mib(Idle.CommittedBytes)} |"));
        s.AppendLine(Invariant($"| **managed heap per idle connected user** | **{HeapBytesPerConnection / 1024:0.00} KB** |"));
        s.AppendLine(Invariant($"| managed heap with fragmentation per idle connected user | {HeapWithFragmentationBytesPerConnection / 1024:0.00} KB |"));
        s.AppendLine(Invariant($"| **working set per idle connected user** | **{WorkingSetBytesPerConnection / 1024:0.00} KB** |"));
        s.AppendLine(Invariant($"| GC committed per idle connected user | {CommittedBytesPerConnection / 1024:0.00} KB |"));
        s.AppendLine(Invariant($"| connections per gateway in 2 GiB (2 GiB ÷ working set per user) | {ConnectionsIn2GiB:N0} |"));
        s.AppendLine();
        s.AppendLine(Invariant($"Target: gateway managed heap per idle connected user ≤ {HeapTargetBytes / 1024:0} KB — {(HeapTargetMet ? "met" : "**missed**")} ({HeapBytesPerConnection / 1024:0.00} KB). Moonshot: {MoonshotConnections:N0} connections per gateway in 2 GiB — {(ConnectionsIn2GiB >= MoonshotConnections ? "met" : "**missed**")} ({ConnectionsIn2GiB:N0})."));
        s.AppendLine();
        if (ErrorKinds.Count > 0)
        {
            s.AppendLine("Errors: " + string.Join("; ", ErrorKinds.OrderByDescending(kv => kv.Value).Select(kv => $"{kv.Value} × {kv.Key}")));
            s.AppendLine();
        }

        s.AppendLine("Heap by generation after the last collection, with fragmentation (baseline → idle): " + string.Join(", ", Idle.HeapByGeneration.Keys.Union(Baseline.HeapByGeneration.Keys).Order(StringComparer.Ordinal)
            .Select(g => $"{g} {Mib(Baseline.HeapByGeneration.GetValueOrDefault(g))} → {Mib(Idle.HeapByGeneration.GetValueOrDefault(g))}")) + ".");
        s.AppendLine();
        foreach (var note in Notes)
        {
            s.AppendLine("- " + note);
        }

        return s.ToString();
    }

    private static string Collection(GatewaySnapshot snapshot) =>
        (snapshot.DeepestGeneration ?? "none since the mark") + (snapshot.Induced ? ", asked for" : ", the gateway's own");

    private static string Mib(long bytes) => IdleConnectionsRun.Mib(bytes);

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}

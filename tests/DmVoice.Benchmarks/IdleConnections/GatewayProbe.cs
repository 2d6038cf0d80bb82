using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;

namespace DmVoice.Benchmarks.IdleConnections;

/// <summary>
/// Reads the memory of a gateway that runs as its own process: its resident set from
/// <c>/proc/&lt;pid&gt;/status</c> (VmRSS) and its managed heap from the .NET runtime meter on its
/// Prometheus <c>/metrics</c>. The runtime only knows the heap's size as of its last collection, so a
/// heap figure is taken after a collection asked for through the diagnostic port has shown in the
/// collection counts (<see cref="AfterNextCollectionAsync"/>), or, when the port refuses, after any
/// collection past a mark: garbage made before the mark may then still be in a generation that
/// collection did not cover, which the snapshot records.
/// </summary>
public sealed class GatewayProbe(Uri metricsAddress, int processId)
{
    /// <summary>Per generation (gen0, gen1, gen2, loh, poh): bytes in use after the last collection.</summary>
    public const string HeapFamily = "dotnet_gc_last_collection_heap_size_bytes";

    /// <summary>Per generation: collections since the process started.</summary>
    public const string CollectionsFamily = "dotnet_gc_collections_total";

    /// <summary>Per generation: free space inside the heap after the last collection (part of <see cref="HeapFamily"/>).</summary>
    public const string FragmentationFamily = "dotnet_gc_last_collection_heap_fragmentation_size_bytes";

    /// <summary>Memory the GC had committed at the last collection.</summary>
    public const string CommittedFamily = "dotnet_gc_last_collection_memory_committed_size_bytes";

    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(10) };

    public int ProcessId { get; } = processId;

    /// <summary>VmRSS of the process in bytes (0 when /proc cannot be read).</summary>
    public long ResidentBytes()
    {
        try
        {
            foreach (var line in File.ReadLines($"/proc/{ProcessId}/status"))
            {
                if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                {
                    var kb = line["VmRSS:".Length..].Trim().Split(' ')[0];
                    return long.Parse(kb, CultureInfo.InvariantCulture) * 1024;
                }
            }
        }
        catch (IOException)
        {
            // The process is gone.
        }

        return 0;
    }

    /// <summary>The runtime meter's GC figures now; throws when /metrics has none of them.</summary>
    public async Task<GcReading> ReadGcAsync()
    {
        var text = await Http.GetStringAsync(metricsAddress);
        var heap = new Dictionary<string, long>(StringComparer.Ordinal);
        var collections = new Dictionary<string, long>(StringComparer.Ordinal);
        var fragmentation = new Dictionary<string, long>(StringComparer.Ordinal);
        long committed = 0;
        foreach (var line in text.Split('\n'))
        {
            if (line.Length == 0 || line[0] == '#')
            {
                continue;
            }

            if (Family(line, HeapFamily) is { } h)
            {
                heap[h.Generation] = heap.GetValueOrDefault(h.Generation) + (long)h.Value;
            }
            else if (Family(line, CollectionsFamily) is { } c)
            {
                collections[c.Generation] = collections.GetValueOrDefault(c.Generation) + (long)c.Value;
            }
            else if (Family(line, FragmentationFamily) is { } f)
            {
                fragmentation[f.Generation] = fragmentation.GetValueOrDefault(f.Generation) + (long)f.Value;
            }
            else if (Family(line, CommittedFamily) is { } m)
            {
                committed += (long)m.Value;
            }
        }

        if (heap.Count == 0 || collections.Count == 0)
        {
            throw new InvalidOperationException(
                $"The gateway's {metricsAddress} has no {HeapFamily} or {CollectionsFamily}: the .NET runtime meter (System.Runtime) is not exported.");
        }

        return new GcReading(heap, fragmentation, collections, committed);
    }

    /// <summary>
    /// Asks the gateway for a full collection through its diagnostic port (<see cref="DiagnosticsPort"/>)
    /// and waits until a gen2 collection shows on /metrics; when the port refuses, waits for any
    /// collection instead (polling every half second, up to <paramref name="timeout"/>). Then takes a
    /// snapshot: heap after that collection, VmRSS now. Without a collection in time the last figures are
    /// kept and the snapshot says so.
    /// </summary>
    public async Task<GatewaySnapshot> AfterNextCollectionAsync(TimeSpan timeout, Action<string>? progress = null)
    {
        var mark = await ReadGcAsync();
        var started = Stopwatch.GetTimestamp();
        string? induceFailure = null;
        try
        {
            await DiagnosticsPort.InduceFullCollectionAsync(ProcessId, TimeSpan.FromSeconds(30));
        }
        catch (Exception ex) when (ex is InvalidOperationException or SocketException or OperationCanceledException or IOException)
        {
            induceFailure = ex.Message;
            progress?.Invoke($"could not ask the gateway for a full collection ({ex.Message}); waiting for one of its own");
        }

        var gen2AtMark = mark.Collections.GetValueOrDefault("gen2");
        var lastPrint = 0.0;
        var reading = mark;
        while (true)
        {
            await Task.Delay(500);
            reading = await ReadGcAsync();
            var waited = Stopwatch.GetElapsedTime(started).TotalSeconds;
            if (induceFailure is null ? reading.Collections.GetValueOrDefault("gen2") > gen2AtMark : reading.TotalCollections > mark.TotalCollections)
            {
                break;
            }

            if (waited >= timeout.TotalSeconds)
            {
                progress?.Invoke(string.Create(CultureInfo.InvariantCulture, $"no collection in the gateway within {timeout.TotalSeconds:0} s; keeping the heap of its last one"));
                break;
            }

            if (waited - lastPrint >= 5)
            {
                lastPrint = waited;
                progress?.Invoke(string.Create(CultureInfo.InvariantCulture, $"waiting for a collection in the gateway ({waited:0} s)"));
            }
        }

        var deepest = reading.Collections
            .Where(kv => kv.Value > mark.Collections.GetValueOrDefault(kv.Key))
            .Select(kv => kv.Key)
            .Where(g => g.StartsWith("gen", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal)
            .LastOrDefault();
        return new GatewaySnapshot(
            DateTimeOffset.UtcNow,
            reading.HeapBytes,
            reading.HeapBytes - reading.FragmentationBytes,
            reading.Heap,
            reading.Fragmentation,
            reading.CommittedBytes,
            ResidentBytes(),
            reading.TotalCollections,
            reading.TotalCollections - mark.TotalCollections,
            deepest,
            induceFailure is null,
            induceFailure,
            Math.Round(Stopwatch.GetElapsedTime(started).TotalSeconds, 1));
    }

    /// <summary>"family{...gc_heap_generation="gen0"...} value" → (generation, value), or null for another family.</summary>
    private static (string Generation, double Value)? Family(string line, string family)
    {
        if (!line.StartsWith(family, StringComparison.Ordinal) || line.Length <= family.Length || (line[family.Length] != '{' && line[family.Length] != ' '))
        {
            return null;
        }

        var generation = string.Empty;
        var labelAt = line.IndexOf("gc_heap_generation=\"", StringComparison.Ordinal);
        if (labelAt >= 0)
        {
            var start = labelAt + "gc_heap_generation=\"".Length;
            generation = line[start..line.IndexOf('"', start)];
        }

        var close = line.LastIndexOf('}');
        var valueText = line[((close >= 0 ? close : family.Length) + 1)..].Trim().Split(' ')[0];
        return double.TryParse(valueText, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) ? (generation, value) : null;
    }
}

/// <summary>One scrape of the runtime meter's GC figures.</summary>
public sealed record GcReading(Dictionary<string, long> Heap, Dictionary<string, long> Fragmentation, Dictionary<string, long> Collections, long CommittedBytes)
{
    public long HeapBytes => Heap.Values.Sum();

    public long FragmentationBytes => Fragmentation.Values.Sum();

    public long TotalCollections => Collections.Values.Sum();
}

/// <summary>
/// The gateway's memory at one moment. <see cref="HeapBytes"/> is the managed heap after the last
/// collection (all generations, large and pinned object heaps) including the free space between objects,
/// <see cref="LiveBytes"/> the same without it; <see cref="DeepestGeneration"/> is the oldest generation
/// collected since the mark (gen0: older generations may still hold garbage); <see cref="Induced"/> says
/// whether that collection was asked for through the diagnostic port.
/// </summary>
public sealed record GatewaySnapshot(
    DateTimeOffset At,
    long HeapBytes,
    long LiveBytes,
    Dictionary<string, long> HeapByGeneration,
    Dictionary<string, long> FragmentationByGeneration,
    long CommittedBytes,
    long WorkingSetBytes,
    long Collections,
    long CollectionsSinceMark,
    string? DeepestGeneration,
    bool Induced,
    string? InduceFailure,
    double WaitedSeconds);

using System.Diagnostics;

namespace DmVoice.Benchmarks.Report;

/// <summary>
/// Process memory after two full blocking, compacting collections. Client and server share the
/// process, so only differences between two snapshots of one run mean anything.
/// </summary>
public sealed record MemorySnapshot(long ManagedBytes, long GcHeapBytes, long CommittedBytes, long WorkingSetBytes, long PrivateBytes)
{
    public static async Task<MemorySnapshot> TakeAsync()
    {
        // Let in-flight work (acks, timers, stream deliveries) settle before collecting.
        await Task.Delay(500);
        for (var i = 0; i < 2; i++)
        {
            GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
            GC.WaitForPendingFinalizers();
        }

        var info = GC.GetGCMemoryInfo(GCKind.FullBlocking);
        using var process = Process.GetCurrentProcess();
        process.Refresh();
        return new MemorySnapshot(GC.GetTotalMemory(false), info.HeapSizeBytes, info.TotalCommittedBytes, process.WorkingSet64, process.PrivateMemorySize64);
    }
}

using System.Collections.Concurrent;
using Orleans;

namespace DmVoice.Gateway.Tests.Infrastructure;

/// <summary>
/// Makes the next calls of one grain method fail, inside a real silo (an Orleans incoming grain call
/// filter, registered with the gateway's co-hosted silo). For failures no real part produces on demand,
/// such as a bug in a grain; faults of the infrastructure are made real instead (a stopped silo, a
/// killed or frozen Redis).
/// </summary>
public sealed class GrainFaults : IIncomingGrainCallFilter
{
    private readonly ConcurrentDictionary<string, ConcurrentQueue<Exception>> _pending = new(StringComparer.Ordinal);

    /// <summary>The next call of a grain interface method named <paramref name="method"/> throws <paramref name="exception"/>.</summary>
    public void FailNext(string method, Exception exception) =>
        _pending.GetOrAdd(method, _ => new ConcurrentQueue<Exception>()).Enqueue(exception);

    public async Task Invoke(IIncomingGrainCallContext context)
    {
        if (context.InterfaceMethod?.Name is { } method
            && _pending.TryGetValue(method, out var queue)
            && queue.TryDequeue(out var exception))
        {
            throw exception;
        }

        await context.Invoke();
    }
}

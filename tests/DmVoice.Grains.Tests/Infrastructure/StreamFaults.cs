using Orleans.Providers;

namespace DmVoice.Tests.Infrastructure;

/// <summary>
/// Planned failures of the memory-stream queue grains' <c>Enqueue</c>, as when a queue grain's silo
/// has just died: every room's publish on a user stream fails while <see cref="FailEnqueues"/> is set.
/// Installed on every silo of <see cref="FaultyStreamsClusterFixture"/> as an incoming call filter.
/// </summary>
public sealed class StreamFaults : IIncomingGrainCallFilter
{
    private volatile bool _failEnqueues;

    public bool FailEnqueues
    {
        get => _failEnqueues;
        set => _failEnqueues = value;
    }

    /// <summary>Enqueues refused so far.</summary>
    public int Refused => _refused;

    private int _refused;

    public Task Invoke(IIncomingGrainCallContext context)
    {
        if (_failEnqueues && context.Grain is IMemoryStreamQueueGrain && context.MethodName == nameof(IMemoryStreamQueueGrain.Enqueue))
        {
            Interlocked.Increment(ref _refused);
            throw new TimeoutException("Planned: the queue grain's silo does not answer.");
        }

        return context.Invoke();
    }
}

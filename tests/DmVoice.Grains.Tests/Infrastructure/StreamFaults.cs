using System.Collections.Concurrent;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Providers;
using Orleans.Serialization;

namespace DmVoice.Tests.Infrastructure;

/// <summary>
/// Planned faults of the memory-stream queue grains' <c>Enqueue</c>, installed on every silo of
/// <see cref="FaultyStreamsClusterFixture"/> as an incoming call filter:
/// <list type="bullet">
/// <item><see cref="FailEnqueues"/>: every publish on a user stream fails, as when a queue grain's silo has just died.</item>
/// <item><see cref="LoseFirstSendsTo"/>: the first send of each event on one user's stream is accepted and
/// thrown away, without an error, as a pulling agent that stops with events it had read but not delivered
/// loses them; a second send of the same event goes through.</item>
/// </list>
/// </summary>
public sealed class StreamFaults : IIncomingGrainCallFilter
{
    private readonly ConcurrentDictionary<(string Name, long Version), bool> _lostOnce = new();
    private volatile bool _failEnqueues;
    private volatile string? _loseFirstSendsTo;
    private Serializer<MemoryMessageBody>? _bodies;
    private int _refused;
    private int _lost;

    public bool FailEnqueues
    {
        get => _failEnqueues;
        set => _failEnqueues = value;
    }

    /// <summary>The user whose stream loses the first send of every event; null for none.</summary>
    public string? LoseFirstSendsTo
    {
        get => _loseFirstSendsTo;
        set
        {
            _lostOnce.Clear();
            _loseFirstSendsTo = value;
        }
    }

    /// <summary>Enqueues refused so far.</summary>
    public int Refused => _refused;

    /// <summary>Events thrown away so far.</summary>
    public int Lost => _lost;

    /// <summary>The filter as a silo's service: it reads queued events with the silo's serializer.</summary>
    public StreamFaults For(IServiceProvider silo)
    {
        _bodies ??= silo.GetRequiredService<Serializer<MemoryMessageBody>>();
        return this;
    }

    public Task Invoke(IIncomingGrainCallContext context)
    {
        if (context.Grain is not IMemoryStreamQueueGrain || context.MethodName != nameof(IMemoryStreamQueueGrain.Enqueue))
        {
            return context.Invoke();
        }

        if (_failEnqueues)
        {
            Interlocked.Increment(ref _refused);
            throw new TimeoutException("Planned: the queue grain's silo does not answer.");
        }

        if (_loseFirstSendsTo is { } userId && context.Request.GetArgument(0) is MemoryMessageData data &&
            data.StreamId == VoiceStreams.ForUser(userId) && IsFirstSend(data))
        {
            // Answered as if it had been queued.
            Interlocked.Increment(ref _lost);
            context.Response = Orleans.Serialization.Invocation.Response.Completed;
            return Task.CompletedTask;
        }

        return context.Invoke();
    }

    private bool IsFirstSend(MemoryMessageData data)
    {
        var events = _bodies!.Deserialize(data.Payload)?.Events ?? [];
        var first = false;
        foreach (var voiceEvent in events.OfType<VoiceEvent>())
        {
            first |= _lostOnce.TryAdd((voiceEvent.EventName, voiceEvent.Version), true);
        }

        return first;
    }
}

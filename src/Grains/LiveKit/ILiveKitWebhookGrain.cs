namespace DmVoice.Grains.LiveKit;

/// <summary>
/// Makes LiveKit webhooks idempotent across gateways (key: LiveKit room name): remembers the ids of the
/// room's recent events in memory. LiveKit redelivers within seconds, so forgetting when the room has
/// been quiet long enough for the grain to be collected is fine.
/// </summary>
[Alias("DmVoice.ILiveKitWebhookGrain")]
public interface ILiveKitWebhookGrain : IGrainWithStringKey
{
    /// <summary>True the first time an event id is claimed; false for a redelivery.</summary>
    [Alias("TryClaim")]
    Task<bool> TryClaim(string eventId);

    /// <summary>Forgets a claim whose processing failed, so LiveKit's retry is processed.</summary>
    [Alias("Release")]
    Task Release(string eventId);
}

public sealed class LiveKitWebhookGrain : Grain, ILiveKitWebhookGrain
{
    /// <summary>Event ids remembered per room; a call produces a handful of events a minute.</summary>
    public const int Capacity = 1024;

    private readonly HashSet<string> _seen = new(StringComparer.Ordinal);
    private readonly Queue<string> _order = new();

    public Task<bool> TryClaim(string eventId)
    {
        ArgumentException.ThrowIfNullOrEmpty(eventId);
        if (!_seen.Add(eventId))
        {
            return Task.FromResult(false);
        }

        _order.Enqueue(eventId);
        while (_order.Count > Capacity)
        {
            _seen.Remove(_order.Dequeue());
        }

        return Task.FromResult(true);
    }

    public Task Release(string eventId)
    {
        // Left in the order queue: it ages out as usual, and removing an absent id from the set is harmless.
        _seen.Remove(eventId);
        return Task.CompletedTask;
    }
}

namespace DmVoice.Grains.LiveKit;

/// <summary>Remembers a LiveKit room's recent webhook event ids, in memory.</summary>
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

using System.Collections.Concurrent;

namespace DmVoice.Grains.Events;

/// <summary>
/// Releases a gateway's incoming deliveries in the order each sender made them. A delivery that
/// arrives ahead of its turn waits for the ones before it; a gap that stays open longer than
/// <see cref="GapWait"/> (a message lost with a silo) is skipped, and the devices concerned see a
/// version gap and re-fetch, so nothing is lost silently. Late and repeated deliveries are dropped.
/// Thread-safe: each sender's deliveries are released under that sender's lock, in order, and
/// releasing must be quick (posting to outboxes); different senders (calls) never wait on each other.
/// </summary>
public sealed class DeliveryOrdering : IDisposable
{
    /// <summary>How long a gap may stay open. Reordering on a healthy cluster takes milliseconds.</summary>
    public static readonly TimeSpan GapWait = TimeSpan.FromSeconds(2);

    /// <summary>
    /// Senders quiet for this long are forgotten (their calls ended or moved, or nothing changed in them);
    /// one that speaks again marks its delivery <see cref="EventDelivery.Resumes"/> and is taken from there.
    /// </summary>
    public static readonly TimeSpan IdleSender = TimeSpan.FromMinutes(10);

    private readonly Action<EventDelivery> _release;
    private readonly TimeProvider _time;
    private readonly ConcurrentDictionary<string, Sender> _senders = new(StringComparer.Ordinal);
    private readonly ITimer _sweep;
    private long _dropped;
    private long _gapsSkipped;

    public DeliveryOrdering(Action<EventDelivery> release, TimeProvider time)
    {
        _release = release;
        _time = time;
        _sweep = time.CreateTimer(_ => Sweep(), null, GapWait / 4, GapWait / 4);
    }

    /// <summary>Deliveries dropped because they came after their turn (repeats, or late after a skipped gap).</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>Gaps given up on.</summary>
    public long GapsSkipped => Interlocked.Read(ref _gapsSkipped);

    public void Receive(EventDelivery delivery)
    {
        while (true)
        {
            var sender = _senders.GetOrAdd(delivery.SenderId, static _ => new Sender());
            lock (sender)
            {
                if (sender.Forgotten)
                {
                    // The sweep forgot it between the lookup and the lock: look it up again.
                    continue;
                }

                Receive(sender, delivery);
                return;
            }
        }
    }

    public void Dispose() => _sweep.Dispose();

    private void Receive(Sender sender, EventDelivery delivery)
    {
        if (sender.Fresh && delivery.Resumes && delivery.Sequence > sender.Next)
        {
            // A sender this gateway does not know (or forgot after a long quiet) whose earlier deliveries
            // were all sent long ago: nothing before this one is still on its way. (Later ones that got
            // here first are waiting, and follow it.)
            sender.Next = delivery.Sequence;
        }

        sender.LastSeen = _time.GetUtcNow();
        if (delivery.Sequence < sender.Next || sender.Waiting?.ContainsKey(delivery.Sequence) == true)
        {
            Interlocked.Increment(ref _dropped);
            return;
        }

        if (delivery.Sequence > sender.Next)
        {
            sender.Waiting ??= [];
            sender.Waiting.Add(delivery.Sequence, delivery);
            sender.GapSince ??= sender.LastSeen;
            return;
        }

        ReleaseInOrder(sender, delivery);
    }

    private void ReleaseInOrder(Sender sender, EventDelivery first)
    {
        sender.Fresh = false;
        _release(first);
        sender.Next = first.Sequence + 1;
        while (sender.Waiting is { Count: > 0 } waiting && waiting.Remove(sender.Next, out var next))
        {
            _release(next);
            sender.Next++;
        }

        if (sender.Waiting is not { Count: > 0 })
        {
            sender.GapSince = null;
        }
        else
        {
            // Still waiting for a later gap: its clock starts now.
            sender.GapSince = _time.GetUtcNow();
        }
    }

    private void Sweep()
    {
        var now = _time.GetUtcNow();
        foreach (var (id, sender) in _senders)
        {
            lock (sender)
            {
                if (sender.GapSince is { } since && now - since >= GapWait && sender.Waiting is { Count: > 0 } waiting)
                {
                    Interlocked.Increment(ref _gapsSkipped);
                    ReleaseInOrder(sender, TakeFirst(waiting));
                }
                else if (sender.Waiting is not { Count: > 0 } && now - sender.LastSeen >= IdleSender)
                {
                    sender.Forgotten = true;
                    _senders.TryRemove(new KeyValuePair<string, Sender>(id, sender));
                }
            }
        }
    }

    private static EventDelivery TakeFirst(SortedList<long, EventDelivery> waiting)
    {
        var first = waiting.Values[0];
        waiting.RemoveAt(0);
        return first;
    }

    private sealed class Sender
    {
        public long Next = 1;

        /// <summary>Nothing released from it yet (by this gateway, or since it was forgotten).</summary>
        public bool Fresh = true;

        /// <summary>Removed by the sweep; a receiver that still holds it looks the sender up again.</summary>
        public bool Forgotten;
        public SortedList<long, EventDelivery>? Waiting;
        public DateTimeOffset LastSeen;
        public DateTimeOffset? GapSince;
    }
}

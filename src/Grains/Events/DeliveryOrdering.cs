namespace DmVoice.Grains.Events;

/// <summary>
/// Releases a gateway's incoming deliveries in the order each sender made them. A delivery that
/// arrives ahead of its turn waits for the ones before it; a gap that stays open longer than
/// <see cref="GapWait"/> (a message lost with a silo) is skipped, and the devices concerned see a
/// version gap and re-fetch, so nothing is lost silently. Late and repeated deliveries are dropped.
/// Thread-safe: releases happen under one lock, in order, and must be quick (posting to outboxes).
/// </summary>
public sealed class DeliveryOrdering : IDisposable
{
    /// <summary>How long a gap may stay open. Reordering on a healthy cluster takes milliseconds.</summary>
    public static readonly TimeSpan GapWait = TimeSpan.FromSeconds(2);

    /// <summary>Senders quiet for this long are forgotten (their calls ended or moved).</summary>
    private static readonly TimeSpan IdleSender = TimeSpan.FromMinutes(10);

    private readonly Action<EventDelivery> _release;
    private readonly TimeProvider _time;
    private readonly Dictionary<string, Sender> _senders = new(StringComparer.Ordinal);
    private readonly ITimer _sweep;

    public DeliveryOrdering(Action<EventDelivery> release, TimeProvider time)
    {
        _release = release;
        _time = time;
        _sweep = time.CreateTimer(_ => Sweep(), null, GapWait / 4, GapWait / 4);
    }

    /// <summary>Deliveries dropped because they came after their turn (repeats, or late after a skipped gap).</summary>
    public long Dropped { get; private set; }

    /// <summary>Gaps given up on.</summary>
    public long GapsSkipped { get; private set; }

    public void Receive(EventDelivery delivery)
    {
        lock (_senders)
        {
            if (!_senders.TryGetValue(delivery.SenderId, out var sender))
            {
                sender = new Sender();
                _senders[delivery.SenderId] = sender;
            }

            sender.LastSeen = _time.GetUtcNow();
            if (delivery.Sequence < sender.Next || sender.Waiting?.ContainsKey(delivery.Sequence) == true)
            {
                Dropped++;
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
    }

    public void Dispose() => _sweep.Dispose();

    private void ReleaseInOrder(Sender sender, EventDelivery first)
    {
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
        lock (_senders)
        {
            var now = _time.GetUtcNow();
            List<string>? idle = null;
            foreach (var (id, sender) in _senders)
            {
                if (sender.GapSince is { } since && now - since >= GapWait && sender.Waiting is { Count: > 0 } waiting)
                {
                    GapsSkipped++;
                    ReleaseInOrder(sender, TakeFirst(waiting));
                }
                else if (sender.Waiting is not { Count: > 0 } && now - sender.LastSeen >= IdleSender)
                {
                    (idle ??= []).Add(id);
                }
            }

            foreach (var id in idle ?? [])
            {
                _senders.Remove(id);
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
        public SortedList<long, EventDelivery>? Waiting;
        public DateTimeOffset LastSeen;
        public DateTimeOffset? GapSince;
    }
}

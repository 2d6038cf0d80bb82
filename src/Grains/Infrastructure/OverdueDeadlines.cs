using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace DmVoice.Grains.Infrastructure;

/// <summary>
/// Deadlines that were not dealt with in time. A <see cref="DeadlineTimer"/> given a kind reports here
/// while its deadline is pending (overdue once it is more than <see cref="Slack"/> past without its
/// wake-up having completed: a timer that did not fire, a wake-up stuck on a call), and counts every
/// wake-up that failed. For the disconnect grace, either leaves a participant without a live device in
/// the call past the grace: a ghost, until the room's member check (<c>Calls:MemberCheckInterval</c>)
/// finds the seat nobody holds.
/// </summary>
public static class OverdueDeadlines
{
    /// <summary>A user's disconnect grace (<c>Calls:DisconnectGrace</c>).</summary>
    public const string DisconnectGrace = "disconnect_grace";

    /// <summary>How long after its deadline a wake-up may take before it counts as overdue.</summary>
    public static readonly TimeSpan Slack = TimeSpan.FromSeconds(10);

    private static readonly ConcurrentDictionary<object, Entry> Pending = new(ReferenceEqualityComparer.Instance);

    /// <summary>Kinds reported even while nothing is overdue, so a dashboard shows 0 rather than no data.</summary>
    private static readonly string[] KnownKinds = [DisconnectGrace];

    internal static void Track(object owner, string kind, DateTimeOffset due, TimeProvider time) =>
        Pending[owner] = new Entry(kind, due, time.GetUtcNow(), time);

    internal static void Clear(object owner) => Pending.TryRemove(owner, out _);

    private static readonly ConcurrentDictionary<string, long> FailedWakeUps = new(StringComparer.Ordinal);

    internal static void Failed(string kind) => FailedWakeUps.AddOrUpdate(kind, 1, (_, n) => n + 1);

    /// <summary>Wake-ups of each kind that failed since the process started.</summary>
    public static IReadOnlyDictionary<string, long> Failures() =>
        KnownKinds.ToDictionary(k => k, k => FailedWakeUps.GetValueOrDefault(k), StringComparer.Ordinal);

    internal static IEnumerable<Measurement<long>> MeasureFailures() =>
        Failures().Select(c => new Measurement<long>(c.Value, new KeyValuePair<string, object?>("kind", c.Key)));

    /// <summary>Deadlines of each kind that are overdue now (each by its own clock).</summary>
    public static IReadOnlyDictionary<string, long> Count()
    {
        var counts = KnownKinds.ToDictionary(k => k, _ => 0L, StringComparer.Ordinal);
        foreach (var entry in Pending.Values)
        {
            // A deadline already past when it was scheduled (an activation catching up) gets the slack from then.
            var start = entry.Due > entry.TrackedAt ? entry.Due : entry.TrackedAt;
            if (entry.Time.GetUtcNow() - start > Slack)
            {
                counts[entry.Kind] = counts.GetValueOrDefault(entry.Kind) + 1;
            }
        }

        return counts;
    }

    internal static IEnumerable<Measurement<long>> Measure() =>
        Count().Select(c => new Measurement<long>(c.Value, new KeyValuePair<string, object?>("kind", c.Key)));

    private sealed record Entry(string Kind, DateTimeOffset Due, DateTimeOffset TrackedAt, TimeProvider Time);
}
